/** Edit the monitored colleagues: ticked in the list of internal users, or extension + name by hand. */

import { Plus, Trash2 } from "lucide-preact";
import { useSignal } from "@preact/signals";
import type { MonitoredUser } from "../api/protocol";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";
import { DirectoryColleagues } from "./DirectoryColleagues";

/** The backend's limit (domain/colleagues.py MAX_MONITORED): one subscription per colleague. */
const MAX_USERS = 200;

export function ColleaguesDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { store, actions } = useApp();
  const users = useSignal<MonitoredUser[]>([...store.settings.value.blf_users]);
  const extension = useSignal("");
  const name = useSignal("");
  const codes = store.settings.value.feature_codes;
  const prefix = useSignal(codes.pickup_prefix);
  const add = () => {
    const ext = extension.value.trim();
    if (!ext || users.value.some((u) => u.extension === ext) || users.value.length >= MAX_USERS) return;
    users.value = [...users.value, { extension: ext, name: name.value.trim() }];
    extension.value = "";
    name.value = "";
  };
  const save = async () => {
    const ack = await actions.updateSettings({
      blf_users: users.value,
      feature_codes: { ...codes, pickup_prefix: prefix.value.trim() },
    });
    if (ack.ok) onClose();
  };
  return (
    <Dialog title={t("colleagues.edit")} subtitle={t("colleagues.editHint")} onClose={onClose}>
      <DirectoryColleagues users={users} max={MAX_USERS} />
      {users.value.length > 0 && <h3 class="blf-edit__heading">{t("colleagues.monitored")}</h3>}
      <ul class="blf-edit">
        {users.value.map((user) => (
          <li key={user.extension} class="blf-edit__row">
            <span class="blf-edit__name">{user.name || user.extension}</span>
            <span class="blf-edit__ext">{user.extension}</span>
            <button
              type="button"
              class="icon-button"
              aria-label={t("colleagues.remove", { name: user.name || user.extension })}
              onClick={() => (users.value = users.value.filter((u) => u.extension !== user.extension))}
            >
              <Trash2 size={16} />
            </button>
          </li>
        ))}
      </ul>
      <h3 class="blf-edit__heading">{t("colleagues.byHand")}</h3>
      <form
        class="field-row blf-edit__add"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <div class="field field--narrow">
          <label for="blf-extension" class="field__label">
            {t("colleagues.extension")}
          </label>
          <input
            id="blf-extension"
            class="input"
            maxLength={32}
            value={extension.value}
            onInput={(e) => (extension.value = e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="blf-name" class="field__label">
            {t("colleagues.name")}
          </label>
          <input
            id="blf-name"
            class="input"
            maxLength={64}
            value={name.value}
            onInput={(e) => (name.value = e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="button button--ghost blf-edit__add-button"
          disabled={users.value.length >= MAX_USERS}>
          <Plus size={16} />
          {t("colleagues.add")}
        </button>
      </form>
      {codes && (
        <div class="field field--narrow">
          <label for="blf-pickup-prefix" class="field__label">
            {t("colleagues.pickupPrefix")}
          </label>
          <input id="blf-pickup-prefix" class="input" maxLength={8} spellcheck={false}
            aria-describedby="blf-pickup-prefix-hint" value={prefix.value}
            onInput={(e) => (prefix.value = e.currentTarget.value)} />
          <p id="blf-pickup-prefix-hint" class="field__hint">{t("colleagues.pickupPrefixHint")}</p>
        </div>
      )}
      <div class="dialog__actions">
        <button type="button" class="button button--ghost" onClick={onClose}>
          {t("colleagues.cancel")}
        </button>
        <button type="button" class="button button--primary blf-edit__save" onClick={() => void save()}>
          {t("colleagues.save")}
        </button>
      </div>
    </Dialog>
  );
}
