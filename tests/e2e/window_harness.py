"""Run a real native window (Xvfb or Qt offscreen) in a D-Bus session, wait, screenshot it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import numpy as np
import psutil

from support.engine_watch import engine_deaths_in_logs

WINDOW_CHILD = Path(__file__).with_name("window_child.py")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
XVFB = "/usr/bin/Xvfb"


# -- displays ------------------------------------------------------------------------------


@dataclass
class Display:
    """Environment changes that give a child a display; None removes a variable."""

    env: dict[str, str | None]
    framebuffer: Path | None = None  # Xvfb's live XWD image of the screen, if any

    def screenshot(self, png_path: Path) -> Path:
        """Save the whole screen as PNG (Xvfb only: offscreen Qt has no screen to read)."""
        png_path.parent.mkdir(parents=True, exist_ok=True)
        write_png(png_path, self.grab())
        return png_path

    def grab(self) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The screen as an RGB array (Xvfb only)."""
        if self.framebuffer is None:
            raise RuntimeError("this display has no framebuffer to read")
        return read_xwd(self.framebuffer.read_bytes())

    def pixels_of(self, rgb: tuple[int, int, int]) -> int:
        """How many screen pixels have exactly this colour: a page's paint seen from outside."""
        return int(np.all(self.grab() == np.array(rgb, np.uint8), axis=-1).sum())


def offscreen_display() -> Display:
    """Qt's offscreen platform: no X server at all."""
    return Display(env={"QT_QPA_PLATFORM": "offscreen", "DISPLAY": None, "WAYLAND_DISPLAY": None})


