/**
 * Contact files go to the backend as the body of an authenticated HTTP POST, not over the socket:
 * a Socket.IO message is limited to 64 KiB, and a bigger one closes the connection unanswered.
 */

import { type Ack, type ContactFileFormat, type ImportReport, toAck } from "./protocol";

/** The documented import limit (backend MAX_IMPORT_BYTES): bigger files are refused here, unsent. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
export const IMPORT_PATH = "/import/contacts";
export const UPLOAD_TIMEOUT_MS = 60_000;

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Sends `file` to `POST /import/contacts?format=...` with the per-launch token; the answer is the
 * same ack `contacts.import` gives. Over the limit: `too_large` without sending a byte.
 */
export async function uploadContacts(
  token: string | null,
  format: ContactFileFormat,
  file: Blob,
  fetchFn: Fetch = (input, init) => fetch(input, init),
): Promise<Ack<ImportReport>> {
  if (file.size > MAX_IMPORT_BYTES) return { ok: false, error: "too_large", field: null };
  let response: Response;
  try {
    response = await fetchFn(`${IMPORT_PATH}?format=${encodeURIComponent(format)}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token ?? ""}`, "Content-Type": "application/octet-stream" },
      body: file,
      cache: "no-store",
      credentials: "omit",
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    });
  } catch {
    return { ok: false, error: "no_response", field: null };
  }
  try {
    return toAck<ImportReport>(await response.json());
  } catch {
    return { ok: false, error: "internal_error", field: null };  // 401/403: no JSON body
  }
}
