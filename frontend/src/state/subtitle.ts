/** The call card's second line: the number, or the SIP URI only when it says something more. */

import type { Call } from "../api/protocol";
import { callTitle } from "./selectors";

interface SipUri {
  user: string;
  host: string;
}

/** user and host (no port, lower case) of a sip:/sips: URI; null for anything else. */
export function parseSipUri(uri: string): SipUri | null {
  const m = /^<?sips?:(?:([^@;?>]*)@)?(\[[^\]]+\]|[^:;?>]+)/i.exec(uri.trim());
  if (!m) return null;
  return { user: decodeUser(m[1] ?? ""), host: (m[2] ?? "").toLowerCase() };
}

/** The host of the account's server setting ("pbx.example.com:5061" -> "pbx.example.com"). */
export function serverHost(server: string): string {
  const s = server.trim().toLowerCase().replace(/^sips?:/, "");
  if (s.startsWith("[")) return s.slice(0, s.indexOf("]") + 1);
  return s.split(/[:;/]/)[0] ?? "";
}

function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user; // a malformed %-escape from the network: compare it as written
  }
}

/**
 * What the card shows under the title. The URI adds information only when it is not a plain
 * number on the account's own PBX (another server, or a user part that is not the number);
 * otherwise the number, unless the title already is the number. null: no second line.
 */
export function callSubtitle(call: Call, accountServer: string | null): string | null {
  const title = callTitle(call);
  const uri = parseSipUri(call.remote_uri);
  const own = accountServer ? serverHost(accountServer) : null;
  const plain = uri !== null && own !== null && uri.host === own && (uri.user === "" || uri.user === call.number);
  if (!plain && call.remote_uri && call.remote_uri !== title) return call.remote_uri;
  if (call.number && call.number !== title) return call.number;
  return null;
}
