"""Linphone's console client (linphonec 5.1) as a scripted SIP peer: WAV in, WAV out, stdin.

linphonec has no machine interface: commands go to its stdin (readline reads a pipe as
well), and what it prints (call state changes, received DTMF, transfer progress) is parsed
from its stdout. Its `--pipe` mode uses a fixed socket name per uid (/tmp/linphonec-UID),
which parallel peers would share, so it is not used.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pbx import tones
from pbx.loopback_shim import loopback_shim
from pbx.ports import HOST, free_udp_tcp_port
from pbx.procs import log_tail

LINPHONEC_BIN = shutil.which("linphonec") or "/usr/bin/linphonec"
# linphonec prints its prompt unterminated, so it can start an output line or, after an
# unterminated message ("Performing attended transfer of call 2 to call 3"), sit inside one.
_PROMPT = re.compile(r"linphonec> ")


@dataclass(frozen=True)
class LinphoneEvent:
    """One line linphonec printed about a call: kind, call id (0 if none), peer, detail."""

    kind: str
    call_id: int
    peer: str
    detail: str
    line: str


# What linphonec 5.1 prints (console/linphonec.c), as (kind, pattern). Groups: id, peer, detail.
_EVENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("incoming", r"Receiving new incoming call from (?P<peer>.+), assigned id (?P<id>\d+)$"),
        ("outgoing", r"Establishing call id to (?P<peer>.+), assigned id (?P<id>\d+)$"),
        ("progress", r"Call (?P<id>\d+) to (?P<peer>.+) in progress\.$"),
        ("ringing", r"Call (?P<id>\d+) to (?P<peer>.+) ringing\.$"),
        ("early_media", r"Call (?P<id>\d+) with (?P<peer>.+) early media\.$"),
        ("connected", r"Call (?P<id>\d+) with (?P<peer>.+) connected\.$"),
        (
            "streams_running",
            r"Media streams established with (?P<peer>.+) for call (?P<id>\d+)"
            r" \((?P<detail>\w+)\)\.$",
        ),
        ("pausing", r"Pausing call (?P<id>\d+) with (?P<peer>.+)\.$"),
        ("paused", r"Call (?P<id>\d+) with (?P<peer>.+) is now paused\.$"),
        ("paused_by_remote", r"Call (?P<id>\d+) has been paused by (?P<peer>.+)\.$"),
        ("resuming", r"Resuming call (?P<id>\d+) with (?P<peer>.+)\.$"),
        ("ended", r"Call (?P<id>\d+) with (?P<peer>.+) ended \((?P<detail>[^)]*)\)\.$"),
        ("error", r"Call (?P<id>\d+) with (?P<peer>.+) error\.$"),
        ("dtmf", r"Receiving tone (?P<detail>.) from (?P<peer>.+)$"),
        (
            "transferred",
            # 5.1 prints "transfered"; later versions spell it right.
            r"The distant endpoint (?P<peer>.+) of call (?P<id>\d+) has been transferr?ed",
        ),
        ("registered", r"registered, identity=(?P<peer>\S+)"),
        ("not_registered", r"registered=(?P<detail>-?\d)$"),
    )
)


def parse_line(line: str) -> list[LinphoneEvent]:
    """The events one output line reports (none for echoed commands and other text)."""
    events = []
    for piece in _PROMPT.split(line.strip()):
        text = piece.strip()
        for kind, pattern in _EVENT_PATTERNS:
            m = pattern.match(text)
            if m:
                groups = m.groupdict()
                events.append(
                    LinphoneEvent(
                        kind,
                        int(groups.get("id") or 0),
                        groups.get("peer") or "",
                        groups.get("detail") or "",
                        text,
                    )
                )
                break
    return events


EventMatch = Callable[[LinphoneEvent], bool]

# An INFO request as liblinphone logs it, up to its dtmf-relay body's Signal line.
_INFO_DTMF = re.compile(
    r"^INFO sip:[^\n]*\n(?:(?!^[A-Z]+ sip:|^SIP/2\.0 )[^\n]*\n)*?"
    r"Content-Type: application/dtmf-relay[^\n]*\n(?:[^\n]*\n)*?Signal=\s*([0-9*#A-D])",
    re.MULTILINE,
)


# Codecs liblinphone 5.1 enables by default, all listed so that only G.711 stays on.
_CODECS = (
    ("PCMU", 8000, 1, 1),
    ("PCMA", 8000, 1, 1),
    ("opus", 48000, 2, 0),
    ("SILK", 16000, 1, 0),
    ("speex", 32000, 1, 0),
    ("speex", 16000, 1, 0),
    ("speex", 8000, 1, 0),
    ("G722", 8000, 1, 0),
    ("G729", 8000, 1, 0),
    ("GSM", 8000, 1, 0),
)


def _codecs() -> str:
    return "".join(
        f"[audio_codec_{i}]\nmime={mime}\nrate={rate}\nchannels={ch}\nenabled={on}\n\n"
        for i, (mime, rate, ch, on) in enumerate(_CODECS)
    )


def _config(
    *, sip_port: int, pbx_port: int, user: str, password: str, domain: str, expires: int
) -> str:
    # Only G.711: the tones are checked in the 8 kHz band and codecs stay predictable.
    # Every address is 127.0.0.1: the harness never listens beyond loopback.
    # No "gruu" in Supported: Kamailio's registrar grants a GRUU (sip:USER@127.0.0.1;gr=...),
    # liblinphone then uses it as Contact of the calls it makes, and the test PBX does not
    # route GRUUs: the far end's in-dialog requests (NOTIFY, BYE) were lost.
    return f"""\
