/** Transfer mode banner: "Transfer <name> to…", the attended-transfer shortcuts and Cancel. */

import { ArrowRightLeft, X } from "lucide-preact";
import { callTitle, isTalking } from "../state/selectors";
import { useApp, useT } from "./context";

export function TransferBanner() {
  const t = useT();
  const { store, actions } = useApp();
  const call = actions.transferring();
  if (!call) return null;
  const name = callTitle(call);
  // A second talking call makes an attended transfer possible: offered right here too.
  const others = store.calls.value.filter((c) => c.id !== call.id && isTalking(c));
  return (
    <div class="transfer-banner" role="region" aria-label={t("transfer.banner", { name })} data-testid="transfer-banner">
      <ArrowRightLeft size={18} aria-hidden="true" class="transfer-banner__icon" />
      <div class="transfer-banner__text">
        <strong class="transfer-banner__title" role="status">{t("transfer.banner", { name })}</strong>
        <span class="transfer-banner__hint">{t("transfer.hint")}</span>
      </div>
      {others.map((other) => (
        <button key={other.id} type="button" class="button button--small transfer-target"
          onClick={() =>
            void actions.transferToCall(call, other).then((ack) => ack.ok && actions.cancelTransfer())
          }>
          {t("calls.transferToCall", { name: callTitle(other) })}
        </button>
      ))}
      <button type="button" class="button button--secondary button--small transfer-banner__cancel"
        aria-label={t("transfer.cancel")} onClick={() => actions.cancelTransfer()}>
        <X size={14} aria-hidden="true" />
        <span class="button__label">{t("calls.cancel")}</span>
      </button>
    </div>
  );
}
