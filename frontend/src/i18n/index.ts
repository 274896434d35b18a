/** Language choice and translation: settings.language if set, else the browser's language. */

import type { Language } from "../api/protocol";
import { CLIENT_ERROR_KEYS, END_REASONS, ERROR_KEYS } from "../api/protocol";
import { de } from "./de";
import { en, type MessageKey, type Messages } from "./en";
import { fr } from "./fr";
import { it } from "./it";

export type { MessageKey, Messages };

export const DICTIONARIES: Readonly<Record<Language, Messages>> = { en, fr, de, it };
export const LANGUAGES: readonly Language[] = ["en", "fr", "de", "it"];

/** Each language is named in itself, so a user can find theirs whatever the current language. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  en: "English",
  fr: "Français",
  de: "Deutsch",
  it: "Italiano",
};

export type Params = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: Params) => string;

const isLanguage = (value: string): value is Language => (LANGUAGES as readonly string[]).includes(value);

/** The explicit setting wins; otherwise the first supported browser language; otherwise English. */
export function resolveLanguage(setting: Language | null, preferred: readonly string[]): Language {
  if (setting !== null && isLanguage(setting)) return setting;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0] ?? "";
    if (isLanguage(base)) return base;
  }
  return "en";
}

export function translate(language: Language, key: MessageKey, params?: Params): string {
  const text = DICTIONARIES[language][key] ?? en[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export const translator =
  (language: Language): Translate =>
  (key, params) =>
    translate(language, key, params);

const KNOWN_ERRORS: ReadonlySet<string> = new Set<string>([...ERROR_KEYS, ...CLIENT_ERROR_KEYS]);
const KNOWN_END_REASONS: ReadonlySet<string> = new Set<string>(END_REASONS);

/** Text for an error key from an ack or a registration; unknown keys read as a generic error. */
export function errorText(t: Translate, key: string | null | undefined): string {
  if (key && KNOWN_ERRORS.has(key)) return t(`error.${key}` as MessageKey);
  return t("error.internal_error");
}

/** Text for Call.end_reason: an end reason or an error key; null when there is nothing to say. */
export function endReasonText(t: Translate, reason: string | null): string | null {
  if (!reason) return null;
  if (KNOWN_END_REASONS.has(reason)) return t(`endReason.${reason}` as MessageKey);
  if (KNOWN_ERRORS.has(reason)) return t(`error.${reason}` as MessageKey);
  return null;
}