[sip]
sip_port={sip_port}
sip_tcp_port=0
sip_tls_port=0
bind_address={HOST}
contact=sip:{user}@{HOST}
guess_hostname=0
register_only_when_network_is_up=0
register_only_when_upnp_is_ok=0
media_encryption=none
ipv6_migration_done=1
use_ipv6=0
inc_timeout=60
auto_send_ringing=1
use_rfc2833=1
use_info=0
supported=replaces, outbound
default_proxy=0

[net]
firewall_policy=0

[rtp]
bind_address={HOST}
audio_rtp_port=40000-48999
audio_jitt_comp=60
nortp_timeout=30

[sound]
echocancellation=0
remote_ring=

[video]
capture=0
display=0
automatically_initiate=0
automatically_accept=0

[storage]
uri=null

[misc]
history_max_size=0
keep_call_logs_in_memory=0

[proxy_0]
reg_proxy=<sip:{HOST}:{pbx_port};transport=udp>
reg_route=<sip:{HOST}:{pbx_port};transport=udp;lr>
reg_identity=sip:{user}@{domain}
reg_expires={expires}
reg_sendregister=1
publish=0
dial_escape_plus=0
quality_reporting_enabled=0
avpf=0

[auth_info_0]
username={user}
passwd={password}
domain={domain}

