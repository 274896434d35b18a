/** Entry point: token, connection, store and actions are built here and handed to the views. */

import { computed } from "@preact/signals";
import { render } from "preact";
import {
  audioDevices,
  configureAudio,
  createContact,
  deleteContact,
  deleteHistory,
  directoryStatus,
  exportContacts,
  listHistory,
  markHistorySeen,
  micTest,
  refreshDirectory,
  searchDirectory,
  speakerTest,
  useHeadsetAudio,
  declineHeadsetAudio,
  dismissLink,
  headsetAudioState,
  updateContact,
} from "./api/commands";
import { connect } from "./api/connection";
import { uploadContacts } from "./api/upload";
import { browserTokenEnvironment, takeToken } from "./api/token";
import { resolveLanguage } from "./i18n";
import { Actions } from "./state/actions";
import { AudioState } from "./state/audio";
import { DirectoryState } from "./state/directory";
import { HistoryState } from "./state/history";
import { LinkInbox } from "./state/links";
import { Store } from "./state/store";
import { UiState } from "./state/ui";
import "./styles/index.css";
import { App } from "./views/App";

const token = takeToken(browserTokenEnvironment());
const conn = connect(token);
const store = new Store();
const ui = new UiState();
const actions = new Actions(conn, store, ui);
const history = new HistoryState(
  {
    list: (args) => listHistory(conn, args),
    deleteAll: () => deleteHistory(conn),
    markSeen: () => markHistorySeen(conn),
  },
  (error) => ui.notify(error),
);
const directory = new DirectoryState(
  {
    search: (query, limit) => searchDirectory(conn, query, limit),
    status: () => directoryStatus(conn),
    refresh: () => refreshDirectory(conn),
    create: (fields) => createContact(conn, fields),
    update: (id, fields) => updateContact(conn, id, fields),
    remove: (id) => deleteContact(conn, id),
    importFile: (format, file) => uploadContacts(token, format, file),
    exportData: (format) => exportContacts(conn, format),
  },
  (error) => ui.notify(error),
);
const language = computed(() =>
  resolveLanguage(store.settings.value.language, navigator.languages ?? [navigator.language]),
);

conn.subscribeEvents((event) => store.apply(event));
conn.subscribeEvents((event) => history.apply(event));
conn.subscribeEvents((event) => directory.apply(event));
const audio = new AudioState(
  {
    devices: () => audioDevices(conn),
    configure: (args) => configureAudio(conn, args),
    micTest: (on) => micTest(conn, on),
    speakerTest: (target) => speakerTest(conn, target),
    useHeadset: (key) => useHeadsetAudio(conn, key),
    declineHeadset: (key) => declineHeadsetAudio(conn, key),
    headsetState: () => headsetAudioState(conn),
  },
  (error) => ui.notify(error),
);
conn.subscribeEvents((event) => audio.apply(event));
const links = new LinkInbox(ui, (id) => dismissLink(conn, id));
conn.subscribeEvents((event) => links.apply(event));
conn.subscribeStatus((status) => (store.connection.value = status));

const root = document.getElementById("app");
if (root) render(<App services={{ store, ui, actions, history, directory, audio, links, language }} />, root);
