/** The one way views and state send commands: typed by protocol.ts's CommandMap, nothing re-declared. */

import type { Connection } from "./connection";
import type { Ack, CommandArgs, CommandName, CommandResult, ContactFileFormat, ImportReport } from "./protocol";
import { type Fetch, uploadContacts } from "./upload";

/** Commands that may take longer than DEFAULT_COMMAND_TIMEOUT_MS (connection.ts), and why. */
export const COMMAND_TIMEOUTS_MS: { readonly [N in CommandName]?: number } = {
  // Registration can take a while (DNS, TLS, digest retries).
  "account.setup": 45_000,
  "account.sign_in": 45_000,
  "account.refresh_provisioning": 45_000,
  // Tries a CardDAV or LDAP server as typed: a slow one must still get its answer shown.
  "directory.test": 20_000,
  "contacts.import": 60_000,
  // The check waits up to ~2 s per probe; an update registers again with the new settings.
  "network.check": 30_000,
  "network.update": 30_000,
  // The native save dialog waits for the user: minutes, not seconds.
  "logs.export": 10 * 60_000,
};

export interface CommandClient {
  /** Sends one command; its ack, or `disconnected` / `no_response` made on this side. */
  send<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<Ack<CommandResult<N>>>;
  /** contacts.import for a file: an HTTP upload (a socket message is limited to 64 KiB), same ack. */
  importFile(format: ContactFileFormat, file: Blob): Promise<Ack<ImportReport>>;
}

export function createClient(
  conn: Pick<Connection, "sendCommand">,
  token: string | null,
  fetchFn?: Fetch,
): CommandClient {
  return {
    send<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<Ack<CommandResult<N>>> {
      return conn.sendCommand(name, args, COMMAND_TIMEOUTS_MS[name]);
    },
    importFile(format, file) {
      return uploadContacts(token, format, file, fetchFn);
    },
  };
}