{_codecs()}"""


class Linphone:
    """One linphonec process registered on a Kamailio as `user`.

    The microphone is a WAV of a `tone_hz` sine ("soundcard use files" + "play"); what it
    receives goes to the WAV set with record(): dial() and answer() pick a fresh one per call,
    `rec_dir/call-N.wav` (`recording`); a call that starts without one truncates the last.
    """

    def __init__(
        self,
        pbx_port: int,
        user: str,
        password: str,
        *,
        domain: str = HOST,
        tone_hz: int = 500,
        work_dir: Path | None = None,
        expires: int = 600,
    ) -> None:
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=f"linphone-{user}-"))
        self.rec_dir = self.work_dir / "rec"
        self.log_path = self.work_dir / "linphonec.log"
        self.debug_log_path = self.work_dir / "liblinphone.log"
        self.config_path = self.work_dir / "linphonerc"
        self.tone_path = self.work_dir / f"tone-{tone_hz}.wav"
        self.pbx_port, self.user, self.password = pbx_port, user, password
        self.domain, self.tone_hz, self.expires = domain, tone_hz, expires
        self.sip_port = free_udp_tcp_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.events: list[LinphoneEvent] = []
        self.recordings: list[Path] = []
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None
        self._rec_count = 0

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, wait_registered: bool = True, timeout: float = 10.0) -> Linphone:
        if self.proc is not None:
            raise RuntimeError("already started")
        self.rec_dir.mkdir(parents=True, exist_ok=True)
        # Long enough that the file player never loops (it pauses 500 ms between loops).
        tones.write_tone_wav(self.tone_path, self.tone_hz, 60.0, rate=8000)
        self.config_path.write_text(
            _config(
                sip_port=self.sip_port,
                pbx_port=self.pbx_port,
                user=self.user,
                password=self.password,
                domain=self.domain,
                expires=self.expires,
            )
        )
        # Its own HOME: linphonec keeps history, ZRTP cache and certificates there. A wide
        # COLUMNS: readline otherwise echoes long commands (paths) horizontally scrolled.
        env = {**os.environ, "HOME": str(self.work_dir), "TERM": "dumb", "COLUMNS": "4096"}
        env.pop("ALSA_CONFIG_PATH", None)  # the app's ALSA settings are not the peer's
        env.pop("DISPLAY", None)
        shim = loopback_shim()
        if shim is not None:
            env["LD_PRELOAD"] = str(shim)
        argv = [LINPHONEC_BIN, "-c", str(self.config_path)]
        argv += ["-d", "5", "-l", str(self.debug_log_path)]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.work_dir,
            env=env,
            close_fds=True,
        )
        self._reader = threading.Thread(
            target=self._read_loop, name=f"linphonec-{self.user}", daemon=True
        )
        self._reader.start()
        try:
            self.command("soundcard use files")
            self.play(self.tone_path)
            if wait_registered:
                self.wait_registered(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_loop(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        with open(self.log_path, "ab") as log:
            for raw in iter(proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                events = parse_line(raw.decode(errors="replace"))
                if events:
                    with self._cond:
                        self.events.extend(events)
                        self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def stop(self) -> None:
        """`quit` (unregisters), then SIGTERM, then SIGKILL, all by PID."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
        for sig, wait in ((None, 3.0), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
            self._reader = None
        if proc.stdout is not None:
            proc.stdout.close()

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> Linphone:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- stdin / stdout -----------------------------------------------------------------
    def command(self, line: str) -> None:
        """Type one command line (no reply to wait for: watch the events instead)."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise RuntimeError(f"linphonec is not running:\n{log_tail(self.log_path)}")
        if "\n" in line or "\r" in line:
            raise ValueError("one command per line")
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()

    def mark(self) -> int:
        """Index to pass as `start` so wait_for only sees later events."""
        with self._cond:
            return len(self.events)

    def wait_for(
        self, match: str | EventMatch, timeout: float = 10.0, start: int = 0
    ) -> LinphoneEvent:
        """First event at index >= start of that kind (or matching the predicate)."""
        pred: EventMatch = (lambda e: e.kind == match) if isinstance(match, str) else match
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[start:]:
                    if pred(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.line for e in self.events[start:]]
                    raise TimeoutError(
                        f"linphonec: no event matching {match!r}; saw {seen}\n"
                        f"--- linphonec output:\n{log_tail(self.log_path)}"
                    )
                self._cond.wait(left)

    def wait_call(
        self, call_id: int, kind: str, timeout: float = 10.0, start: int = 0
    ) -> LinphoneEvent:
        return self.wait_for(lambda e: e.call_id == call_id and e.kind == kind, timeout, start)

    def wait_dtmf(self, count: int, timeout: float = 10.0, start: int = 0) -> str:
        """The first `count` digits received at event index >= start, in order."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                digits = "".join(e.detail for e in self.events[start:] if e.kind == "dtmf")
                if len(digits) >= count:
                    return digits[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"linphonec received DTMF {digits!r} only")
                self._cond.wait(left)

    def info_dtmf_received(self) -> str:
        """Digits that came as SIP INFO (application/dtmf-relay), read from liblinphone's SIP
        log: linphonec prints DTMF the same whichever way it came."""
        try:
            text = self.debug_log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "".join(_INFO_DTMF.findall(text))

    # -- registration ----------------------------------------------------------------------
    def wait_registered(self, timeout: float = 10.0) -> LinphoneEvent:
        """Ask `status register` until the proxy answers 200 (linphonec prints no event)."""
        deadline = time.monotonic() + timeout
        while True:
            mark = self.mark()
            self.command("status register")
            with contextlib.suppress(TimeoutError):
                return self.wait_for(
                    lambda e: e.kind == "registered", min(0.5, timeout), start=mark
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"linphonec never registered:\n{log_tail(self.log_path)}")

    # -- calls ----------------------------------------------------------------------------------
    def _next_recording(self) -> Path:
        self._rec_count += 1
        return self.rec_dir / f"call-{self._rec_count}.wav"

    def ringing_in(self) -> list[int]:
        """Ids of incoming calls not answered (nor ended) yet."""
        with self._cond:
            last: dict[int, str] = {}
            for event in self.events:
                if event.call_id:
                    last[event.call_id] = event.kind
        return [call_id for call_id, kind in last.items() if kind == "incoming"]

    def record(self, path: Path) -> Path:
        """Write received audio to `path` from now on (the current call's too).

        Not while a call rings in: linphonec 5.1 then records into the unstarted stream
        and dies of SIGSEGV (seen every time).
        """
        if self.ringing_in():
            raise RuntimeError("linphonec crashes on `record` while a call rings in")
        self.command(f"record {path}")
        self.recordings.append(path)
        return path

    @property
    def recording(self) -> Path:
        """The WAV received audio goes to now."""
        if not self.recordings:
            raise RuntimeError("nothing recorded yet")
        return self.recordings[-1]

    def new_recording(self) -> Path:
        """Switch received audio to a fresh `rec_dir/call-N.wav`."""
        return self.record(self._next_recording())

    def play(self, path: Path) -> None:
        """The WAV sent as microphone from now on (the current call's too) and as music on
        hold: liblinphone has one such file for both."""
        self.command(f"play {path}")

    def dial(self, uri: str, timeout: float = 10.0) -> int:
        """Call uri (a bare extension becomes sip:EXT@domain); the call id linphonec gave."""
        if not uri.startswith(("sip:", "sips:")):
            uri = f"sip:{uri}@{self.domain}"
        self.new_recording()
        mark = self.mark()
        self.command(f"call {uri}")
        return self.wait_for("outgoing", timeout, mark).call_id

    def wait_incoming(self, timeout: float = 10.0, start: int = 0) -> int:
        return self.wait_for("incoming", timeout, start).call_id

    def answer(self, call_id: int, timeout: float = 10.0) -> Path:
        """Answer, wait for the media, then record it to a fresh WAV (returned): linphonec
        cannot switch the file while the call rings (see record())."""
        mark = self.mark()
        self.command(f"answer {call_id}")
        self.wait_call(call_id, "streams_running", timeout, mark)
        return self.new_recording()

    def hangup(self, call_id: int | None = None) -> None:
        self.command("terminate" if call_id is None else f"terminate {call_id}")

    def pause(self) -> None:
        """Put the current call on hold (linphonec pauses only the current one)."""
        self.command("pause")

    def resume(self, call_id: int) -> None:
        self.command(f"resume {call_id}")

    def send_dtmf(self, digits: str) -> None:
        """RFC 4733 digits into the current call (linphonec sleeps 1 s after each digit)."""
        if not re.fullmatch(r"[0-9*#]+", digits):
            raise ValueError(f"linphonec sends only 0-9, * and #: {digits!r}")
        self.command(digits)

    def transfer(self, target: str, call_id: int | None = None) -> None:
        """Blind transfer (REFER) of `call_id` (or the current call) to target."""
        if not target.startswith(("sip:", "sips:")):
            target = f"sip:{target}@{self.domain}"
        self.command(f"transfer {target}" if call_id is None else f"transfer {call_id} {target}")

    def transfer_attended(self, call_id: int, to_call_id: int) -> None:
        """REFER with Replaces: the peer of call_id is connected to the peer of to_call_id."""
        self.command(f"transfer {call_id} --to-call {to_call_id}")
