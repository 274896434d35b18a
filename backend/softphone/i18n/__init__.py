"""Strings the backend shows itself (OS notifications), in every UI language."""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping

from softphone.domain.settings import LANGUAGES

DEFAULT = "en"

CATALOG: Mapping[str, Mapping[str, str]] = {
    "en": {
        "incoming_call": "Incoming call",
        "missed_call": "Missed call",
        "missed_no_encryption": "Caller's phone does not support encryption",
        "accept": "Answer",
        "reject": "Reject",
        "unknown_caller": "Unknown caller",
        "app_name": "Softphone",
        "window_starting": "Starting…",
        "test_title": "Softphone notifications work",
        "test_body": "Incoming calls will be shown like this, with Answer and Reject.",
        "tray_show": "Show",
        "tray_dnd": "Do not disturb",
        "tray_quit": "Quit",
        "tray_registered": "Registered",
        "tray_offline": "Not registered",
        "tray_in_call": "In a call",
        "tray_missed": "{count} missed calls",
        "tray_voicemail": "{count} new voice messages",
    },
    "fr": {
        "incoming_call": "Appel entrant",
        "missed_call": "Appel manqué",
        "missed_no_encryption": "Le téléphone de l'appelant ne prend pas en charge le chiffrement",
        "accept": "Répondre",
        "reject": "Refuser",
        "unknown_caller": "Appelant inconnu",
        "app_name": "Softphone",
        "window_starting": "Démarrage…",
        "test_title": "Les notifications du Softphone fonctionnent",
        "test_body": "Les appels entrants s'afficheront ainsi, avec Répondre et Refuser.",
        "tray_show": "Afficher",
        "tray_dnd": "Ne pas déranger",
        "tray_quit": "Quitter",
        "tray_registered": "Enregistré",
        "tray_offline": "Non enregistré",
        "tray_in_call": "En communication",
        "tray_missed": "{count} appels manqués",
        "tray_voicemail": "{count} nouveaux messages vocaux",
    },
    "de": {
        "incoming_call": "Eingehender Anruf",
        "missed_call": "Verpasster Anruf",
        "missed_no_encryption": "Das Telefon des Anrufers unterstützt keine Verschlüsselung",
        "accept": "Annehmen",
        "reject": "Ablehnen",
        "unknown_caller": "Unbekannter Anrufer",
        "app_name": "Softphone",
        "window_starting": "Wird gestartet…",
        "test_title": "Softphone-Benachrichtigungen funktionieren",
        "test_body": "Eingehende Anrufe werden so angezeigt, mit Annehmen und Ablehnen.",
        "tray_show": "Anzeigen",
        "tray_dnd": "Nicht stören",
        "tray_quit": "Beenden",
        "tray_registered": "Registriert",
        "tray_offline": "Nicht registriert",
        "tray_in_call": "Im Gespräch",
        "tray_missed": "{count} verpasste Anrufe",
        "tray_voicemail": "{count} neue Sprachnachrichten",
    },
    "it": {
        "incoming_call": "Chiamata in arrivo",
        "missed_call": "Chiamata persa",
        "missed_no_encryption": "Il telefono del chiamante non supporta la crittografia",
        "accept": "Rispondi",
        "reject": "Rifiuta",
        "unknown_caller": "Chiamante sconosciuto",
        "app_name": "Softphone",
        "window_starting": "Avvio in corso…",
        "test_title": "Le notifiche del Softphone funzionano",
        "test_body": "Le chiamate in arrivo verranno mostrate così, con Rispondi e Rifiuta.",
        "tray_show": "Mostra",
        "tray_dnd": "Non disturbare",
        "tray_quit": "Esci",
        "tray_registered": "Registrato",
        "tray_offline": "Non registrato",
        "tray_in_call": "In chiamata",
        "tray_missed": "{count} chiamate perse",
        "tray_voicemail": "{count} nuovi messaggi vocali",
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
