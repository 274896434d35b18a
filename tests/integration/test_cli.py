"""The `softphone` command: help text, browser mode, and a second launch handing over a link."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from provisioning.servers import ProvisioningServer
from softphone.paths import AppPaths
from softphone.settings.trust import TrustStore
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


@dataclass
class Running:
    """The first instance (browser mode) and a UI client on it."""

    proc: subprocess.Popen[str]
    ui: UiClient
    port: int
    token: str


def _first_instance(kamailio: Kamailio, tmp_path: Path) -> Iterator[Running]:
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
        port = int(base.rsplit(":", 1)[1])
        ui = UiClient.at(port, token)
        ui.wait_for(
            lambda e: (e.get("registration") or {}).get("state") == "registered", timeout=10
        )
        yield Running(proc, ui, port, token)
        ui.close()
    finally:
        _stop(proc)
    assert not engine_deaths_in_logs(tmp_path / "app" / "logs")


@pytest.fixture
def first(kamailio: Kamailio, tmp_path: Path) -> Iterator[Running]:
    yield from _first_instance(kamailio, tmp_path)


def _second_launch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "softphone", "--data-dir", str(tmp_path / "app"), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _no_call_within(ui: UiClient, start: int, seconds: float) -> None:
    with pytest.raises(TimeoutError):
        ui.wait_for(lambda e: e.get("type") == "call_changed", timeout=seconds, start=start)


def _event(ui: UiClient, kind: str, start: int) -> dict[str, Any]:
    event: dict[str, Any] = ui.wait_for(lambda e: e.get("type") == kind, start=start)
    return event


def test_second_launch_with_a_link_asks_the_ui_and_dials_nothing(
    first: Running, tmp_path: Path
) -> None:
    mark = first.ui.mark()

    second = _second_launch(tmp_path, "tel:+41 44 123 45 67")

    assert second.returncode == 0
    assert "already running" in second.stdout
    request = _event(first.ui, "dial_requested", mark)
    assert request["number"] == "+41441234567"
    assert request["scheme"] == "tel"
    _no_call_within(first.ui, mark, 2.0)  # a web page cannot make the phone call anyone
    assert first.proc.poll() is None  # still the one instance


def test_link_waits_in_the_snapshot_for_a_ui_until_one_dismisses_it(
    first: Running, tmp_path: Path
) -> None:
    mark = first.ui.mark()
    assert _second_launch(tmp_path, "sip:1002@pbx.example.com").returncode == 0
    request = _event(first.ui, "dial_requested", mark)

    late = UiClient.at(first.port, first.token)  # e.g. the window opening after the click
    try:
        pending = _event(late, "snapshot", 0)["pending_link"]
        assert pending == request
        assert late.command("link.dismiss", id=request["id"])["ok"]
    finally:
        late.close()
    again = UiClient.at(first.port, first.token)
    try:
        assert _event(again, "snapshot", 0)["pending_link"] is None
    finally:
        again.close()


def test_second_launch_with_a_hostile_link_is_refused_with_a_reason(
    first: Running, tmp_path: Path
) -> None:
    mark = first.ui.mark()

    assert _second_launch(tmp_path, "sip:1002@127.0.0.1?Replaces=x%40y").returncode == 0

    refused = _event(first.ui, "link_refused", mark)
    assert refused["reason"] == "uri_parameters"
    assert "Replaces" not in str(refused)  # the hostile text is not echoed to the UI
    _no_call_within(first.ui, mark, 1.0)


def test_call_links_at_once_dials_a_second_launch_link(
    first: Running,
    kamailio: Kamailio,
    tmp_path: Path,
    baresip_factory: Callable[..., Baresip],
) -> None:
    assert first.ui.command("settings.update", call_links_at_once=True)["ok"]
    peer = baresip_factory("1002")
    mark = first.ui.mark()

    second = _second_launch(tmp_path, f"sip:1002@127.0.0.1:{kamailio.port}")

    assert second.returncode == 0
    dialing = first.ui.wait_call_state("dialing", start=mark)
    assert dialing["number"] == "1002"
    peer.wait_for_event("CALL_INCOMING")
    assert not any(e.get("type") == "dial_requested" for e in first.ui.events[mark:])


def test_stalled_local_connection_does_not_lose_a_second_launch_link(
    first: Running, tmp_path: Path
) -> None:
    info = json.loads(next((tmp_path / "app" / "run").glob("softphone-*.addr")).read_text())
    mark = first.ui.mark()
    # A local process opens the hand-over port and says nothing.
    with socket.create_connection(("127.0.0.1", info["port"])):
        started = time.monotonic()
        second = _second_launch(tmp_path, "tel:1002")
        elapsed = time.monotonic() - started

        assert second.returncode == 0, second.stdout
        assert _event(first.ui, "dial_requested", mark)["number"] == "1002"
    print(f"second launch beside a stalled connection: {elapsed:.2f} s")


def test_email_option_signs_in_through_the_provisioning_service(
    kamailio: Kamailio, tmp_path: Path
) -> None:
    # As `make demo` starts the app: an e-mail and a password, nothing else; the account
    # and the panel come from the provisioning document.
    server = ProvisioningServer(tmp_path / "nginx").start()
    try:
        account = {
            "server": f"127.0.0.1:{kamailio.port}",
            "user": "1001",
            "password": kamailio.users["1001"],
        }
        document = {
            "version": 1,
            "account": account,
            "colleagues": [{"extension": "1002", "name": "Bob Meier"}],
            "panel": ["1002"],
        }
        server.add_user("alice@demo.test", "alice-pw", document)
        data = tmp_path / "app"
        server.trust_in(TrustStore(AppPaths.for_data_dir(data).trust_dir))
        proc = _softphone(
            "--browser",
            "--data-dir",
            str(data),
            "--email",
            "alice@demo.test",
            "--password-env",
            "CLI_TEST_PW",
            "--sip-bind",
            "127.0.0.1",
            env={"CLI_TEST_PW": "alice-pw", "SOFTPHONE_PROVISIONING_URL": server.url},
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            base, token = line.removeprefix("Open ").split("/#token=")
            ui = UiClient.at(int(base.rsplit(":", 1)[1]), token)
            try:
                ui.wait_for(
                    lambda e: (e.get("registration") or {}).get("state") == "registered",
                    timeout=15,
                )
                # The snapshot at connect, or a change after it (the sign-in ran at start).
                changed = ui.wait_for(
                    lambda e: (
                        e.get("type") in ("snapshot", "settings_changed")
                        and bool(e["settings"]["blf_users"])
                    )
                )
                panel = changed["settings"]["blf_users"]
                assert panel == [{"extension": "1002", "name": "Bob Meier"}]
            finally:
                ui.close()
        finally:
            _stop(proc)
    finally:
        server.stop()
    assert kamailio.bindings("1001") == []  # signed out at quit
    assert not engine_deaths_in_logs(data / "logs")


_WINDOW_FIRST = """
import json, sys, threading
import softphone.desktop.runner as runner_module
import softphone.desktop.window as window_module

