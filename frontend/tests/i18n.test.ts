import { describe, expect, it } from "vitest";
import { END_REASONS, ERROR_KEYS, CLIENT_ERROR_KEYS, type Language } from "../src/api/protocol";
import {
  DICTIONARIES,
  LANGUAGES,
  endReasonText,
  errorText,
  resolveLanguage,
  translate,
  translator,
} from "../src/i18n";
import { en } from "../src/i18n/en";

const englishKeys = Object.keys(en).sort();
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  it.each(LANGUAGES.map((l) => [l]))("%s has exactly the English key set", (lang) => {
    expect(Object.keys(DICTIONARIES[lang]).sort()).toEqual(englishKeys);
  });

  it.each(LANGUAGES.map((l) => [l]))("%s has no empty text and the same placeholders", (lang) => {
    for (const key of englishKeys as (keyof typeof en)[]) {
      const text = DICTIONARIES[lang][key];
      expect(text.trim(), `${lang}:${key}`).not.toBe("");
      expect(placeholders(text), `${lang}:${key}`).toEqual(placeholders(en[key]));
    }
  });

  it("every error key and end reason has a text", () => {
    for (const key of [...ERROR_KEYS, ...CLIENT_ERROR_KEYS]) expect(englishKeys).toContain(`error.${key}`);
    for (const key of END_REASONS) expect(englishKeys).toContain(`endReason.${key}`);
  });

  it("is actually translated (not English copied over)", () => {
    for (const lang of ["fr", "de", "it"] as const) {
      expect(DICTIONARIES[lang]["calls.hangup"]).not.toBe(en["calls.hangup"]);
      expect(DICTIONARIES[lang]["error.auth_failed"]).not.toBe(en["error.auth_failed"]);
    }
  });
});

describe("resolveLanguage", () => {
  it("prefers the setting", () => {
    expect(resolveLanguage("it", ["fr-FR"])).toBe("it");
  });
  it("falls back to the first supported browser language", () => {
    expect(resolveLanguage(null, ["es-ES", "de-CH", "fr"])).toBe("de");
  });
  it("defaults to English", () => {
    expect(resolveLanguage(null, ["ja-JP"])).toBe("en");
    expect(resolveLanguage(null, [])).toBe("en");
  });
});

describe("translate", () => {
  it("fills placeholders", () => {
    expect(translate("en", "registration.failedWithReason", { reason: "X" })).toBe("Failed: X");
  });

  it("translates error keys and end reasons, with a generic fallback", () => {
    const t = translator("fr" as Language);
    expect(errorText(t, "auth_failed")).toBe(DICTIONARIES.fr["error.auth_failed"]);
    expect(errorText(t, "something_new")).toBe(DICTIONARIES.fr["error.internal_error"]);
    expect(endReasonText(t, "busy")).toBe("Occupé");
    expect(endReasonText(t, "timeout")).toBe(DICTIONARIES.fr["error.timeout"]);
    expect(endReasonText(t, null)).toBeNull();
    expect(endReasonText(t, "unheard_of")).toBeNull();
  });

  it("gives the exact English texts the brief asks for", () => {
    const t = translator("en");
    expect(errorText(t, "auth_failed")).toBe("Authentication failed: check user and password");
    expect(errorText(t, "server_unreachable")).toBe("Server not reachable");
    expect(errorText(t, "timeout")).toBe("The server did not answer in time");
  });
});
