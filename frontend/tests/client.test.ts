import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMAND_TIMEOUTS_MS, createClient } from "../src/api/client";
import type { Connection } from "../src/api/connection";
import type { Ack } from "../src/api/protocol";

function recordingConnection() {
  const sent: { name: string; args: unknown; timeoutMs: number | undefined }[] = [];
  const conn: Pick<Connection, "sendCommand"> = {
    sendCommand: async (name, args, timeoutMs) => {
      sent.push({ name, args, timeoutMs });
      return { ok: true, result: {} } as Ack<never>;
    },
  };
  return { conn, sent };
}

describe("command client", () => {
  it("sends name and arguments as given, with the command's own timeout or the default", async () => {
    const { conn, sent } = recordingConnection();
    const client = createClient(conn, "t");
    await client.send("call.dial", { number: "1002" });
    await client.send("account.setup", { server: "pbx.test", user: "1001", password: "x", transport: "udp" });
    await client.send("logs.export", {});
    expect(sent).toEqual([
      { name: "call.dial", args: { number: "1002" }, timeoutMs: undefined },
      {
        name: "account.setup",
        args: { server: "pbx.test", user: "1001", password: "x", transport: "udp" },
        timeoutMs: 45_000,
      },
      { name: "logs.export", args: {}, timeoutMs: 10 * 60_000 },
    ]);
    expect(COMMAND_TIMEOUTS_MS["directory.test"]).toBe(20_000);
  });

  it("imports a file as an HTTP upload with the token, not over the socket", async () => {
    const { conn, sent } = recordingConnection();
    const requests: { input: string; auth: unknown }[] = [];
    const report = { imported: 1, rejected: [], rejected_count: 0 };
    const client = createClient(conn, "secret", async (input, init) => {
      requests.push({ input, auth: (init.headers as Record<string, string>)["Authorization"] });
      return new Response(JSON.stringify({ ok: true, result: report }));
    });
    expect(await client.importFile("vcard", new Blob(["BEGIN:VCARD\r\n"]))).toEqual({ ok: true, result: report });
    expect(requests).toEqual([{ input: "/import/contacts?format=vcard", auth: "Bearer secret" }]);
    expect(sent).toEqual([]);
  });
});

describe("views and state", () => {
  const read = (dir: string) =>
    readdirSync(new URL(`../src/${dir}/`, import.meta.url)).map((name) => ({
      name: `${dir}/${name}`,
      text: readFileSync(new URL(`../src/${dir}/${name}`, import.meta.url), "utf8"),
    }));

  it("send commands only through the command client", () => {
    const files = [...read("views"), ...read("state")];
    expect(files.length).toBeGreaterThan(40);
    const offenders = files.filter(({ text }) => text.includes("sendCommand")).map(({ name }) => name);
    expect(offenders).toEqual([]);
  });
});
