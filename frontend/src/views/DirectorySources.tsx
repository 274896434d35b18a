/** Company directory sources in the settings: CardDAV and LDAP, test connection, save. */

import { CircleCheck, LoaderCircle } from "lucide-preact";
import { useState } from "preact/hooks";
import type { Ack, CardDavSource, CommandErrorKey, DirectorySources as Sources, LdapSource } from "../api/protocol";
import { errorText, type MessageKey } from "../i18n";
import { useApp, useT } from "./context";

type Source = "carddav" | "ldap";

const NEW_CARDDAV: CardDavSource = { url: "", user: "", verify_tls: true };
const NEW_LDAP: LdapSource = {
  url: "",
  base: "",
  bind_dn: "",
  filter: "(objectClass=inetOrgPerson)",
  start_tls: false,
  verify_tls: true,
  ca_file: "",
  mapping: {},
};
/** The LDAP attribute of each of our fields; empty means the backend default (shown as placeholder). */
const MAPPING_DEFAULTS: Record<string, string> = {
  given: "givenName",
  family: "sn",
  display: "cn",
  org: "o",
  email: "mail",
  office: "telephoneNumber",
  mobile: "mobile",
  home: "homePhone",
  fax: "facsimileTelephoneNumber",
  other: "",
  extension: "",
};

interface Outcome {
  source: Source;
  entries?: number;
  error?: CommandErrorKey;
  field?: string | null;
}

