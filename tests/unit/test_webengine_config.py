"""Qt WebEngine's switches and variables are added to the user's, never in place of them."""

from __future__ import annotations

from softphone.desktop.window import (
    WEBENGINE_ENV,
    WEBENGINE_FLAGS,
    _configure_webengine,
    _forget_webengine_env,
)


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


def test_once_qt_has_read_them_only_the_variables_the_app_set_are_dropped() -> None:
    env = {"QT_QUICK_BACKEND": "rhi", "PATH": "/usr/bin"}
    ours = _configure_webengine(env)
    env["QT_XCB_GL_INTEGRATION"] = "xcb_egl"  # changed by someone else meanwhile: kept
    _forget_webengine_env(ours, env)
    assert env["QT_QUICK_BACKEND"] == "rhi" and env["QT_XCB_GL_INTEGRATION"] == "xcb_egl"
    assert "QTWEBENGINE_CHROMIUM_FLAGS" in env  # pywebview appends to it as well: left
    fresh: dict[str, str] = {}
    _forget_webengine_env(_configure_webengine(fresh), fresh)
    assert not set(WEBENGINE_ENV) & set(fresh)
