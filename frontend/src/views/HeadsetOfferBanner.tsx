/** "<headset> is plugged in" banner: use it for calls, or not now (Audio: "ask" mode). */

import { Headphones } from "lucide-preact";
import { useApp, useT } from "./context";

export function HeadsetOfferBanner() {
  const t = useT();
  const { audio } = useApp();
  const offer = audio.headsetOffer.value;
  if (!offer) return null;
  // The name comes from the USB device: untrusted text, rendered as text only.
  return (
    <div class="audio-banner" role="status" data-testid="headset-offer-banner">
      <Headphones size={16} aria-hidden="true" />
      <span>{t("audio.headsetOffer", { name: offer.name })}</span>
      <button
        type="button"
        class="button button--primary button--small"
        onClick={() => void audio.useHeadset(offer.key)}
      >
        {t("audio.headsetUse", { name: offer.name })}
      </button>
      <button
        type="button"
        class="button button--secondary button--small"
        onClick={() => void audio.declineHeadset(offer.key)}
      >
        {t("audio.headsetNotNow")}
      </button>
    </div>
  );
}
