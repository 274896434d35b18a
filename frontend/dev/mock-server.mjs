// Development stand-in for the Python backend: serves dist/ with the production CSP and speaks
// the wire protocol (docs/protocol.md) over Socket.IO with canned data. Loopback only.
//
//   npm run build && node dev/mock-server.mjs            # scenario "calls"
//   MOCK_SCENARIO=setup PORT=8765 node dev/mock-server.mjs
//
// MOCK_LANGUAGE / MOCK_THEME preset the settings; MOCK_REG_ERROR (+ MOCK_REG_CODE) shows a
// failed registration.
// Scenarios: calls (account + ringing/connected/held calls), idle (account, no calls),
// setup (no account: first-run screen). In the setup form, password "wrong" answers
// auth_failed, server "down" server_unreachable, server "slow" timeout, user "bad!" invalid_argument.

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";

const HOST = "127.0.0.1";
const PORT = Number(process.env.PORT ?? 0);
const TOKEN = process.env.MOCK_TOKEN ?? "dev-token";
const SCENARIO = process.env.MOCK_SCENARIO ?? "calls";
const DIST = resolve(fileURLToPath(new URL("../dist", import.meta.url)));
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:* ; img-src 'self' data:";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };

const now = Date.now();
const state = {
  account:
    SCENARIO === "setup"
      ? null
      : account({ server: "pbx.example.com", user: "1001", display_name: "Alex Martin", transport: "tls" }),
  registration:
    SCENARIO === "setup"
      ? { state: "unconfigured", error: null, code: null }
      : process.env.MOCK_REG_ERROR
        ? { state: "failed", error: process.env.MOCK_REG_ERROR, code: Number(process.env.MOCK_REG_CODE ?? 0) || null }
        : { state: "registered", error: null, code: null },
  settings: {
    language: process.env.MOCK_LANGUAGE ?? null,
    theme: process.env.MOCK_THEME ?? "system",
    call_waiting: true,
    dnd: false,
    forwarding: {
      unconditional: false, unconditional_to: "", busy: false, busy_to: "",
      no_answer: false, no_answer_to: "", no_answer_s: 20,
    },
    feature_codes: {
      forwarding_mode: "app", unconditional_on: "*72{number}", unconditional_off: "*73",
      busy_on: "*90{number}", busy_off: "*91", no_answer_on: "*52{number}", no_answer_off: "*53",
      pickup_prefix: "", voicemail: "",
    },
    blf_users: [],
    headset_integration: true,
    busylight_blink: true,
    busylight: "auto",
    notifications: true,
    directory_order: "first_last",
    directory: { carddav: null, ldap: null, sync_minutes: 60 },
    home_country: "CH",
    audio_input: null,
    audio_output: null,
    audio_ringer: null,
    headset_audio: "ask",
    headset_calls: null,
    ring_volume: 80,
    echo_cancellation: true,
    auto_gain: false,
    logs: false,
    close_to_tray: false,
    autostart: false,
    call_links_at_once: false,
    first_run_done: true,
    network: {
      sip_port: 0, rtp_port_min: 40000, rtp_port_max: 40099, stun_server: "", ice: false,
      turn_server: "", turn_user: "", keepalive_seconds: 15, outbound_proxy: "", sip_outbound: true,
    },
  },
  calls: new Map(),
};

// Every field the backend sends (the frontend relies on each: docs/protocol.md).
function account(fields) {
  return {
    auth_user: "", display_name: "", srtp: "off", dtmf_method: "rfc4733", realm: "",
    allow_direct_calls: false, accept_direct_calls: false, ...fields,
  };
}

// The in-call controls the backend allows in each state (softphone.domain.calls.allowed_actions).
const ACTIONS = {
  connected: ["hold", "mute", "transfer", "dtmf"],
  held: ["resume", "mute", "transfer"],
};
const withActions = (call) => ({ ...call, actions: ACTIONS[call.state] ?? [] });

