"""Qt WebEngine as configured for the app's one small page: one renderer, no spare processes,
the UI still animating at the display's rate (issue 21; desktop/window.py WEBENGINE_FLAGS)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import psutil
import pytest

from .window_harness import (
    ANIMATED_PAGE,
    Display,
    PageServer,
    WindowProcess,
    open_window_and_wait_for,
    smoke_command,
    xdg_env,
    xvfb_display,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("dbus-run-session") is None, reason="needs dbus-run-session"),
]


@pytest.fixture
def xvfb() -> Iterator[Display]:
    if not Path("/usr/bin/Xvfb").exists():
        pytest.skip("needs Xvfb")
    with xvfb_display(size=(1280, 800)) as display:
        yield display


def _webengine_types(window: WindowProcess) -> list[str]:
    """The --type= of every Qt WebEngine process under the window program."""
    types = []
    for proc in psutil.Process(window.proc.pid).children(recursive=True):
        try:
            args = proc.cmdline()
        except psutil.Error:
            continue  # ended meanwhile
        if args and args[0].endswith("QtWebEngineProcess"):
            types += [a.split("=", 1)[1] for a in args if a.startswith("--type=")]
    return sorted(types)


def test_the_window_runs_one_renderer_and_no_spare_processes_and_animates(
    xvfb: Display, tmp_path: Path
) -> None:
    with PageServer(ANIMATED_PAGE) as page:
        # Opened on the splash page, then the page is loaded, as the app does: the splash's
        # renderer must be gone, and no spare one kept for a next navigation.
        command = [*smoke_command(), "--url", page.url, "--splash", "en"]
        with open_window_and_wait_for(
            command,
            lambda w: w.event("window_loaded") is not None,
            display=xvfb,
            log_path=tmp_path / "window.log",
            extra_env=xdg_env(tmp_path),
        ) as window:
            window.send_line("load")
            deadline = time.monotonic() + 30
            while not page.hits and time.monotonic() < deadline:
                time.sleep(0.1)
            assert page.hits, f"the page never reported:\n{window.log_tail()}"
            time.sleep(2.0)  # a spare renderer is started right after a navigation, if at all
            types = _webengine_types(window)
    fps = float(parse_qs(page.hits[0])["fps"][0])
    assert types == ["renderer", "zygote"], f"Qt WebEngine processes: {types}"
    # The page animates (requestAnimationFrame runs); its rate is a number for the bench
    # (bench_footprint: 60 frames/s alone), not an assert: a loaded CI machine gave 8.4.
    print(f"window metric: the page animated at {fps} frames/s")
    assert fps > 0, "the page never animated"
