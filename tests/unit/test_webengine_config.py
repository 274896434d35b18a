"""Qt WebEngine's switches and variables are added to the user's, never in place of them."""

from __future__ import annotations

from softphone.desktop.window import WEBENGINE_ENV, WEBENGINE_FLAGS, _configure_webengine


def test_the_app_switches_are_added_after_the_users_own_once() -> None:
    env = {"QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu"}
    _configure_webengine(env)
    _configure_webengine(env)  # a second window in the same process adds nothing
    flags = env["QTWEBENGINE_CHROMIUM_FLAGS"].split()
    assert flags[0] == "--no-sandbox"
    assert sorted(flags) == sorted({"--no-sandbox", *WEBENGINE_FLAGS})


def test_a_variable_the_user_set_is_kept_and_the_others_are_set() -> None:
    env = {"QT_QUICK_BACKEND": "rhi"}
    _configure_webengine(env)
    assert env["QT_QUICK_BACKEND"] == "rhi"
    others = {k: v for k, v in WEBENGINE_ENV.items() if k != "QT_QUICK_BACKEND"}
    assert others and all(env[k] == v for k, v in others.items())
    assert env["QTWEBENGINE_CHROMIUM_FLAGS"].split() == list(WEBENGINE_FLAGS)
