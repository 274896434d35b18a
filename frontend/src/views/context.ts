/** What every view needs, passed down once through a Preact context (no module singletons). */

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { CommandClient } from "../api/client";
import type { Connection } from "../api/connection";
import type { Language } from "../api/protocol";
import { translator, type Translate } from "../i18n";
import type { Actions } from "../state/actions";
import type { AudioState } from "../state/audio";
import type { DirectoryState } from "../state/directory";
import type { HistoryState } from "../state/history";
import type { LinkInbox } from "../state/links";
import type { Store } from "../state/store";
import type { UiState } from "../state/ui";
import type { ReadonlySignal } from "@preact/signals";

export interface AppServices {
  /** Every command a view sends goes through it. */
  client: CommandClient;
  /** Backend events, for a view that follows one as it comes (call quality samples). */
  events: Pick<Connection, "subscribeEvents">;
  store: Store;
  ui: UiState;
  actions: Actions;
  history: HistoryState;
  directory: DirectoryState;
  audio: AudioState;
  links: LinkInbox;
  language: ReadonlySignal<Language>;
}

export const AppContext = createContext<AppServices | null>(null);

export function useApp(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error("useApp() outside <AppContext.Provider>");
  return services;
}

/** The translate function for the current language; reading it re-renders on a language switch. */
export function useT(): Translate {
  return translator(useApp().language.value);
}
