import { beforeEach, describe, expect, it, vi } from "vitest";
import { SCHEMA_VERSION, type ServerEvent } from "../src/api/protocol";
import { LANGUAGES, translate } from "../src/i18n";
import { en } from "../src/i18n/en";
import { snapshot } from "./fixtures";

/** The part of a socket.io client socket that connection.ts uses; the test plays the server. */
class FakeSocket {
  connected = false;
  active = true;
  readonly sent: unknown[] = [];
  private readonly handlers = new Map<string, ((...args: unknown[]) => void)[]>();

  on(name: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
    return this;
  }

  fire(name: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(name) ?? []) handler(...args);
  }

  serverConnects(): void {
    this.connected = true;
    this.fire("connect");
  }

  close(): void {
    this.connected = false;
    this.active = false;
    this.fire("disconnect", "io client disconnect");
  }

  connect(): void {}

  timeout(): { emitWithAck: (name: string, payload: unknown) => Promise<unknown> } {
    return {
      emitWithAck: (_name, payload) => {
        this.sent.push(payload);
        return Promise.resolve({ ok: true, result: {} });
      },
    };
  }
}

let socket: FakeSocket;
vi.mock("socket.io-client", () => ({ io: () => socket }));
const { connect } = await import("../src/api/connection");

function connected() {
  const conn = connect("secret");
  const events: ServerEvent[] = [];
  const statuses: string[] = [];
  conn.subscribeEvents((event) => events.push(event));
  conn.subscribeStatus((status) => statuses.push(status));
  socket.serverConnects();
  return { conn, events, statuses };
}

describe("the protocol version, checked once on connect", () => {
  beforeEach(() => {
    socket = new FakeSocket();
  });

  it("a snapshot of our version is applied and commands go", async () => {
    const { conn, events, statuses } = connected();
    socket.fire("event", snapshot());
    expect(events.map((e) => e.type)).toEqual(["snapshot"]);
    expect(statuses).toEqual(["connecting", "connected"]);
    expect(await conn.sendCommand("call.hangup", { call_id: "c1" })).toEqual({ ok: true, result: {} });
    expect(socket.sent).toEqual([{ name: "call.hangup", args: { call_id: "c1" } }]);
  });

  it.each([SCHEMA_VERSION + 1, undefined])(
    "a snapshot of version %s stops the connection: not applied, no command sent",
    async (schema) => {
      const { conn, events, statuses } = connected();
      socket.fire("event", { ...snapshot(), schema });
      socket.fire("event", { type: "call_removed", call_id: "c1" });
      expect(events).toEqual([]);
      expect(statuses.at(-1)).toBe("incompatible");
      expect(conn.status).toBe("incompatible");
      expect(socket.connected).toBe(false);
      expect(await conn.sendCommand("call.hangup", { call_id: "c1" })).toEqual({
        ok: false,
        error: "disconnected",
        field: null,
      });
      expect(socket.sent).toEqual([]);
    },
  );

  it("a snapshot delivered before the connect event counts (socket.io-client's buffer)", async () => {
    const conn = connect("secret");
    const events: ServerEvent[] = [];
    conn.subscribeEvents((event) => events.push(event));
    socket.connected = true;
    socket.fire("event", snapshot());
    socket.fire("connect");
    expect(events).toHaveLength(1);
    expect(conn.status).toBe("connected");
    expect((await conn.sendCommand("call.hangup", { call_id: "c1" })).ok).toBe(true);
  });

  it("a foreign snapshot delivered before the connect event stays incompatible", async () => {
    const conn = connect("secret");
    socket.connected = true;
    socket.fire("event", { ...snapshot(), schema: SCHEMA_VERSION + 1 });
    socket.fire("connect");
    expect(conn.status).toBe("incompatible");
    expect((await conn.sendCommand("call.hangup", { call_id: "c1" })).ok).toBe(false);
    expect(socket.sent).toEqual([]);
  });

  it("each connection is checked: a backend of another version after a reconnect stops it", () => {
    const { conn, events } = connected();
    socket.fire("event", snapshot());
    socket.connected = false;
    socket.fire("disconnect", "transport close");
    expect(conn.status).toBe("reconnecting");
    socket.serverConnects();
    socket.fire("event", { ...snapshot(), schema: SCHEMA_VERSION + 1 });
    expect(events).toHaveLength(1);
    expect(conn.status).toBe("incompatible");
  });

  it("no command goes between the connect and the snapshot that says the version", async () => {
    const { conn } = connected();
    expect((await conn.sendCommand("call.hangup", { call_id: "c1" })).ok).toBe(false);
    expect(socket.sent).toEqual([]);
  });

  it("later snapshots of the same connection are not checked again (an engine restart)", () => {
    const { events, statuses } = connected();
    socket.fire("event", snapshot());
    socket.fire("event", snapshot());
    expect(events).toHaveLength(2);
    expect(statuses.at(-1)).toBe("connected");
  });
});

describe("the mismatch message", () => {
  it.each(LANGUAGES.map((l) => [l]))("%s says the versions differ and asks to restart the app", (lang) => {
    const title = translate(lang, "app.incompatibleTitle");
    const body = translate(lang, "app.incompatibleBody");
    expect(title.trim()).not.toBe("");
    expect(body).not.toBe(translate(lang, "app.unauthorizedBody"));
    if (lang !== "en") expect(body).not.toBe(en["app.incompatibleBody"]);
  });

  it("the English text asks to quit and start the app again", () => {
    expect(en["app.incompatibleBody"]).toMatch(/different versions/);
    expect(en["app.incompatibleBody"]).toMatch(/start it again/);
  });
});
