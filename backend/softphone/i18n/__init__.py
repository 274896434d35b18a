"""Strings the backend shows itself (OS notifications), in every UI language."""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping

LANGUAGES = ("en", "fr", "de", "it")  # the same set as settings.schema.LANGUAGES
DEFAULT = "en"

CATALOG: Mapping[str, Mapping[str, str]] = {
    "en": {
        "incoming_call": "Incoming call",
        "missed_call": "Missed call",
        "accept": "Accept",
        "reject": "Reject",
        "unknown_caller": "Unknown caller",
    },
    "fr": {
        "incoming_call": "Appel entrant",
        "missed_call": "Appel manqué",
        "accept": "Accepter",
        "reject": "Refuser",
        "unknown_caller": "Appelant inconnu",
    },
    "de": {
        "incoming_call": "Eingehender Anruf",
        "missed_call": "Verpasster Anruf",
        "accept": "Annehmen",
        "reject": "Ablehnen",
        "unknown_caller": "Unbekannter Anrufer",
    },
    "it": {
        "incoming_call": "Chiamata in arrivo",
        "missed_call": "Chiamata persa",
        "accept": "Accetta",
        "reject": "Rifiuta",
        "unknown_caller": "Chiamante sconosciuto",
    },
}


def os_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The OS locale's language if we have it: LC_ALL, LC_MESSAGES, LANG, then the C library."""
    env = os.environ if environ is None else environ
    candidates = [env.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
    if environ is None:
        # Windows and macOS have no LANG: the C library knows the user's locale there.
        candidates.append(locale.getlocale()[0] or "")
    for value in candidates:
        code = value.split(".")[0].split("_")[0].split("-")[0].lower()
        if code in LANGUAGES:
            return code
        if value and code not in ("c", "posix"):
            return None  # set to a language we lack: English, not a lower-priority variable
    return None


def language_for(setting: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language to show: the user's setting, else the OS locale's, else English."""
    if setting is not None and setting in LANGUAGES:
        return setting
    return os_language(environ) or DEFAULT


def text(key: str, language: str) -> str:
    """The string `key` in `language`; English when the language is unknown."""
    return CATALOG.get(language, CATALOG[DEFAULT])[key]
