"""How the engine process is set up; plain data so it crosses the process boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MediaTestConfig:
    """Diagnostics and tests: play a WAV into every call and record every call's far side."""

    play_wav: Path | None = None
    record_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class EngineConfig:
    # Where SIP listens. Empty means all interfaces (what a PBX behind NAT needs to reach us);
    # tests and the demo pass 127.0.0.1.
    bind_address: str = ""
    sip_port: int = 0  # 0: any free port
    public_address: str = ""  # address put in Contact/SDP when bound to a specific one
    user_agent: str = "Softphone/0.1"
    max_calls: int = 4  # the pjsua2 wheel is compiled with PJSUA_MAX_CALLS = 4
    log_level: int = 3  # pjsip log level (4+ logs every SIP message)
    log_file: Path | None = None
    # Call audio on the sound devices (audio/); off: pjsua's null device, calls are silent
    # (tests that need no sound, servers).
    sound: bool = True
    media_test: MediaTestConfig = field(default_factory=MediaTestConfig)
    # CAs the TLS transport trusts (the system's plus certificates the user trusted); the
    # app rewrites the file, OpenSSL rereads it per connection. None: the system bundle.
    tls_ca_file: Path | None = None
    tls_verify_server: bool = True