@contextlib.contextmanager
def xvfb_display(size: tuple[int, int] = (1440, 900), timeout: float = 10.0) -> Iterator[Display]:
    """A private Xvfb on a free display number, stopped by PID on exit."""
    fbdir = Path(tempfile.mkdtemp(prefix="xvfb-fb-"))
    read_fd, write_fd = os.pipe()
    # -displayfd makes Xvfb pick a free display itself and report it once it accepts
    # connections: no guessing numbers, no race with another Xvfb, no polling.
    argv = [
        XVFB,
        "-displayfd",
        str(write_fd),
        "-nolisten",
        "tcp",
        "-fbdir",
        str(fbdir),
        "-screen",
        "0",
        f"{size[0]}x{size[1]}x24",
    ]
    proc = subprocess.Popen(
        argv,
        pass_fds=(write_fd,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = _read_display_number(read_fd, timeout)
        yield Display(
            env={"DISPLAY": f":{number}", "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": "xcb"},
            framebuffer=fbdir / "Xvfb_screen0",
        )
    finally:
        os.close(read_fd)
        _stop_pid(proc, timeout=5.0)
        shutil.rmtree(fbdir, ignore_errors=True)


def _read_display_number(fd: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    data = b""
    os.set_blocking(fd, False)
    while not data.endswith(b"\n"):
        if time.monotonic() > deadline:
            raise RuntimeError("Xvfb did not report a display number")
        with contextlib.suppress(BlockingIOError):
            chunk = os.read(fd, 16)
            if not chunk:
                raise RuntimeError("Xvfb exited before it was ready")
            data += chunk
        time.sleep(0.02)
    return int(data)


# -- screenshots: XWD (Xvfb's framebuffer format) to PNG, no ImageMagick needed --------------


def read_xwd(data: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Decode a 24/32-bit TrueColor XWD image into an RGB array (height, width, 3)."""
    fields = struct.unpack(">25I", data[:100])
    header_size, _version, _fmt, _depth, width, height = fields[:6]
    byte_order, bpp, bytes_per_line = fields[7], fields[11], fields[12]
    masks, ncolors = fields[14:17], fields[19]
    if bpp != 32:
        raise ValueError(f"unsupported XWD bits per pixel: {bpp}")
    start = header_size + ncolors * 12  # the colormap (12 bytes an entry) precedes pixels
    dtype = "<u4" if byte_order == 0 else ">u4"
    words = np.frombuffer(data, dtype=dtype, count=height * bytes_per_line // 4, offset=start)
    pixels = words.reshape(height, bytes_per_line // 4)[:, :width]
    channels = [(pixels & m) >> _shift(m) for m in masks]
    return np.stack(channels, axis=-1).astype(np.uint8)


def _shift(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def write_png(path: Path, rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
    """Write an RGB array as an 8-bit PNG."""
    height, width, _ = rgb.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


# -- the window process ----------------------------------------------------------------------


@dataclass
class WindowProcess:
    """A window program running under dbus-run-session, with its stdout JSON events."""

    proc: subprocess.Popen[str]
    started: float
    log_path: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    ready_after: float | None = None  # seconds from spawn until the predicate held

    def event(self, name: str) -> dict[str, Any] | None:
        """The first JSON line with this "event" name printed by the child, if any."""
        return next((e for e in list(self.events) if e.get("event") == name), None)

    def send_line(self, line: str) -> None:
        """Write one line to the child's stdin (window_child.py understands "focus")."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "<no log>"

    def stop(self, grace: float = 15.0) -> int:
        """Ask the child to close its window (stdin EOF); past grace, stop it by PID."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            # dbus-run-session does not pass SIGTERM on: signal the program under it first.
            _stop_processes(_descendants(self.proc.pid), timeout=5.0)
            return _stop_pid(self.proc, timeout=5.0)


def xdg_env(root: Path) -> dict[str, str]:
    """Point the child's per-user dirs (Qt's web cache, mesa's shader cache, later the app's
    settings and history) at root, so a test run leaves nothing in the real home."""
    return {
        f"XDG_{kind}_HOME": str(root / kind.lower())
        for kind in ("CACHE", "CONFIG", "DATA", "STATE")
    }


def smoke_command() -> list[str]:
    """window_child.py serving its own smoke page (no URL)."""
    return [sys.executable, str(WINDOW_CHILD)]


def window_command(target: str | Sequence[str], storage: Path | None = None) -> list[str]:
    """A URL runs the generic window child on it; a sequence is a full command (the app)."""
    if not isinstance(target, str):
        return list(target)
    command = [sys.executable, str(WINDOW_CHILD), "--url", target]
    return command + (["--storage", str(storage)] if storage is not None else [])


@contextlib.contextmanager
def open_window_and_wait_for(
    target: str | Sequence[str],
    predicate: Callable[[WindowProcess], bool],
    *,
    display: Display,
    log_path: Path,
    timeout: float = 60.0,
    stop_grace: float = 15.0,
    storage: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[WindowProcess]:
    """Start the window program, yield once predicate(window) holds, stop it on exit.

    target: a URL (opened by window_child.py) or a command such as the real app's. The
    command runs inside `dbus-run-session` so the D-Bus helpers Qt starts die with it.
    Fails with the log tail when the program exits or the timeout passes first. On exit
    stdin is closed (window_child.py then closes its window); a program still running
    after stop_grace is stopped by PID.
    """
    env = _child_env(display, extra_env)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["dbus-run-session", "--", *window_command(target, storage)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
    window = WindowProcess(proc=proc, started=time.monotonic(), log_path=log_path)
    threading.Thread(target=_collect_events, args=(proc.stdout, window), daemon=True).start()
    try:
        _wait_for(window, predicate, timeout)
        yield window
    finally:
        # Listed before stopping: once dbus-run-session is gone, its orphans are untraceable.
        spawned = _descendants(proc.pid)
        window.stop(stop_grace)
        _stop_processes(spawned, timeout=5.0)
    # The app logs to stderr (this log) too: a dead engine fails the test (engine_watch.py).
    deaths = engine_deaths_in_logs(log_path)
    assert not deaths, f"the engine process died during the test: {deaths}"


def _child_env(display: Display, extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in {**display.env, **(extra or {})}.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _collect_events(stream: IO[str] | None, window: WindowProcess) -> None:
    if stream is None:
        return
    for line in stream:
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict):
                window.events.append(event)


def _wait_for(
    window: WindowProcess, predicate: Callable[[WindowProcess], bool], timeout: float
) -> None:
    deadline = window.started + timeout
    while not predicate(window):
        if window.proc.poll() is not None:
            raise AssertionError(
                f"window program exited with {window.proc.returncode} "
                f"before it was ready:\n{window.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"window not ready within {timeout:.0f} s:\n{window.log_tail()}")
        time.sleep(0.05)
    window.ready_after = time.monotonic() - window.started


# -- a page served by the test itself ------------------------------------------------------

# Moves a box on every animation frame for 3 s (after 0.5 s to settle), then reports how
# many frames the page got per second.
ANIMATED_PAGE = """<!doctype html><meta charset="utf-8">
<style>body{margin:0;background:#f5f6f8}#box{width:120px;height:120px;background:#1d6f42}</style>
<body><div id="box"></div><script>
const box = document.getElementById('box');
let frames = 0, start = 0;
function tick(now) {
  box.style.transform = 'translateX(' + (now / 4 % 400) + 'px)';
  if (!start) { start = now + 500; }
  if (now >= start) { frames++; }
  if (now - start < 3000) { requestAnimationFrame(tick); return; }
  fetch('/loaded?fps=' + (frames / ((now - start) / 1000)).toFixed(1));
}
requestAnimationFrame(tick);
</script></body>"""


class PageServer:
    """Serves one HTML page at / on 127.0.0.1 and records the query of every /loaded hit."""

    def __init__(self, html: str) -> None:
        body = html.encode()
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path)
                if path.path == "/loaded":
                    hits.append(path.query)
                data = body if path.path == "/" else b""
                # A reload or a closing window may hang up first; that is not a test failure.
                with contextlib.suppress(ConnectionError):
                    self.send_response(200 if data else 204)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# -- stopping by PID -------------------------------------------------------------------------


def _stop_pid(proc: subprocess.Popen[Any], timeout: float) -> int:
    """SIGTERM, then SIGKILL, this process only; returns its exit status."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    return int(proc.returncode)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def _stop_processes(procs: list[psutil.Process], timeout: float) -> None:
    """SIGTERM, then SIGKILL, exactly these processes (psutil refuses a reused PID)."""
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _gone, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(alive, timeout=timeout)
