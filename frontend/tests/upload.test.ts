import { describe, expect, it } from "vitest";
import { IMPORT_PATH, MAX_IMPORT_BYTES, uploadContacts, type Fetch } from "../src/api/upload";

function recordingFetch(answer: () => Promise<Response>) {
  const calls: { input: string; init: RequestInit }[] = [];
  const fetchFn: Fetch = (input, init) => {
    calls.push({ input, init });
    return answer();
  };
  return { calls, fetchFn };
}

const json = (body: unknown, status = 200) =>
  Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));

describe("contact file upload", () => {
  it("refuses a file over the limit with too_large without sending it", async () => {
    const { calls, fetchFn } = recordingFetch(() => json({ ok: true, result: {} }));
    const big = new Blob([new Uint8Array(MAX_IMPORT_BYTES + 1)]);
    expect(await uploadContacts("t", "vcard", big, fetchFn)).toEqual({ ok: false, error: "too_large", field: null });
    expect(calls).toHaveLength(0);
  });

  it("posts the file with the token and returns the import report", async () => {
    const report = { imported: 2, rejected: [], rejected_count: 0 };
    const { calls, fetchFn } = recordingFetch(() => json({ ok: true, result: report }));
    const file = new Blob(["BEGIN:VCARD\r\n"]);
    expect(await uploadContacts("secret", "csv", file, fetchFn)).toEqual({ ok: true, result: report });
    expect(calls[0]!.input).toBe(`${IMPORT_PATH}?format=csv`);
    expect(calls[0]!.init.method).toBe("POST");
    expect(calls[0]!.init.body).toBe(file);
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBe("Bearer secret");
    expect(calls[0]!.init.credentials).toBe("omit");
  });

  it("passes the backend's error key on and maps failures to keys", async () => {
    const tooLarge = recordingFetch(() => json({ ok: false, error: "too_large", field: null }, 413));
    expect(await uploadContacts("t", "vcard", new Blob(["x"]), tooLarge.fetchFn)).toEqual({
      ok: false,
      error: "too_large",
      field: null,
    });
    const down = recordingFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    expect((await uploadContacts("t", "vcard", new Blob(["x"]), down.fetchFn)).ok).toBe(false);
    const refused = recordingFetch(() => Promise.resolve(new Response("unauthorized\n", { status: 401 })));
    expect(await uploadContacts("t", "vcard", new Blob(["x"]), refused.fetchFn)).toEqual({
      ok: false,
      error: "internal_error",
      field: null,
    });
  });
});
