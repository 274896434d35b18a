/** Top bar: the voicemail indicator (new messages from the PBX); a click calls the mailbox. */

import { Voicemail } from "lucide-preact";
import { useApp, useT } from "./context";

export function VoicemailButton() {
  const t = useT();
  const { store, actions } = useApp();
  if (!store.account.value) return null;
  const { waiting, new: fresh } = store.voicemail.value;
  const label = waiting
    ? fresh > 0
      ? t("voicemail.new", { count: fresh })
      : t("voicemail.waiting")
    : t("voicemail.none");
  return (
    <button
      type="button"
      class={waiting ? "button button--ghost topbar__voicemail is-waiting" : "button button--ghost topbar__voicemail"}
      title={`${label}. ${t("voicemail.call")}`}
      aria-label={`${label}. ${t("voicemail.call")}`}
      onClick={() => void actions.callVoicemail()}
    >
      <Voicemail size={16} aria-hidden="true" />
      {waiting && (
        <span class="topbar__voicemail-count" aria-hidden="true">
          {fresh > 0 ? (fresh > 99 ? "99+" : String(fresh)) : "•"}
        </span>
      )}
    </button>
  );
}
