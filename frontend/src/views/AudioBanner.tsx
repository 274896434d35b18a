/** Main-window banner while a chosen audio device is unplugged: "<name> is not connected...". */

import { CircleAlert } from "lucide-preact";
import type { AudioState } from "../state/audio";
import type { UiState } from "../state/ui";
import { useApp, useT } from "./context";

/** Shown unless the audio dialog is open (it says the same itself). */
export function audioBannerShown(audio: AudioState, ui: UiState): boolean {
  return audio.fallbacks.value.length > 0 && ui.dialog.value !== "audio";
}

export function AudioFallbackBanner() {
  const t = useT();
  const { audio, ui } = useApp();
  if (!audioBannerShown(audio, ui)) return null;
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