function makeCall(fields) {
  return withActions({
    id: `c${Math.random().toString(36).slice(2, 8)}`,
    direction: "outgoing",
    state: "dialing",
    number: "",
    display_name: "",
    remote_uri: "",
    created_at: Date.now(),
    connected_at: null,
    ended_at: null,
    muted: false,
    held: false,
    end_reason: null,
    sip_code: null,
    transferred_by: "",
    retry_after_s: null,
    reason_text: "",
    conference: false,
    ...fields,
  });
}

if (SCENARIO === "calls") {
  for (const call of [
    makeCall({
      direction: "outgoing", state: "held", number: "+41 44 668 18 00", display_name: "Zurich Office",
      remote_uri: "sip:+41446681800@pbx.example.com", created_at: now - 900_000, connected_at: now - 890_000, held: true,
    }),
    makeCall({
      direction: "incoming", state: "connected", number: "1042", display_name: "Camille Dubois",
      remote_uri: "sip:1042@pbx.example.com", created_at: now - 200_000, connected_at: now - 194_000, muted: true,
    }),
    makeCall({
      direction: "incoming", state: "ringing_in", number: "+33 1 70 36 42 18", display_name: "Jean-Pierre Lefèvre",
      remote_uri: "sip:+33170364218@pbx.example.com", created_at: now - 4_000,
    }),
  ]) {
    state.calls.set(call.id, call);
  }
}

// Canned call history (scenarios other than "setup"): a few days, every outcome.
const HOUR = 3_600_000;
let history =
  SCENARIO === "setup"
    ? []
    : [
        ["incoming", "missed", "+41 79 555 01 23", "", 0.3, 0],
        ["outgoing", "answered", "1042", "Camille Dubois", 2, 312],
        ["incoming", "rejected", "+49 30 901820", "Berlin Sales", 5, 0],
        ["outgoing", "busy", "1017", "Marco Rossi", 26, 0],
        ["incoming", "answered", "+33 1 70 36 42 18", "Jean-Pierre Lefèvre", 29, 1834],
        ["outgoing", "cancelled_by_me", "0800 123 456", "", 75, 0],
        ["incoming", "missed", "1009", "Priya Natarajan", 98, 0],
        ["outgoing", "failed", "1999", "", 120, 0],
      ].map(([direction, outcome, number, display_name, hoursAgo, duration_s], i) => ({
        id: 100 - i, call_id: `h${i}`, direction, number, display_name,
        remote_uri: `sip:${number.replace(/ /g, "")}@pbx.example.com`,
        started_at: now - hoursAgo * HOUR, answered_at: duration_s ? now - hoursAgo * HOUR + 4000 : null,
        ended_at: now - hoursAgo * HOUR + 4000 + duration_s * 1000, duration_s, outcome,
        internal: /^[1-9]\d{0,5}$/.test(number), seen: outcome !== "missed" || i > 0, end_reason: null,
      }));
const missedCount = () => history.filter((e) => !e.seen).length;

const httpServer = createServer((req, res) => {
  const url = new URL(req.url ?? "/", `http://${HOST}`);
  const rel = url.pathname === "/" ? "index.html" : normalize(url.pathname).replace(/^([/\\])+/, "");
  const file = join(DIST, rel);
  if (!file.startsWith(DIST) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    return;
  }
  res.writeHead(200, {
    "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
  });
  createReadStream(file).pipe(res);
});

const io = new Server(httpServer, { transports: ["websocket"], serveClient: false });

io.use((socket, next) => {
  if (socket.handshake.auth?.token === TOKEN) next();
  else next(new Error("unauthorized"));
});

const emit = (payload) => io.emit("event", payload);
const snapshot = () => ({
  type: "snapshot",
  schema: 1,
  account: state.account,
  registration: state.registration,
  calls: [...state.calls.values()],
  settings: state.settings,
  missed_count: missedCount(),
  headsets: [],
  pending_link: null,
  voicemail: { waiting: false, new: 0, old: 0, account: "" },
});

function updateCall(id, fields) {
  const call = state.calls.get(id);
  if (!call) return;
  state.calls.set(id, withActions({ ...call, ...fields }));
  emit({ type: "call_changed", call: state.calls.get(id) });
}

