/** The PBX's answer to a feature code (forwarding, pickup): "Your PBX refused the forwarding code *72". */

import { CircleAlert, CircleCheck, X } from "lucide-preact";
import type { FeatureCodeEvent } from "../api/protocol";
import { errorText, type MessageKey, type Translate } from "../i18n";
import { useApp, useT } from "./context";

/** What the code was for, in the user's words ("forwarding", "pickup"). */
export function featureCodeWhat(t: Translate, result: FeatureCodeEvent): string {
  return t(`featureCode.what.${result.purpose}` as MessageKey);
}

/** The sentence for one result; the code is shown as text (it comes from settings). */
export function featureCodeText(t: Translate, result: FeatureCodeEvent): string {
  const params = { what: featureCodeWhat(t, result), code: result.code };
  let text: string;
  switch (result.outcome) {
    case "accepted":
      return t("featureCode.accepted", params);
    case "refused":
      text = t("featureCode.refused", { ...params, status: result.sip_code ?? "?" });
      break;
    case "not_dialled":
      text = t("featureCode.notDialled", { ...params, reason: errorText(t, result.error) });
      break;
    default:
      text = t("featureCode.unconfirmed", params);
  }
  // The top bar still shows what the PBX last confirmed: say so, or the user may doubt it.
  return result.purpose === "pickup" ? text : `${text} ${t("featureCode.forwardingKept")}`;
}

/** A card label for the call that carries a feature code. */
export function featureCodeLabel(t: Translate, result: FeatureCodeEvent): string {
  return t(`featureCode.label.${result.purpose}` as MessageKey);
}

/** One notice per result, placed in the notices stack (bottom right) by `Notices`. */
export function FeatureCodeNotices() {
  const t = useT();
  const { store } = useApp();
  return (
    <>
      {store.featureCodeResults.value.map((result, index) => {
        const ok = result.outcome === "accepted";
        const Icon = ok ? CircleCheck : CircleAlert;
        return (
          <div key={`${result.call_id}-${result.code}-${index}`}
            class={ok ? "notice feature-code-notice is-accepted" : "notice feature-code-notice"}
            role={ok ? "status" : "alert"}>
            <Icon size={18} aria-hidden="true" />
            <span class="notice__text">{featureCodeText(t, result)}</span>
            <button type="button" class="icon-button icon-button--small" aria-label={t("common.dismiss")}
              onClick={() => store.dismissFeatureCode(result)}>
              <X size={14} />
            </button>
          </div>
        );
      })}
    </>
  );
}
