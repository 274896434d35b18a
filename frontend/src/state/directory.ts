/** Directory state: the Directory tab's search, the keypad's live matches, sync status. */

import { batch, signal, type Signal } from "@preact/signals";
import type {
  Ack,
  CommandErrorKey,
  Contact,
  ContactFields,
  ImportReport,
  ServerEvent,
  SourceStatus,
} from "../api/protocol";

type Empty = Record<string, never>;

/** Fewer typed characters than this do not search from the keypad (every contact matches "0"). */
export const KEYPAD_MIN_CHARS = 2;
export const KEYPAD_MATCHES = 5;
/** Typing pauses shorter than this do not send a search; the backend answers in ~1 ms anyway. */
export const SEARCH_DEBOUNCE_MS = 120;

/** The directory commands; the app passes the real ones, tests pass fakes. */
export interface DirectoryApi {
  search(query: string, limit: number): Promise<Ack<{ query: string; contacts: Contact[] }>>;
  status(): Promise<Ack<{ sources: SourceStatus[] }>>;
  refresh(): Promise<Ack<Empty>>;
  create(fields: ContactFields): Promise<Ack<{ contact: Contact }>>;
  update(id: number, fields: ContactFields): Promise<Ack<{ contact: Contact }>>;
  remove(id: number): Promise<Ack<Empty>>;
  /** Sends the file as it is (the backend checks size and encoding); over the limit: too_large. */
  importFile(format: "vcard" | "csv", file: Blob): Promise<Ack<ImportReport>>;
  exportData(format: "vcard" | "csv"): Promise<Ack<{ filename: string; data: string }>>;
}

/** One search box: the latest answer wins, answers to older queries are dropped. */
export class LiveSearch {
  readonly query: Signal<string> = signal("");
  readonly results: Signal<readonly Contact[]> = signal([]);
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: DirectoryApi,
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
    const ack = await this.api.search(query, this.limit);
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
    private readonly api: DirectoryApi,
    private readonly onError: (error: CommandErrorKey) => void = () => {},
  ) {
    this.tab = new LiveSearch(api, 100, 0, onError);
    this.keypad = new LiveSearch(api, KEYPAD_MATCHES, KEYPAD_MIN_CHARS, onError);
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
    const ack = await this.api.status();
    if (ack.ok) this.statuses.value = ack.result.sources;
  }

  async refresh(): Promise<void> {
    const ack = await this.api.refresh();
    if (!ack.ok) this.onError(ack.error);
  }

  /** Create (id null) or update a personal contact; the error's field for the form, or null. */
  async save(id: number | null, fields: ContactFields): Promise<Ack<{ contact: Contact }>> {
    const ack = id === null ? await this.api.create(fields) : await this.api.update(id, fields);
    if (ack.ok) batch(() => void this.tab.run());
    return ack;
  }

  async remove(id: number): Promise<void> {
    const ack = await this.api.remove(id);
    if (!ack.ok) this.onError(ack.error);
  }

  importFile(format: "vcard" | "csv", file: Blob): Promise<Ack<ImportReport>> {
    return this.api.importFile(format, file);
  }

  async exportData(format: "vcard" | "csv"): Promise<{ filename: string; data: string } | null> {
    const ack = await this.api.exportData(format);
    if (!ack.ok) {
      this.onError(ack.error);
      return null;
    }
    return ack.result;
  }
}
