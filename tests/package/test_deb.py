"""The Debian package: build it (or reuse a fresh one), unpack it, run the INSTALLED app.

The .deb is built as `make package` builds it (PyInstaller one-folder bundle, then
build/package-deb.sh), except that it is zstd-compressed here (16 s instead of 3 min of xz).
A .deb in build/out newer than every source it is made from is reused. `dpkg -x` unpacks it
into a temporary root (no dpkg database, no root privileges used), and the bundled binary
is started from there in --browser mode: the test reads its `Open ...` line, fetches the UI,
connects like the frontend and signs in on a real Kamailio, which proves that the frozen
engine child process (multiprocessing "spawn") and pjsua2 work from the bundle.

Numbers (sizes, times) go to tests/artifacts/package-metrics.json and to stdout (`-s`).
"""

from __future__ import annotations

import configparser
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from audiolab.pulse import PulseServer
from e2e.window_harness import xdg_env, xvfb_display
from pbx.kamailio import Kamailio
from support import deb_package
from support.app_harness import UiClient, sign_in

pytestmark = [pytest.mark.package, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
HEADSET_VENDORS = ("0b0e", "047f", "1395", "6993", "046d")
OPEN_LINE = re.compile(r"^Open (http://127\.0\.0\.1:(\d+)/#token=(\S+))$")

METRICS: dict[str, Any] = {}


def _record(name: str, value: Any) -> None:
    METRICS[name] = value
    print(f"package metric: {name} = {value}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "package-metrics.json").write_text(json.dumps(METRICS, indent=2) + "\n")


@pytest.fixture(scope="module")
def deb() -> Path:
    """The .deb: reused when newer than its sources, else built (frontend, bundle, package)."""
    build = deb_package.ensure_deb()
    _record("deb_reused", build.reused)
    for name, seconds in build.timings.items():
        _record(name, seconds)
    return build.path


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package unpacked with `dpkg -x` into a temporary root."""
    root = tmp_path_factory.mktemp("deb-root")
    installed_mib = deb_package.unpack(deb, root)
    _record("deb_mib", round(deb.stat().st_size / 2**20, 1))
    _record("installed_mib", installed_mib)
    return root


def _run(cmd: list[str], **kw: Any) -> None:
    subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def test_control_file_declares_the_runtime_libraries(deb: Path) -> None:
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Architecture", "Depends", "Installed-Size"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: softphone" in fields
    depends = fields.split("Depends:", 1)[1].split("\n", 1)[0]
    for lib in (
        "libportaudio2",
        "libnss3",
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "libegl1",
        "libgl1",
        "libc6",
    ):
        assert re.search(rf"(^|[ ,]){re.escape(lib)}(,|$| )", depends), lib


def test_maintainer_scripts_never_fail(deb: Path, tmp_path: Path) -> None:
    _run(["dpkg-deb", "-e", str(deb), str(tmp_path / "DEBIAN")])
    for script in ("postinst", "postrm"):
        path = tmp_path / "DEBIAN" / script
        assert os.access(path, os.X_OK), script
        text = path.read_text()
        assert "update-desktop-database" in text and "udevadm trigger" in text
        # With none of the tools on PATH the scripts still succeed.
        env = {"PATH": str(tmp_path / "empty")}
        arg = "configure" if script == "postinst" else "remove"
        subprocess.run(["/bin/sh", str(path), arg], env=env, check=True)


def test_package_installs_launcher_desktop_file_icon_and_udev_rules(installed: Path) -> None:
    binary = installed / "opt" / "softphone" / "softphone"
    assert os.access(binary, os.X_OK)
    assert (installed / "opt" / "softphone" / "_internal" / "frontend" / "index.html").is_file()
    launcher = installed / "usr" / "bin" / "softphone"
    assert os.access(launcher, os.X_OK)
    assert "exec /opt/softphone/softphone" in launcher.read_text()

    desktop = installed / "usr" / "share" / "applications" / "softphone.desktop"
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(desktop)], check=True)
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(desktop)
    section = entry["Desktop Entry"]
    assert section["Name"] == "Softphone"
    assert section["Exec"] == "softphone %u"
    assert {"Network", "Telephony"} <= set(filter(None, section["Categories"].split(";")))
    schemes = set(filter(None, section["MimeType"].split(";")))
    assert {"x-scheme-handler/tel", "x-scheme-handler/sip", "x-scheme-handler/callto"} <= schemes
    assert "x-scheme-handler/softphone" in schemes  # softphone://provision?url=... links
    icon = section["Icon"]
    icons = installed / "usr" / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / f"{icon}.svg").is_file()
    png = icons / "256x256" / "apps" / f"{icon}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png.read_bytes()[16:20], "big") == 256  # IHDR width

    rules = (installed / "lib" / "udev" / "rules.d" / "60-softphone-headsets.rules").read_text()
    assert 'SUBSYSTEM!="hidraw"' in rules
    for vendor in HEADSET_VENDORS:
        assert f'ATTRS{{idVendor}}=="{vendor}", TAG+="uaccess"' in rules, vendor


@dataclass
class RunningApp:
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    known: dict[int, psutil.Process] = field(default_factory=dict)

    def remember_children(self) -> list[psutil.Process]:
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for child in children:
            self.known[child.pid] = child
        return children

    def wait_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.5)).rstrip("\n")
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            seen.append(line)
            if match := pattern.match(line):
                return match
        raise AssertionError(f"no line matching {pattern.pattern}; stdout was {seen}")

    def stop(self) -> None:
        """SIGTERM to the app, then make sure every child it had (engine...) is gone: by PID."""
        self.remember_children()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for child in self.known.values():
            try:
                child.terminate()
                child.wait(timeout=5)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                child.kill()


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "SOFTPHONE_FRONTEND_DIR"):
        env.pop(name, None)
    # No OS keyring in the test: the frozen app keeps the password in memory (its fallback).
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["HOME"] = str(tmp_path / "home")
    return env


@pytest.fixture
def start_installed(installed: Path, tmp_path: Path, app_env: dict[str, str]) -> Iterator[Any]:
    apps: list[RunningApp] = []

    def start(*args: str, env: dict[str, str | None] | None = None) -> RunningApp:
        child_env = dict(app_env)
        for name, value in (env or {}).items():
            if value is None:
                child_env.pop(name, None)
            else:
                child_env[name] = value
        binary = installed / "opt" / "softphone" / "softphone"
        stderr = (tmp_path / f"app-{len(apps)}.log").open("w")
        process = subprocess.Popen(
            [str(binary), *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=child_env,
            cwd=tmp_path,
        )
        stderr.close()
        app = RunningApp(process)
        apps.append(app)

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                app.lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        return app

    try:
        yield start
    finally:
        for app in apps:
            app.stop()


def test_installed_app_serves_the_ui_and_signs_in_with_its_frozen_engine(
    start_installed: Any, kamailio: Kamailio, tmp_path: Path
) -> None:
    started = time.monotonic()
    app: RunningApp = start_installed(
        "--browser", "--data-dir", str(tmp_path / "data"), "--sip-bind", "127.0.0.1"
    )
    match = app.wait_line(OPEN_LINE, timeout=60)
    _record("start_to_open_line_seconds", round(time.monotonic() - started, 2))
    port, token = int(match.group(2)), match.group(3)

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        body = response.read().decode()
    assert "default-src 'self'" in csp
    assert "<html" in body.lower()

    ui = UiClient.at(port, token)
    try:
        snapshot = ui.wait_for(lambda e: e.get("type") == "snapshot", timeout=20)
        assert snapshot["registration"]["state"] == "unconfigured"
        children = app.remember_children()
        engines = [p for p in children if "--engine-fd" in p.cmdline()]
        assert engines, "no engine child process of the frozen app"
        # No multiprocessing resource tracker (the engine is a plain subprocess), and the
        # engine does not load Qt (PyInstaller's PyQt6 hook used to import QtCore in every
        # process: build/rthook_no_qt_in_children.py).
        assert not [p for p in children if "resource_tracker" in " ".join(p.cmdline())]
        for engine in engines:
            maps = Path(f"/proc/{engine.pid}/maps").read_text()
            assert "libQt6Core" not in maps and "QtCore" not in maps, engine.cmdline()

        signing_in = time.monotonic()
        reply = sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])
        assert reply.get("ok") is True, reply
        ui.wait_for(
            lambda e: (
                e.get("type") in ("registration_changed", "snapshot")
                and e["registration"]["state"] == "registered"
            ),
            timeout=20,
        )
        now = time.monotonic()
        _record("sign_in_to_registered_seconds", round(now - signing_in, 2))
        _record("start_to_registered_seconds", round(now - started, 2))
    finally:
        ui.close()
    app.stop()
    assert app.process.returncode is not None
    assert not [p for p in app.known.values() if _alive(p)], "children outlived the app"


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# The registration pill's background when registered (frontend/src/styles/tokens.css,
# --state-connected-soft, light theme): painted only by the real UI with its CSS, after the
# engine registered.
REGISTERED_PILL_RGB = (0xE8, 0xF7, 0xEE)


def test_installed_app_window_renders_the_ui_and_shows_it_registered(
    start_installed: Any, kamailio: Kamailio, tmp_path: Path
) -> None:
    """The bundled Qt WebEngine (QtWebEngineProcess, its resources, locales, the Qt libraries
    left after the trimming and stripping of the build) shows the real UI, signed in."""
    log = tmp_path / "app-0.log"
    with xvfb_display(size=(1440, 900)) as display:  # the whole window fits
        started = time.monotonic()
        app: RunningApp = start_installed(
            "--data-dir",
            str(tmp_path / "data"),
            "--server",
            f"127.0.0.1:{kamailio.port}",
            "--user",
            "1001",
            "--password-env",
            "PACKAGE_TEST_PW",
            "--sip-bind",
            "127.0.0.1",
            env={
                **display.env,
                **xdg_env(tmp_path / "xdg"),
                "PACKAGE_TEST_PW": kamailio.users["1001"],
            },
        )
        deadline = started + 60
        while "UI connected" not in log.read_text():  # the page's Socket.IO connected
            assert app.process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        _record("window_start_to_ui_connected_seconds", round(time.monotonic() - started, 2))
        names = [p.name() for p in app.remember_children()]
        assert "QtWebEngineProcess" in names, names
        # The page painted, styled, in the registered state: the pill's colour on the screen.
        deadline = time.monotonic() + 30
        while (pill := display.pixels_of(REGISTERED_PILL_RGB)) < 200:
            assert app.process.poll() is None, log.read_text()[-3000:]
            if time.monotonic() > deadline:
                shot = display.screenshot(ARTIFACTS / "package-window.png")
                tail = log.read_text()[-3000:]
                raise AssertionError(f"no registered pill ({pill} px), see {shot}; {tail}")
            time.sleep(0.2)
        _record("window_start_to_registered_shown_seconds", round(time.monotonic() - started, 2))
        assert "registration registered" in log.read_text()
        pixels = display.grab()
        # Text and icons, not a blank or error page: many distinct colours on the screen.
        colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
        display.screenshot(ARTIFACTS / "package-window.png")
        assert colours > 50, f"window looks blank ({colours} colours)"
        app.stop()
    assert app.process.returncode is not None
    assert not [p for p in app.known.values() if _alive(p)], "children outlived the app"


# Issue 21 asks for <= 250 MiB. With the PyQt6-WebEngine wheel that is out of reach by trimming:
# libQt6WebEngineCore alone is 194 MiB (already stripped), and what it links (Qt Core/Gui/
# Widgets/Quick/QML/Network..., Qt's ICU 36 MiB), its data files and the Python side (numpy is
# imported by the audio code) bring the floor to ~400 MiB (bench/results.md, "Installed size
# breakdown"). This budget keeps what was cut from coming back: 457 MiB before the trimming,
# 410 MiB after it, 438 MiB with livekit's WebRTC AEC3 (its native library is 27 MiB; the
# echo canceller of issue 18) (2026-12-04).
INSTALLED_BUDGET_MIB = 445


def test_installed_size_stays_within_its_budget(installed: Path) -> None:
    du = subprocess.run(["du", "-sm", str(installed)], capture_output=True, text=True, check=True)
    installed_mib = int(du.stdout.split()[0])
    groups = "; ".join(f"{name} {mib}" for name, mib in deb_package.size_breakdown(installed))
    print(f"package metric: installed size by group (MiB): {groups}")
    assert installed_mib <= INSTALLED_BUDGET_MIB, f"{installed_mib} MiB installed: {groups}"


def test_installed_app_cancels_echo_with_webrtc_aec3(
    pulse: PulseServer,
    start_installed: Any,
    kamailio: Kamailio,
    pj_peer_factory: Any,
    tmp_path: Path,
) -> None:
    """The frozen engine loads livekit's AEC3 (its native library collected by the spec) for
    a call with echo cancellation on, the setting's default: not pjmedia's fallback."""
    app: RunningApp = start_installed(
        "--browser",
        "--data-dir",
        str(tmp_path / "data"),
        "--sip-bind",
        "127.0.0.1",
        "--log-level",
        "INFO",
    )
    match = app.wait_line(OPEN_LINE, timeout=60)
    ui = UiClient.at(int(match.group(2)), match.group(3))
    try:
        ui.wait_for(lambda e: e.get("type") == "snapshot", timeout=20)
        assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"]).get("ok") is True
        ui.wait_for(
            lambda e: (
                e.get("type") in ("registration_changed", "snapshot")
                and e["registration"]["state"] == "registered"
            ),
            timeout=20,
        )
        pj_peer_factory("1009", mode="echo")
        call_id = ui.dial_connected("1009")
        log = tmp_path / "data" / "logs" / "engine.log"
        deadline = time.monotonic() + 15
        while "call audio on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ui.command("call.hangup", call_id=call_id)["ok"]
    finally:
        ui.close()
    lines = [x for x in log.read_text().splitlines() if "call audio on" in x]
    assert lines and "echo cancellation webrtc-aec3" in lines[0], lines