function endCall(id, reason) {
  updateCall(id, { state: "ended", ended_at: Date.now(), end_reason: reason });
  setTimeout(() => {
    state.calls.delete(id);
    emit({ type: "call_removed", call_id: id });
  }, 300);
}

const ok = (result = {}) => ({ ok: true, result });
const fail = (error, field = null) => ({ ok: false, error, field });

const handlers = {
  "account.setup": async (args) => {
    await new Promise((r) => setTimeout(r, 900));
    if (!args.server) return fail("invalid_argument", "server");
    if (args.user === "bad!") return fail("invalid_argument", "user");
    if (args.server === "down") return fail("server_unreachable");
    if (args.server === "slow") return fail("timeout");
    if (args.password === "wrong") return fail("auth_failed");
    const { password: _password, ...fields } = args;
    state.account = account(fields);
    state.registration = { state: "registered", error: null, code: null };
    emit({ type: "account_changed", account: state.account });
    emit({ type: "registration_changed", registration: state.registration });
    return ok();
  },
  "account.sign_out": async () => {
    state.account = null;
    state.registration = { state: "unconfigured", error: null, code: null };
    emit({ type: "account_changed", account: null });
    emit({ type: "registration_changed", registration: state.registration });
    return ok();
  },
  "call.dial": async ({ number }) => {
    if (!/^[0-9*#+ a-zA-Z@.:_-]+$/.test(number ?? "")) return fail("invalid_number");
    const call = makeCall({ number, remote_uri: `sip:${number}@pbx.example.com` });
    state.calls.set(call.id, call);
    emit({ type: "call_changed", call: { ...call } });
    setTimeout(() => updateCall(call.id, { state: "ringing_out" }), 700);
    setTimeout(() => updateCall(call.id, { state: "connected", connected_at: Date.now() }), 2500);
    return ok({ call_id: call.id });
  },
  "call.answer": async ({ call_id }) => {
    if (!state.calls.has(call_id)) return fail("call_not_found");
    updateCall(call_id, { state: "connecting" });
    setTimeout(() => updateCall(call_id, { state: "connected", connected_at: Date.now() }), 300);
    return ok();
  },
  "call.reject": async ({ call_id }) => {
    if (!state.calls.has(call_id)) return fail("call_not_found");
    endCall(call_id, "rejected");
    return ok();
  },
  "call.hangup": async ({ call_id }) => {
    if (!state.calls.has(call_id)) return fail("call_not_found");
    endCall(call_id, "hangup_local");
    return ok();
  },
  "call.dtmf": async ({ call_id, digits }) => {
    if (!state.calls.has(call_id)) return fail("call_not_found");
    console.log(`dtmf ${call_id} ${digits}`);
    return ok();
  },
  "history.list": async ({ filter = "all", before, limit = 50 }) => {
    const rows = history.filter((e) => filter === "all" || e.outcome === "missed");
    const start = before ? rows.findIndex((e) => String(e.id) === before) + 1 : 0;
    const entries = rows.slice(start, start + limit);
    const more = start + limit < rows.length;
    return ok({ entries, next_cursor: more ? String(entries.at(-1).id) : null });
  },
  "history.delete_all": async () => {
    history = [];
    emit({ type: "history_cleared" });
    emit({ type: "missed_count", count: 0 });
    return ok();
  },
  "history.mark_seen": async () => {
    history = history.map((e) => ({ ...e, seen: true }));
    emit({ type: "missed_count", count: 0 });
    return ok();
  },
  "settings.update": async (args) => {
    state.settings = { ...state.settings, ...args };
    emit({ type: "settings_changed", settings: state.settings });
    return ok();
  },
};

io.on("connection", (socket) => {
  socket.emit("event", snapshot());
  socket.on("command", async (payload, ack) => {
    const handler = handlers[payload?.name];
    const reply = handler ? await handler(payload.args ?? {}) : fail("invalid_command");
    console.log(`command ${payload?.name} -> ${JSON.stringify(reply)}`);
    if (typeof ack === "function") ack(reply);
  });
});

httpServer.listen(PORT, HOST, () => {
  const { port } = httpServer.address();
  console.log(`mock backend (${SCENARIO}) on http://${HOST}:${port}/#token=${TOKEN}`);
});
