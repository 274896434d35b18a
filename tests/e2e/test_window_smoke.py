"""The real pywebview Qt window opens, loads and paints a page, keeps storage and closes cleanly."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .window_harness import (
    ARTIFACTS,
    Display,
    PageServer,
    WindowProcess,
    offscreen_display,
    open_window_and_wait_for,
    smoke_command,
    xdg_env,
    xvfb_display,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("dbus-run-session") is None, reason="needs dbus-run-session"),
]

SMOKE_GREEN = (0x1D, 0x6F, 0x42)  # window_child.py's page background
LOAD_TIMEOUT = 60.0

# Counts visits in sessionStorage (kept across a reload) and launches in localStorage (kept
# across launches only when the window has a storage_path), then reports both.
STORAGE_PAGE = """<!doctype html><meta charset="utf-8"><body><script>
const visits = Number(sessionStorage.getItem('visits') || 0) + 1;
sessionStorage.setItem('visits', String(visits));
if (visits === 1) {
  localStorage.setItem('launches', String(Number(localStorage.getItem('launches') || 0) + 1));
  location.reload();
} else {
  fetch('/loaded?visits=' + visits + '&launches=' + localStorage.getItem('launches'));
}
</script></body>"""


@pytest.fixture
def xvfb() -> Iterator[Display]:
    if not Path("/usr/bin/Xvfb").exists():
        pytest.skip("needs Xvfb")
    with xvfb_display() as display:
        yield display


def _page_loaded(window: WindowProcess) -> bool:
    return window.event("page_loaded") is not None


def _wait_until(condition: Callable[[], bool], timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "condition not met in time"
        time.sleep(0.05)
    return time.monotonic() - started


def test_window_loads_and_paints_the_page_under_xvfb(xvfb: Display, tmp_path: Path) -> None:
    log = ARTIFACTS / "window-smoke-xvfb.log"
    with open_window_and_wait_for(
        smoke_command(),
        _page_loaded,
        display=xvfb,
        log_path=log,
        timeout=LOAD_TIMEOUT,
        extra_env=xdg_env(tmp_path),
    ) as window:
        loaded = window.event("page_loaded")
        assert loaded is not None and loaded["query"] == "ok=1"
        # Loaded is not painted: wait until the page's colour is really on the X screen.
        _wait_until(lambda: xvfb.pixels_of(SMOKE_GREEN) > 100_000, timeout=10)
        painted_after = time.monotonic() - window.started
        shot = xvfb.screenshot(ARTIFACTS / "window-smoke-xvfb.png")
        _wait_until(lambda: window.event("window_loaded") is not None, 10)
        # What a second launch triggers: the window must survive it and stay painted.
        window.send_line("focus")
        _wait_until(lambda: window.event("focused") is not None, 10)
        # The stay-on-top toggle unmaps and remaps the window a moment later, on the GUI
        # thread; checking at once could still see the old frame.
        time.sleep(0.5)
        _wait_until(lambda: xvfb.pixels_of(SMOKE_GREEN) > 100_000, timeout=10)
        xvfb.screenshot(ARTIFACTS / "window-smoke-xvfb-focused.png")
    assert window.proc.returncode == 0, window.log_tail()
    assert window.event("closed") is not None
    assert shot.stat().st_size > 0
    print(
        f"xvfb: page requested /loaded {loaded['t']:.2f} s after the child started; "
        f"seen by the test {window.ready_after:.2f} s and painted {painted_after:.2f} s "
        "after spawn"
    )


def test_window_loads_the_page_with_qt_offscreen(tmp_path: Path) -> None:
    log = ARTIFACTS / "window-smoke-offscreen.log"
    with open_window_and_wait_for(
        smoke_command(),
        _page_loaded,
        display=offscreen_display(),
        log_path=log,
        timeout=LOAD_TIMEOUT,
        extra_env=xdg_env(tmp_path),
    ) as window:
        _wait_until(lambda: window.event("window_loaded") is not None, 10)
    assert window.proc.returncode == 0, window.log_tail()
    assert window.event("closed") is not None
    loaded = window.event("page_loaded")
    assert loaded is not None
    print(f"offscreen: page load request {loaded['t']:.2f} s after child start")


def test_session_storage_survives_a_reload_and_local_storage_a_relaunch(tmp_path: Path) -> None:
    storage = tmp_path / "webdata"
    with PageServer(STORAGE_PAGE) as server:
        for launch in (1, 2):

            def reported(_window: WindowProcess, launch: int = launch) -> bool:
                return len(server.hits) >= launch

            with open_window_and_wait_for(
                f"{server.url}#token=storage",
                reported,
                display=offscreen_display(),
                log_path=ARTIFACTS / f"window-storage-{launch}.log",
                timeout=LOAD_TIMEOUT,
                storage=storage,
                extra_env={**xdg_env(tmp_path), "HOME": str(tmp_path / "home")},
            ) as window:
                pass
            assert window.proc.returncode == 0, window.log_tail()
    assert server.hits == ["visits=2&launches=1", "visits=2&launches=2"]
    # The profile is where the window was told to keep it, not pywebview's ~/.pywebview.
    assert (storage / "Local Storage").is_dir()
    assert not (tmp_path / "home" / ".pywebview").exists()


SPLASH_INDIGO_RANGE = ((0x40, 0x4D, 0xC0), (0x68, 0x74, 0xE4))  # the logo's gradient


def _splash_logo_pixels(display: Display) -> int:
    low, high = SPLASH_INDIGO_RANGE
    frame = display.grab().astype(int)
    inside = (frame >= low) & (frame <= high)
    return int(inside.all(axis=-1).sum())


def test_window_opens_on_the_splash_page_and_then_loads_the_app(
    xvfb: Display, tmp_path: Path
) -> None:
    # What the app does at start: the window comes up on the splash page at once, and the
    # UI's URL is loaded into it when the backend has started (here: when the test says so).
    with open_window_and_wait_for(
        [*smoke_command(), "--splash", "de"],
        lambda w: w.event("opening") is not None,
        display=xvfb,
        log_path=ARTIFACTS / "window-splash.log",
        timeout=LOAD_TIMEOUT,
        extra_env=xdg_env(tmp_path),
    ) as window:
        _wait_until(lambda: _splash_logo_pixels(xvfb) > 1_000, timeout=LOAD_TIMEOUT)
        assert window.event("page_loaded") is None  # the URL is not loaded before "load"
        xvfb.screenshot(ARTIFACTS / "window-splash.png")
        window.send_line("load")
        _wait_until(lambda: window.event("page_loaded") is not None, timeout=30)
        _wait_until(lambda: xvfb.pixels_of(SMOKE_GREEN) > 100_000, timeout=10)
        assert _splash_logo_pixels(xvfb) < 50  # the splash is gone
    assert window.proc.returncode == 0, window.log_tail()