window_module.has_display = lambda environ=None: True
seen = {}


class _Window:
    def close(self):
        pass


class _Runner:
    # Stands in for the Qt window: records what was imported when it was built and run.
    def __init__(self, settings, paths, *, minimized=False):
        seen["app_imported_when_window_built"] = "softphone.app" in sys.modules
        seen["language"] = settings.settings.language
        self.window = _Window()
        self._attached = threading.Event()

    def run(self):
        seen["attached"] = self._attached.wait(60)

    def attach(self, app):
        seen["same_settings"] = app.settings is self_settings[0]
        self._attached.set()


self_settings = []
_init = _Runner.__init__


def _keep(self, settings, paths, **kw):
    self_settings.append(settings)
    _init(self, settings, paths, **kw)


_Runner.__init__ = _keep
runner_module.DesktopRunner = _Runner
from softphone.__main__ import main

code = main(["--data-dir", sys.argv[1], "--sip-bind", "127.0.0.1"])
print(json.dumps({"code": code, **seen}))
"""


def test_window_mode_opens_the_window_before_the_app_is_imported(tmp_path: Path) -> None:
    """The app's imports and set-up (~1 s) run beside the opening window, not before it:
    cold start to first paint. The window gets its language from the one settings store
    the app then uses (no second reader of settings.json)."""
    settings = tmp_path / "app" / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"language": "fr"}))
    out = subprocess.run(
        [sys.executable, "-c", _WINDOW_FIRST, str(tmp_path / "app")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {
        "code": 0,
        "app_imported_when_window_built": False,
        "language": "fr",
        "attached": True,
        "same_settings": True,
    }
