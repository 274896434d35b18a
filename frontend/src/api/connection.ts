/** The Socket.IO connection to the local backend: auth, events in, commands out. */

import { io, type Socket } from "socket.io-client";
import {
  type Ack,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type ServerEvent,
  isForeignSnapshot,
  isServerEvent,
  toAck,
} from "./protocol";

/**
 * `connecting`: first attempt; `connected`; `reconnecting`: lost after having been connected
 * (socket.io retries by itself); `unauthorized`: the token was refused, retrying is pointless;
 * `incompatible`: the backend speaks another protocol version (its snapshot's `schema`), so the
 * connection was closed before any command: only restarting the app helps.
 */
export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "unauthorized" | "incompatible";

export type Unsubscribe = () => void;

export interface Connection {
  sendCommand<N extends CommandName>(
    name: N,
    args: CommandArgs<N>,
    timeoutMs?: number,
  ): Promise<Ack<CommandResult<N>>>;
  subscribeEvents(listener: (event: ServerEvent) => void): Unsubscribe;
  subscribeStatus(listener: (status: ConnectionStatus) => void): Unsubscribe;
  readonly status: ConnectionStatus;
  close(): void;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

export function connect(token: string | null): Connection {
  const socket: Socket = io({
    transports: ["websocket"],
    auth: { token: token ?? "" },
  });
  let status: ConnectionStatus = "connecting";
  const statusListeners = new Set<(status: ConnectionStatus) => void>();
  const eventListeners = new Set<(event: ServerEvent) => void>();
  // The snapshot is the first message of each connection: its version is checked then, once.
  // It may come before the "connect" event (socket.io-client delivers what it buffered first),
  // so the check is undone at a disconnect, not at a connect.
  let versionChecked = false;

  const setStatus = (next: ConnectionStatus) => {
    // incompatible is final: the "connect" event can still come after it (see versionChecked).
    if (next === status || status === "incompatible") return;
    status = next;
    for (const listener of statusListeners) listener(next);
  };

  socket.on("connect", () => setStatus("connected"));
  socket.on("disconnect", (reason) => {
    versionChecked = false;
    if (reason === "io client disconnect") return;
    // After a server-side disconnect socket.io does not retry on its own; ask it to.
    if (reason === "io server disconnect") socket.connect();
    setStatus("reconnecting");
  });
  socket.on("connect_error", () => {
    // socket.active stays true for transport failures (socket.io keeps retrying); it is false
    // when the server itself refused the handshake (wrong token), whatever its message says
    // ("unauthorized" per the protocol, "Connection rejected by server" from python-socketio).
    if (!socket.active) setStatus("unauthorized");
    else if (status === "connected") setStatus("reconnecting");
  });

  socket.on("event", (payload: unknown) => {
    if (status === "incompatible") return;
    if (!versionChecked && isServerEvent(payload) && payload.type === "snapshot") {
      versionChecked = true;
      if (isForeignSnapshot(payload)) {
        // Another version may read our commands differently: stop before sending any.
        setStatus("incompatible");
        socket.close();
        return;
      }
    }
    if (isServerEvent(payload)) for (const listener of eventListeners) listener(payload);
  });

  return {
    get status() {
      return status;
    },
    async sendCommand(name, args, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS) {
      // Socket.IO buffers emits while offline and replays them on reconnect: a dial sent
      // minutes later would be a surprise, so refuse instead. Nothing goes either before the
      // backend's version is known to be ours (its snapshot follows the connect at once).
      if (!socket.connected || !versionChecked) return { ok: false, error: "disconnected", field: null };
      try {
        const raw: unknown = await socket.timeout(timeoutMs).emitWithAck("command", { name, args });
        return toAck(raw);
      } catch {
        return { ok: false, error: "no_response", field: null };
      }
    },
    subscribeEvents(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    subscribeStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => {
        statusListeners.delete(listener);
      };
    },
    close() {
      socket.close();
    },
  };
}
