/** Call forwarding rules (unconditional, busy, no answer after N s), by the app or by the PBX. */

import { useSignal } from "@preact/signals";
import type { FeatureCodes, Forwarding } from "../api/protocol";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";

const CODE_FIELDS = [
  "unconditional_on",
  "unconditional_off",
  "busy_on",
  "busy_off",
  "no_answer_on",
  "no_answer_off",
] as const;

type Rule = "unconditional" | "busy" | "no_answer";
const RULES: readonly Rule[] = ["unconditional", "busy", "no_answer"];

export function ForwardingDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { store, actions } = useApp();
  const draft = useSignal<Forwarding>(store.settings.value.forwarding);
  const codes = useSignal<FeatureCodes>(store.settings.value.feature_codes);
  const set = (changes: Partial<Forwarding>) => (draft.value = { ...draft.value, ...changes });
  const setCodes = (changes: Partial<FeatureCodes>) => (codes.value = { ...codes.value, ...changes });
  const pbx = codes.value.forwarding_mode === "pbx";
  const save = async () => {
    // One update: the backend sees mode and rules together and dials only what changed.
    const ack = await actions.updateSettings({ forwarding: draft.value, feature_codes: codes.value });
    if (ack.ok) onClose();
  };
  return (
    <Dialog title={t("forwarding.title")} onClose={onClose}>
      <fieldset class="forwarding__mode">
        <legend class="field__label">{t("forwarding.mode")}</legend>
        {(["app", "pbx"] as const).map((mode) => (
          <label key={mode} class="forwarding__toggle">
            <input type="radio" name="forwarding-mode" value={mode} checked={codes.value.forwarding_mode === mode}
              onChange={() => setCodes({ forwarding_mode: mode })} />
            {t(mode === "app" ? "forwarding.modeApp" : "forwarding.modePbx")}
          </label>
        ))}
      </fieldset>
      <p class="field__hint forwarding__note" role="note">
        {t(pbx ? "forwarding.pbxNote" : "forwarding.clientNote")}
      </p>
      {pbx && <p class="field__hint forwarding__confirm-note">{t("forwarding.pbxConfirm")}</p>}
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
      <label class="field forwarding__voicemail">
        <span class="field__label">{t("forwarding.voicemail")}</span>
        <input class="input" maxLength={33} spellcheck={false} inputMode="tel"
          placeholder={t("forwarding.voicemailHint")} value={codes.value.voicemail}
          onInput={(e) => setCodes({ voicemail: e.currentTarget.value })} />
      </label>
      {pbx && (
        <fieldset class="forwarding__codes">
          <legend class="field__label">{t("forwarding.codes")}</legend>
          {CODE_FIELDS.map((name) => (
            <label key={name} class="forwarding__code">
              <span>{t(`forwarding.code.${name}` as MessageKey)}</span>
              <input class="input" maxLength={32} spellcheck={false} value={codes.value[name]}
                onInput={(e) => setCodes({ [name]: e.currentTarget.value })} />
            </label>
          ))}
        </fieldset>
      )}
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