export function DirectorySources() {
  const t = useT();
  const { store, client } = useApp();
  const saved: Sources = store.settings.value.directory;
  const [use, setUse] = useState({ carddav: saved.carddav !== null, ldap: saved.ldap !== null });
  const [carddav, setCarddav] = useState<CardDavSource>(saved.carddav ?? NEW_CARDDAV);
  const [ldap, setLdap] = useState<LdapSource>(() => ({
    ...NEW_LDAP,
    ...(saved.ldap ?? {}),
    // The backend returns the full mapping; keep only what differs from the defaults.
    mapping: Object.fromEntries(
      Object.entries(saved.ldap?.mapping ?? {}).filter(([k, v]) => v !== MAPPING_DEFAULTS[k]),
    ),
  }));
  const [passwords, setPasswords] = useState({ carddav: "", ldap: "" });
  const [minutes, setMinutes] = useState(String(saved.sync_minutes));
  const [busy, setBusy] = useState<Source | "save" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [savedOk, setSavedOk] = useState(false);

  const ldapForWire = (): LdapSource => ({
    ...ldap,
    mapping: { ...MAPPING_DEFAULTS, ...Object.fromEntries(Object.entries(ldap.mapping).filter(([, v]) => v.trim())) },
  });

  const report = (source: Source, ack: Ack<{ entries: number }>) =>
    setOutcome(ack.ok ? { source, entries: ack.result.entries } : { source, error: ack.error, field: ack.field });

  const test = async (source: Source) => {
    setBusy(source);
    setOutcome(null);
    const password = passwords[source] || undefined;
    const args =
      source === "carddav"
        ? { source, carddav, ...(password ? { password } : {}) }
        : { source, ldap: ldapForWire(), ...(password ? { password } : {}) };
    const ack = await client.send("directory.test", args);
    setBusy(null);
    report(source, ack);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy("save");
    setOutcome(null);
    setSavedOk(false);
    const ack = await client.send("directory.configure", {
      carddav: use.carddav ? carddav : null,
      ldap: use.ldap ? ldapForWire() : null,
      sync_minutes: Number(minutes) || 60,
      ...(use.carddav && passwords.carddav ? { carddav_password: passwords.carddav } : {}),
      ...(use.ldap && passwords.ldap ? { ldap_password: passwords.ldap } : {}),
    });
    setBusy(null);
    if (ack.ok) {
      setSavedOk(true);
      setPasswords({ carddav: "", ldap: "" });
    } else {
      // configure names the field without its source: LDAP-only fields, or the only source used.
      const ldapField = ["base", "filter", "bind_dn", "ca_file", "mapping"].includes(ack.field ?? "");
      const source: Source = ldapField || (use.ldap && !use.carddav) ? "ldap" : "carddav";
      setOutcome({ source, error: ack.error, field: ack.field });
    }
  };

  const text = (
    source: Source,
    field: string,
    value: string,
    onInput: (v: string) => void,
    opts: { type?: string; placeholder?: string; label?: string } = {},
  ) => {
    const id = `dir-${source}-${field}`;
    const invalid = outcome?.source === source && outcome.field === field;
    return (
      <div class="field" key={id}>
        <label for={id} class="field__label">
          {opts.label ?? t(`dirsrc.${field}` as MessageKey)}
        </label>
        <input id={id} class="input" type={opts.type ?? "text"} spellcheck={false} autoComplete="off"
          value={value} placeholder={opts.placeholder} aria-invalid={invalid ? "true" : undefined}
          onInput={(e) => onInput(e.currentTarget.value)} />
        {invalid && <p class="field__error">{t("account.invalidField")}</p>}
      </div>
    );
  };
  const check = (source: Source, field: string, checked: boolean, onChange: (v: boolean) => void) => (
    <label class="field field--inline" key={`${source}-${field}`}>
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span class="field__label">{t(`dirsrc.${field}` as MessageKey)}</span>
    </label>
  );
  const result = (source: Source) => {
    if (busy === source) {
      return (
        <p class="field__hint" role="status">
          <LoaderCircle size={14} class="spin" aria-hidden="true" /> {t("dirsrc.testing")}
        </p>
      );
    }
    if (outcome?.source !== source || busy === "save") return null;
    if (outcome.error) {
      return (
        <p class="field__error" role="alert" data-testid={`dir-${source}-result`}>
          {t("dirsrc.failed", { error: errorText(t, outcome.error) })}
        </p>
      );
    }
    return (
      <p class="dir-sources__ok" role="status" data-testid={`dir-${source}-result`}>
        <CircleCheck size={14} aria-hidden="true" /> {t("dirsrc.ok", { count: outcome.entries ?? 0 })}
      </p>
    );
  };
  const passwordField = (source: Source) =>
    text(source, "password", passwords[source], (v) => setPasswords({ ...passwords, [source]: v }), {
      type: "password",
      placeholder: saved[source] ? t("dirsrc.passwordKept") : "",
    });

  return (
    <section class="settings__section dir-sources" aria-labelledby="settings-dir-sources">
      <h3 id="settings-dir-sources" class="field__label">
        {t("dirsrc.title")}
      </h3>
      <p class="field__hint">{t("dirsrc.intro")}</p>
      <form class="dir-sources__form" onSubmit={(e) => void save(e)}>
        <fieldset class="dir-sources__source">
          <legend>{check("carddav", "useCarddav", use.carddav, (v) => setUse({ ...use, carddav: v }))}</legend>
          {use.carddav && (
            <>
              {text("carddav", "url", carddav.url, (v) => setCarddav({ ...carddav, url: v }), {
                placeholder: "https://pbx.example.com/dav/addressbook/",
              })}
              {text("carddav", "user", carddav.user, (v) => setCarddav({ ...carddav, user: v }))}
              {passwordField("carddav")}
              {check("carddav", "verify_tls", carddav.verify_tls, (v) => setCarddav({ ...carddav, verify_tls: v }))}
              <div class="form-actions">
                <button type="button" class="button button--secondary" disabled={busy !== null}
                  onClick={() => void test("carddav")}>
                  {t("dirsrc.test")}
                </button>
              </div>
              {result("carddav")}
            </>
          )}
        </fieldset>
        <fieldset class="dir-sources__source">
          <legend>{check("ldap", "useLdap", use.ldap, (v) => setUse({ ...use, ldap: v }))}</legend>
          {use.ldap && (
            <>
              {text("ldap", "url", ldap.url, (v) => setLdap({ ...ldap, url: v }), {
                placeholder: "ldaps://ldap.example.com:636",
              })}
              {text("ldap", "base", ldap.base, (v) => setLdap({ ...ldap, base: v }), {
                placeholder: "ou=people,dc=example,dc=com",
              })}
              {text("ldap", "bind_dn", ldap.bind_dn, (v) => setLdap({ ...ldap, bind_dn: v }))}
              {passwordField("ldap")}
              {text("ldap", "filter", ldap.filter, (v) => setLdap({ ...ldap, filter: v }))}
              {check("ldap", "start_tls", ldap.start_tls, (v) => setLdap({ ...ldap, start_tls: v }))}
              {check("ldap", "verify_tls", ldap.verify_tls, (v) => setLdap({ ...ldap, verify_tls: v }))}
              {text("ldap", "ca_file", ldap.ca_file, (v) => setLdap({ ...ldap, ca_file: v }))}
              <details class="dir-sources__mapping">
                <summary>{t("dirsrc.mapping")}</summary>
                <div class="dir-sources__mapping-grid">
                  {Object.keys(MAPPING_DEFAULTS).map((key) =>
                    text("ldap", `mapping.${key}`, ldap.mapping[key] ?? "",
                      (v) => setLdap({ ...ldap, mapping: { ...ldap.mapping, [key]: v } }),
                      { label: t(`dirsrc.map.${key}` as MessageKey), placeholder: MAPPING_DEFAULTS[key] || t("dirsrc.mapNone") }),
                  )}
                </div>
              </details>
              <div class="form-actions">
                <button type="button" class="button button--secondary" disabled={busy !== null}
                  onClick={() => void test("ldap")}>
                  {t("dirsrc.test")}
                </button>
              </div>
              {result("ldap")}
            </>
          )}
        </fieldset>
        <div class="field field--narrow">
          <label for="dir-sync-minutes" class="field__label">{t("dirsrc.syncMinutes")}</label>
          <input id="dir-sync-minutes" class="input" type="number" min={5} value={minutes}
            onInput={(e) => setMinutes(e.currentTarget.value)} />
        </div>
        <div class="form-actions">
          {savedOk && (
            <span class="field__hint" role="status">
              {t("dirsrc.saved")}
            </span>
          )}
          <button type="submit" class="button button--primary" disabled={busy !== null}>
            {busy === "save" && <LoaderCircle size={16} class="spin" aria-hidden="true" />}
            <span>{t("dirsrc.save")}</span>
          </button>
        </div>
      </form>
    </section>
  );
}
