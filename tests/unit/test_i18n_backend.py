"""The backend's string catalog and language choice; the notifications setting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from softphone.domain.settings import LANGUAGES as SETTINGS_LANGUAGES
from softphone.domain.settings import Settings
from softphone.i18n import CATALOG, LANGUAGES, language_for, text
from softphone.settings.schema import from_json, to_json
from softphone.web import wire


def test_every_language_has_every_key() -> None:
    assert set(CATALOG) == set(LANGUAGES) == set(SETTINGS_LANGUAGES)
    english = set(CATALOG["en"])
    for language in LANGUAGES:
        assert set(CATALOG[language]) == english, language
        assert all(value.strip() for value in CATALOG[language].values()), language


def test_the_setting_wins_over_the_os_locale() -> None:
    assert language_for("it", {"LANG": "de_CH.UTF-8"}) == "it"


def test_the_os_locale_is_used_when_the_setting_follows_the_os() -> None:
    assert language_for(None, {"LANG": "fr_CH.UTF-8"}) == "fr"
    assert language_for(None, {"LC_ALL": "de_DE.UTF-8", "LANG": "fr_FR.UTF-8"}) == "de"
    assert language_for(None, {"LC_MESSAGES": "it_IT", "LANG": "C.UTF-8"}) == "it"


def test_english_when_nothing_usable_is_set() -> None:
    assert language_for(None, {}) == "en"
    assert language_for(None, {"LANG": "C.UTF-8"}) == "en"
    # A language we lack is not skipped for a lower-priority variable: it means English.
    assert language_for(None, {"LC_ALL": "ja_JP.UTF-8", "LANG": "de_DE.UTF-8"}) == "en"


def test_texts_are_translated() -> None:
    assert text("incoming_call", "de") == "Eingehender Anruf"
    assert text("missed_call", "fr") == "Appel manqué"
    assert text("accept", "xx") == "Answer"


def test_notifications_setting_defaults_on_round_trips_and_rejects_non_booleans() -> None:
    assert from_json({}).notifications is True
    saved = json.loads(json.dumps(to_json(Settings(notifications=False))))  # as on disk
    assert from_json(saved).notifications is False
    assert wire.settings(Settings(notifications=False))["notifications"] is False
    with pytest.raises(ValueError):
        from_json({"notifications": "no"})


_FRONTEND_I18N = Path(__file__).resolve().parents[2] / "frontend" / "src" / "i18n"


def _frontend_text(language: str, key: str) -> str:
    source = (_FRONTEND_I18N / f"{language}.ts").read_text(encoding="utf-8")
    found = re.search(rf'^  "{re.escape(key)}": "((?:[^"\\]|\\.)*)",$', source, re.M)
    assert found, (language, key)
    return str(json.loads(f'"{found.group(1)}"'))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notification_answers_with_the_call_cards_word(language: str) -> None:
    # One word per idea: the notification's button is the card's "Answer" (manual: « Répondre »).
    assert text("accept", language) == _frontend_text(language, "calls.answer")
    assert text("reject", language) == _frontend_text(language, "calls.reject")
    assert text("accept", language) in text("test_body", language)
