/** Busy lamp field panel: monitored colleagues with a line-state dot, call and pickup buttons. */

import { ArrowRightLeft, Pencil, Phone, PhoneIncoming, UsersRound, X } from "lucide-preact";
import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import type { Ack, LineState, MonitoredUser } from "../api/protocol";
import type { MessageKey } from "../i18n";
import { ColleaguesDialog } from "./ColleaguesDialog";
import { useApp, useT } from "./context";
import { EmptyState } from "./EmptyState";

export function ColleaguesPanel() {
  const t = useT();
  const { ui, store, client } = useApp();
  const editing = useSignal(false);
  const users = store.settings.value.blf_users;
  const ready = store.ready.value;
  // A snapshot replaces all state but carries no line states: ask for them once per snapshot.
  useEffect(() => {
    if (!ready) return;
    void client.send("blf.states", {}).then((ack) => {
      if (!ack.ok) return;
      const lines: Record<string, LineState> = { ...store.lines.value };
      for (const line of ack.result.states) lines[line.extension] = line;
      store.lines.value = lines;
    });
  }, [ready, store, client]);
  return (
    <aside
      id="colleagues-panel"
      class={ui.colleaguesOpen.value ? "panel colleagues is-open" : "panel colleagues"}
      aria-labelledby="colleagues-title"
    >
      <div class="panel__header">
        <h2 id="colleagues-title" class="panel__title">
          {t("colleagues.title")}
        </h2>
        <div class="panel__actions">
          <button
            type="button"
            class="icon-button colleagues__edit"
            aria-label={t("colleagues.edit")}
            title={t("colleagues.edit")}
            onClick={() => (editing.value = true)}
          >
            <Pencil size={16} />
          </button>
          <button
            type="button"
            class="icon-button colleagues__close"
            aria-label={t("settings.close")}
            onClick={() => (ui.colleaguesOpen.value = false)}
          >
            <X size={16} />
          </button>
        </div>
      </div>
      <div class="panel__body">
        {users.length === 0 ? (
          <div class="colleagues__empty">
            <EmptyState
              icon={<UsersRound size={22} />}
              title={t("colleagues.empty")}
              hint={t("colleagues.emptyHint")}
            />
            {/* A real button, not only the pencil: the manual's panel invites to tick colleagues. */}
            <button type="button" class="button button--secondary colleagues__choose"
              onClick={() => (editing.value = true)}>
              {t("colleagues.choose")}
            </button>
          </div>
        ) : (
          <ul class="blf-list">
            {users.map((user) => (
              <ColleagueRow key={user.extension} user={user} />
            ))}
          </ul>
        )}
      </div>
      {editing.value && <ColleaguesDialog onClose={() => (editing.value = false)} />}
    </aside>
  );
}

function ColleagueRow({ user }: { user: MonitoredUser }) {
  const t = useT();
  const { store, actions, ui, client } = useApp();
  const line = store.lines.value[user.extension];
  const state = line?.state ?? "unknown";
  const stateText = line?.dnd && state === "busy" ? t("blf.dnd") : t(`blf.${state}` as MessageKey);
  const name = user.name || user.extension;
  // In transfer mode the call button transfers the current call to this colleague.
  const transferring = actions.transferring() !== undefined;
  const callLabel = transferring ? t("transfer.to", { name }) : t("blf.call", { name });
  const report = (ack: Ack<unknown>) => {
    if (!ack.ok) ui.notify(ack.error);
  };
  return (
    // The manual's row: green phone (call) on the left, the state dot on the right.
    <li class={`blf-row blf-row--${state}${transferring ? " is-transfer-target" : ""}`} data-extension={user.extension}>
      <button
        type="button"
        class={transferring ? "icon-button blf-row__call transfer-target" : "icon-button blf-row__call"}
        aria-label={callLabel}
        title={callLabel}
        onClick={() => void actions.callOrTransfer(user.extension)}
      >
        {transferring ? <ArrowRightLeft size={16} /> : <Phone size={16} />}
      </button>
      <span class="blf-row__who">
        <span class="blf-row__name">{name}</span>
        <span class="blf-row__ext">{user.extension}</span>
      </span>
      {line?.pickup && (
        <button
          type="button"
          class="icon-button blf-row__pickup"
          aria-label={t("blf.pickup", { name })}
          title={t("blf.pickup", { name })}
          onClick={() => void client.send("blf.pickup", { extension: user.extension }).then(report)}
        >
          <PhoneIncoming size={16} />
        </button>
      )}
      <span
        class={`blf-dot blf-dot--${state}`}
        role="img"
        aria-label={stateText}
        title={stateText}
        data-state={state}
      />
    </li>
  );
}
