/** Entry point: token, connection, command client, store and actions are built here and handed to the views. */

import { computed } from "@preact/signals";
import { render } from "preact";
import { createClient } from "./api/client";
import { connect } from "./api/connection";
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
const client = createClient(conn, token);
const actions = new Actions(client, store, ui);
const history = new HistoryState(client, (error) => ui.notify(error));
const directory = new DirectoryState(client, (error) => ui.notify(error));
const language = computed(() =>
  resolveLanguage(store.settings.value.language, navigator.languages ?? [navigator.language]),
);

conn.subscribeEvents((event) => store.apply(event));
conn.subscribeEvents((event) => history.apply(event));
conn.subscribeEvents((event) => directory.apply(event));
const audio = new AudioState(client, (error) => ui.notify(error));
conn.subscribeEvents((event) => audio.apply(event));
const links = new LinkInbox(ui, client);
conn.subscribeEvents((event) => links.apply(event));
conn.subscribeStatus((status) => (store.connection.value = status));

const root = document.getElementById("app");
if (root) {
  const services = { client, events: conn, store, ui, actions, history, directory, audio, links, language };
  render(<App services={services} />, root);
}
