"""The start-up splash page: translated, self-contained, no script."""

from __future__ import annotations

import pytest

from softphone import i18n
from softphone.desktop.splash import splash_html


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_splash_says_starting_in_each_language_with_the_logo_and_no_script(
    language: str,
) -> None:
    page = splash_html(language)
    assert f'<html lang="{language}">' in page
    assert f"<p>{i18n.text('window_starting', language)}</p>" in page
    assert "<svg" in page and "<?xml" not in page  # the app icon, inlined
    assert "<script" not in page.lower()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # no network


def test_splash_follows_the_dark_theme_of_the_os() -> None:
    assert "@media (prefers-color-scheme: dark)" in splash_html("en")
