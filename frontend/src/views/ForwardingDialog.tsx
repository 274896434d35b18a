/** Call forwarding rules: unconditional, when busy, when not answered after N seconds. */

import { useSignal } from "@preact/signals";
import type { Forwarding } from "../api/protocol";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";

const EMPTY: Forwarding = {
  unconditional: false,
  unconditional_to: "",
  busy: false,
  busy_to: "",
  no_answer: false,
  no_answer_to: "",
  no_answer_s: 20,
};

type Rule = "unconditional" | "busy" | "no_answer";
const RULES: readonly Rule[] = ["unconditional", "busy", "no_answer"];

export function ForwardingDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { store, actions } = useApp();
  const draft = useSignal<Forwarding>({ ...EMPTY, ...(store.settings.value.forwarding ?? {}) });
  const set = (changes: Partial<Forwarding>) => (draft.value = { ...draft.value, ...changes });
  const save = async () => {
    const ack = await actions.updateSettings({ forwarding: draft.value });
    if (ack.ok) onClose();
  };
  return (
    <Dialog title={t("forwarding.title")} onClose={onClose}>
      <p class="field__hint forwarding__note" role="note">
        {t("forwarding.clientNote")}
      </p>
      {RULES.map((rule) => (
        <div class="forwarding__rule" key={rule}>
          <label class="forwarding__toggle">
            <input
              type="checkbox"
              class={`forwarding__${rule}`}
              checked={draft.value[rule]}
              onChange={(e) => set({ [rule]: e.currentTarget.checked })}
            />
            {t(`forwarding.${rule}` as MessageKey)}
          </label>
          <input
            class={`input forwarding__${rule}-to`}
            aria-label={t("forwarding.target")}
            placeholder={t("forwarding.target")}
            maxLength={128}
            value={draft.value[`${rule}_to`]}
            onInput={(e) => set({ [`${rule}_to`]: e.currentTarget.value })}
          />
          {rule === "no_answer" && (
            <label class="forwarding__seconds">
              {t("forwarding.after")}
              <input
                type="number"
                class="input"
                min={5}
                max={120}
                value={draft.value.no_answer_s}
                onInput={(e) => set({ no_answer_s: Number(e.currentTarget.value) || 20 })}
              />
              {t("forwarding.seconds")}
            </label>
          )}
        </div>
      ))}
      <div class="dialog__actions">
        <button type="button" class="button button--ghost" onClick={onClose}>
          {t("colleagues.cancel")}
        </button>
        <button type="button" class="button button--primary forwarding__save" onClick={() => void save()}>
          {t("colleagues.save")}
        </button>
      </div>
    </Dialog>
  );
}
