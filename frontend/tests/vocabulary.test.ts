import { describe, expect, it } from "vitest";
import { DICTIONARIES, LANGUAGES } from "../src/i18n";
import type { Messages } from "../src/i18n/en";

// The peoplefone SOFTPHONE manual's words (docs/vocabulary.md): a user who learnt the
// manual finds the same word on the same thing.
const MANUAL: Record<string, Partial<Record<keyof Messages, string>>> = {
  fr: {
    "menu.audioSettings": "Réglages audio",
    "audio.title": "Réglages audio",
    "menu.settings": "Configuration",
    "settings.title": "Configuration",
    "calls.title": "Gestion des appels",
    "topbar.callForwarding": "Déviations",
    "forwarding.title": "Déviations",
    "account.signIn": "S'identifier",
    "blf.ringing": "En train de sonner",
    "blf.busy": "Au téléphone",
    "calls.answer": "Répondre",
  },
  de: {
    "menu.settings": "Konfiguration",
    "topbar.callForwarding": "Weiterleitungen",
    "blf.busy": "Am Telefon",
  },
  it: { "menu.settings": "Configurazione", "blf.busy": "Al telefono" },
  en: { "blf.busy": "On the phone" },
};

// Words the app used for an idea the manual names otherwise; one word per idea.
const RETIRED: Record<string, RegExp[]> = {
  fr: [/en ligne/i, /Accepter et/, /Numéro interne|numéro interne|Int\. /, /Renvoi|renvoi|renvoy/i, /Paramètres audio/, /journa(l|ux)/],
  de: [/Durchwahl|Intern /, /Umleitung|umleiten|Umgeleitet/i, /Protokoll/],
  it: [/Accetta e/],
  en: [/Accept and/],
};

describe("the manual's vocabulary", () => {
  it.each(Object.entries(MANUAL))("%s uses the manual's words", (lang, terms) => {
    const dict = DICTIONARIES[lang as (typeof LANGUAGES)[number]];
    for (const [key, word] of Object.entries(terms)) {
      expect(dict[key as keyof Messages], `${lang}:${key}`).toContain(word);
    }
  });

  it.each(Object.entries(RETIRED))("%s no longer uses the retired words", (lang, patterns) => {
    const dict = DICTIONARIES[lang as (typeof LANGUAGES)[number]];
    for (const [key, text] of Object.entries(dict)) {
      for (const pattern of patterns) expect(`${key}: ${text}`).not.toMatch(pattern);
    }
  });

  it("names a busy colleague as on the phone, never as online, in every language", () => {
    for (const lang of LANGUAGES) {
      const busy = DICTIONARIES[lang]["blf.busy"].toLowerCase();
      expect(busy).not.toMatch(/online|en ligne|in linea/);
      // The empty panel's hint lists each state once: busy and "on the phone" are one state.
      const hint = DICTIONARIES[lang]["colleagues.emptyHint"].toLowerCase();
      expect(hint, lang).toContain(busy);
    }
  });

  it("the extension has one word per language", () => {
    for (const lang of LANGUAGES) {
      const d = DICTIONARIES[lang];
      expect(d["directory.extension"].replace(" {ext}", ""), lang).toMatch(
        new RegExp(`^${d["colleagues.extension"].slice(0, 3)}`),
      );
    }
  });
});
