"""The `softphone` command: help text, browser mode, and a second launch handing over a link."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from support.app_harness import UiClient
from support.engine_watch import engine_deaths_in_logs

pytestmark = pytest.mark.integration


def _softphone(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "softphone", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={
            **os.environ,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            **(env or {}),
        },
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        psutil.wait_procs(children, timeout=5)


def test_help_documents_browser_mode_data_dir_and_scripted_sign_in() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "softphone", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in ("--browser", "--data-dir", "--server", "--user", "--password-env", "--sip-bind"):
        assert option in out


@pytest.fixture
def first(kamailio: Kamailio, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], UiClient]]:
    proc = _softphone(
        "--browser",
        "--data-dir",
        str(tmp_path / "app"),
        "--server",
        f"127.0.0.1:{kamailio.port}",
        "--user",
        "1001",
        "--password-env",
        "CLI_TEST_PW",
        "--sip-bind",
        "127.0.0.1",
        env={"CLI_TEST_PW": kamailio.users["1001"]},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("Open http://127.0.0.1:") and "/#token=" in line, line
        base, token = line.removeprefix("Open ").split("/#token=")
        ui = UiClient.at(int(base.rsplit(":", 1)[1]), token)
        ui.wait_for(
            lambda e: (e.get("registration") or {}).get("state") == "registered", timeout=10
        )
        yield proc, ui
        ui.close()
    finally:
        _stop(proc)
    assert not engine_deaths_in_logs(tmp_path / "app" / "logs")


def test_second_launch_hands_a_sip_link_to_the_running_app(
    first: tuple[subprocess.Popen[str], UiClient],
    kamailio: Kamailio,
    tmp_path: Path,
    baresip_factory: Callable[..., Baresip],
) -> None:
    proc, ui = first
    peer = baresip_factory("1002")
    mark = ui.mark()
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "softphone",
            "--data-dir",
            str(tmp_path / "app"),
            f"sip:1002@127.0.0.1:{kamailio.port}",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert second.returncode == 0
    assert "already running" in second.stdout
    dialing = ui.wait_call_state("dialing", start=mark)
    assert dialing["number"] == "1002"
    peer.wait_for_event("CALL_INCOMING")
    assert proc.poll() is None  # still the one instance
