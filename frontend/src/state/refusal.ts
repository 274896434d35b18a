// What the far end said when it refused a call: its Reason text and Retry-After.
import type { Call } from "../api/protocol";
import type { Translate } from "../i18n";

/** "They said: “In a meeting” · Try again in 5 min", or null when it said nothing more. The
 * text is the far end's (untrusted, already cleaned by the backend): isolated for bidi. */
export function refusalText(t: Translate, call: Call): string | null {
  const parts: string[] = [];
  if (call.reason_text) parts.push(t("calls.theirReason", { text: `\u2068${call.reason_text}\u2069` }));
  const retry = call.retry_after_s;
  if (typeof retry === "number" && Number.isFinite(retry) && retry > 0) {
    parts.push(
      retry >= 60
        ? t("calls.retryAfterMinutes", { count: Math.ceil(retry / 60) })
        : t("calls.retryAfterSeconds", { count: Math.round(retry) }),
    );
  }
  return parts.length > 0 ? parts.join(" · ") : null;
}
