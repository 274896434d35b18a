/** Settings > Network (advanced): SIP and RTP ports, keep-alives, STUN, ICE, TURN, proxy, SIP outbound. */

import { LoaderCircle } from "lucide-preact";
import { useState } from "preact/hooks";
import type { NetworkChanges, NetworkSettings } from "../api/network";
import { errorText, type MessageKey } from "../i18n";
import { useApp, useT } from "./context";

type NumberField = "sip_port" | "rtp_port_min" | "rtp_port_max" | "keepalive_seconds";
type TextField = "stun_server" | "turn_server" | "turn_user" | "outbound_proxy";
type Draft = Record<NumberField | TextField, string> & { ice: boolean; sip_outbound: boolean };

function toDraft(n: NetworkSettings): Draft {
  return {
    sip_port: n.sip_port ? String(n.sip_port) : "",
    rtp_port_min: String(n.rtp_port_min),
    rtp_port_max: String(n.rtp_port_max),
    keepalive_seconds: String(n.keepalive_seconds),
    stun_server: n.stun_server,
    turn_server: n.turn_server,
    turn_user: n.turn_user,
    outbound_proxy: n.outbound_proxy,
    ice: n.ice,
    sip_outbound: n.sip_outbound,
  };
}

export function NetworkSettingsSection() {
  const t = useT();
  const { store, client } = useApp();
  const saved = store.settings.value.network;
  const [draft, setDraft] = useState<Draft>(() => toDraft(saved));
  const [turnPassword, setTurnPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ key: string; field: string | null } | null>(null);
  const [done, setDone] = useState(false);

  const set = (field: keyof Draft, value: string | boolean) => {
    setDraft({ ...draft, [field]: value });
    setDone(false);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const numbers: Partial<Record<NumberField, number>> = {};
    for (const field of ["sip_port", "rtp_port_min", "rtp_port_max", "keepalive_seconds"] as const) {
      const text = draft[field].trim();
      const value = text === "" ? 0 : Number(text);
      if (!Number.isInteger(value)) {
        setError({ key: "invalid_argument", field });
        return;
      }
      numbers[field] = value;
    }
    const changes: NetworkChanges = {
      ...numbers,
      stun_server: draft.stun_server.trim(),
      turn_server: draft.turn_server.trim(),
      turn_user: draft.turn_user.trim(),
      outbound_proxy: draft.outbound_proxy.trim(),
      ice: draft.ice,
      sip_outbound: draft.sip_outbound,
    };
    if (turnPassword) changes.turn_password = turnPassword;
    setBusy(true);
    const ack = await client.send("network.update", changes);
    setBusy(false);
    if (ack.ok) {
      setError(null);
      setTurnPassword("");
      setDone(true);
    } else {
      setError({ key: ack.error, field: ack.field });
    }
  };

  const input = (field: NumberField | TextField, type: "text" | "number" = "text", placeholder = "") => {
    const id = `network-${field}`;
    const invalid = error?.field === field;
    return (
      <div class="field">
        <label for={id} class="field__label">
          {t(`network.${field}` as MessageKey)}
        </label>
        <input
          id={id}
          class="input"
          type={type}
          inputMode={type === "number" ? "numeric" : undefined}
          value={draft[field]}
          placeholder={placeholder}
          aria-invalid={invalid ? "true" : undefined}
          aria-describedby={`${id}-hint`}
          onInput={(e) => set(field, e.currentTarget.value)}
        />
        <p id={`${id}-hint`} class={invalid ? "field__error" : "field__hint"}>
          {invalid ? errorText(t, error?.key) : t(`network.${field}Hint` as MessageKey)}
        </p>
      </div>
    );
  };

  const checkbox = (field: "ice" | "sip_outbound") => (
    <label class="field field--inline network-check-row">
      <input type="checkbox" checked={draft[field]} onChange={(e) => set(field, e.currentTarget.checked)} />
      <span>
        <span class="field__label">{t(`network.${field}` as MessageKey)}</span>
        <span class="field__hint"> {t(`network.${field}Hint` as MessageKey)}</span>
      </span>
    </label>
  );

  return (
    <section class="settings__section" aria-labelledby="settings-network">
      <h3 id="settings-network" class="field__label">
        {t("network.title")}
      </h3>
      <p class="field__hint">{t("network.intro")}</p>
      <form class="network-form" onSubmit={(e) => void save(e)}>
        {input("sip_port", "number", t("network.automatic"))}
        <div class="network-form__pair">
          {input("rtp_port_min", "number")}
          {input("rtp_port_max", "number")}
        </div>
        {input("keepalive_seconds", "number")}
        {input("outbound_proxy")}
        {checkbox("sip_outbound")}
        {input("stun_server", "text", "stun.example.com:3478")}
        {checkbox("ice")}
        {input("turn_server", "text", "turn.example.com:3478")}
        {input("turn_user")}
        <div class="field">
          <label for="network-turn_password" class="field__label">
            {t("network.turn_password")}
          </label>
          <input
            id="network-turn_password"
            class="input"
            type="password"
            autocomplete="new-password"
            value={turnPassword}
            placeholder={saved.turn_server ? t("network.turnPasswordKept") : ""}
            aria-invalid={error?.field === "turn_password" ? "true" : undefined}
            onInput={(e) => setTurnPassword(e.currentTarget.value)}
          />
          {error?.field === "turn_password" && <p class="field__error">{t("network.turnPasswordNeeded")}</p>}
        </div>
        {error && error.field === null && <p class="field__error">{errorText(t, error.key)}</p>}
        <div class="form-actions">
          {done && (
            <span class="field__hint" role="status">
              {t("network.saved")}
            </span>
          )}
          <button type="submit" class="button button--primary" disabled={busy}>
            {busy && <LoaderCircle size={16} class="spin" aria-hidden="true" />}
            <span>{t("network.save")}</span>
          </button>
        </div>
      </form>
    </section>
  );
}
