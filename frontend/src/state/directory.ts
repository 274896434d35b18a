/** Directory state: the Directory tab's search, the keypad's live matches, sync status. */

import { batch, signal, type Signal } from "@preact/signals";
import type { CommandClient } from "../api/client";
import type {
  Ack,
  CommandErrorKey,
  CommandResult,
  Contact,
  ContactFields,
  ContactFileFormat,
  ImportReport,
  ServerEvent,
  SourceStatus,
} from "../api/protocol";

/** Fewer typed characters than this do not search from the keypad (every contact matches "0"). */
export const KEYPAD_MIN_CHARS = 2;
export const KEYPAD_MATCHES = 5;
/** Typing pauses shorter than this do not send a search; the backend answers in ~1 ms anyway. */
export const SEARCH_DEBOUNCE_MS = 120;

/** One search box: the latest answer wins, answers to older queries are dropped. */
export class LiveSearch {
  readonly query: Signal<string> = signal("");
  readonly results: Signal<readonly Contact[]> = signal([]);
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: CommandClient,
    private readonly limit: number,
    private readonly minChars: number,
    private readonly onError: (error: CommandErrorKey) => void,
    private readonly debounceMs = SEARCH_DEBOUNCE_MS,
  ) {}

  set(query: string): void {
    this.query.value = query;
    clearTimeout(this.timer);
    if (query.trim().length < this.minChars) {
      this.generation++;
      this.results.value = [];
      return;
    }
    this.timer = setTimeout(() => void this.run(), this.debounceMs);
  }

  async run(): Promise<void> {
    const query = this.query.value;
    if (query.trim().length < this.minChars) return;
    const generation = ++this.generation;
    const ack = await this.client.send("directory.search", { query, limit: this.limit });
    if (generation !== this.generation) return;
    if (!ack.ok) return this.onError(ack.error);
    this.results.value = ack.result.contacts;
  }
}

export class DirectoryState {
  /** The Directory tab: an empty query lists everyone from A. */
  readonly tab: LiveSearch;
  /** Matches under the keypad's number field. */
  readonly keypad: LiveSearch;
  readonly statuses: Signal<readonly SourceStatus[]> = signal([]);

  constructor(
    private readonly client: CommandClient,
    private readonly onError: (error: CommandErrorKey) => void = () => {},
  ) {
    this.tab = new LiveSearch(client, 100, 0, onError);
    this.keypad = new LiveSearch(client, KEYPAD_MATCHES, KEYPAD_MIN_CHARS, onError);
  }

  apply(event: ServerEvent): void {
    switch (event.type) {
      case "snapshot":
        void this.loadStatus();
        break;
      case "directory_changed":
        void this.tab.run();
        void this.keypad.run();
        break;
      case "directory_status":
        this.statuses.value = event.sources;
        break;
    }
  }

  async loadStatus(): Promise<void> {
    const ack = await this.client.send("directory.status", {});
    if (ack.ok) this.statuses.value = ack.result.sources;
  }

  async refresh(): Promise<void> {
    const ack = await this.client.send("directory.refresh", {});
    if (!ack.ok) this.onError(ack.error);
  }

  /** Create (id null) or update a personal contact; the error's field for the form, or null. */
  async save(id: number | null, fields: ContactFields): Promise<Ack<{ contact: Contact }>> {
    const ack =
      id === null
        ? await this.client.send("contacts.create", fields)
        : await this.client.send("contacts.update", { id, ...fields });
    if (ack.ok) batch(() => void this.tab.run());
    return ack;
  }

  async remove(id: number): Promise<void> {
    const ack = await this.client.send("contacts.delete", { id });
    if (!ack.ok) this.onError(ack.error);
  }

  /** Sends the file as it is (the backend checks size and encoding); over the limit: too_large. */
  importFile(format: ContactFileFormat, file: Blob): Promise<Ack<ImportReport>> {
    return this.client.importFile(format, file);
  }

  async exportData(format: ContactFileFormat): Promise<CommandResult<"contacts.export"> | null> {
    const ack = await this.client.send("contacts.export", { format });
    if (!ack.ok) {
      this.onError(ack.error);
      return null;
    }
    return ack.result;
  }
}
