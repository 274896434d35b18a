/** Main-window banner while a chosen audio device is unplugged: "<name> is not connected...". */

import { CircleAlert } from "lucide-preact";
import type { AudioState } from "../state/audio";
import type { UiState } from "../state/ui";
import { useApp, useT } from "./context";
import { HeadsetOfferBanner } from "./HeadsetOfferBanner";

function fallbackShown(audio: AudioState, ui: UiState): boolean {
  return audio.fallbacks.value.length > 0 && ui.dialog.value !== "audio";
}

/** The banner row: fallbacks (unless the audio dialog, which says the same, is open) and a
 * plugged-in headset offered for calls. One grid row holds both. */
export function audioBannerShown(audio: AudioState, ui: UiState): boolean {
  return fallbackShown(audio, ui) || audio.headsetOffer.value !== null;
}

export function AudioFallbackBanner() {
  const { audio, ui } = useApp();
  if (!audioBannerShown(audio, ui)) return null;
  return (
    <div class="audio-banners">
      {fallbackShown(audio, ui) && <FallbackBanner />}
      <HeadsetOfferBanner />
    </div>
  );
}

function FallbackBanner() {
  const t = useT();
  const { audio, ui } = useApp();
  const names = [...new Set(audio.fallbacks.value.map((f) => f.name))];
  return (
    <div class="audio-banner" role="status" data-testid="audio-fallback-banner">
      <CircleAlert size={16} aria-hidden="true" />
      <span>{names.map((name) => t("audio.fallback", { name })).join(" · ")}</span>
      <button type="button" class="button button--secondary button--small" onClick={() => (ui.dialog.value = "audio")}>
        {t("menu.audioSettings")}
      </button>
    </div>
  );
}
