"""A fake of the pjsua2 objects the engine's calls drive (Call, AudioMedia, the Endpoint's
devices), and a harness that runs `EngineCalls` on them with a settable clock.

The fakes record what the engine asked of the stack; a test plays the stack's side by
calling `report_state` / `report_media` as pjsua would. pjsua2's parameter structs
(CallOpParam, SipHeader, ...) and constants are the real ones: plain data, no library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pjsua2 as pj  # noqa: TID251 (the fake stands at the pjsua2 boundary: its structs)

from softphone.domain.account import AccountConfig, DtmfMethod, SrtpMode
from softphone.domain.calls import CallState
from softphone.domain.commands import EngineCommand, MakeCall
from softphone.domain.events import EngineCallReported, Event
from softphone.domain.refusal import Refusal
from softphone.engine.calls import EngineCalls
from softphone.engine.config import EngineConfig
from softphone.engine.router import CommandRouter

CONFIRMED = pj.PJSIP_INV_STATE_CONFIRMED
CONNECTING = pj.PJSIP_INV_STATE_CONNECTING
EARLY = pj.PJSIP_INV_STATE_EARLY
DISCONNECTED = pj.PJSIP_INV_STATE_DISCONNECTED
ACTIVE = pj.PJSUA_CALL_MEDIA_ACTIVE
LOCAL_HOLD = pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
REMOTE_HOLD = pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
NO_MEDIA = pj.PJSUA_CALL_MEDIA_NONE

SERVER = "pbx.example.com"


class FakeBridge:
    """The conference bridge: which port transmits to which, and every request in order."""

    def __init__(self) -> None:
        self.connections: set[tuple[str, str]] = set()
        self.requests: list[tuple[str, str, str]] = []  # ("start" | "stop", source, sink)


class FakeAudioMedia:
    def __init__(self, name: str, bridge: FakeBridge) -> None:
        self.name = name
        self._bridge = bridge

    def startTransmit(self, sink: FakeAudioMedia) -> None:  # noqa: N802 (pjsua2 API)
        self._bridge.requests.append(("start", self.name, sink.name))
        self._bridge.connections.add((self.name, sink.name))

    def stopTransmit(self, sink: FakeAudioMedia) -> None:  # noqa: N802
        self._bridge.requests.append(("stop", self.name, sink.name))
        if (self.name, sink.name) not in self._bridge.connections:
            raise pj.Error()  # as pjmedia: no such connection
        self._bridge.connections.discard((self.name, sink.name))


class FakeDevices:
    def __init__(self, bridge: FakeBridge) -> None:
        self._speaker = FakeAudioMedia("speaker", bridge)
        self._mic = FakeAudioMedia("mic", bridge)

    def getPlaybackDevMedia(self) -> FakeAudioMedia:  # noqa: N802
        return self._speaker

    def getCaptureDevMedia(self) -> FakeAudioMedia:  # noqa: N802
        return self._mic


class FakeEndpoint:
    def __init__(self, bridge: FakeBridge) -> None:
        self._devices = FakeDevices(bridge)

    def audDevManager(self) -> FakeDevices:  # noqa: N802
        return self._devices


def _headers(prm: Any) -> list[tuple[str, str]]:
    return [(str(h.hName), str(h.hValue)) for h in prm.txOption.headers]


class FakeCall:
    """A pj.Call: `sent` lists what the engine asked of it, in order."""

    def __init__(self, engine: Any, app_id: str, pj_call_id: int, bridge: FakeBridge) -> None:
        self._engine = engine
        self.app_id = app_id
        self.pj_id = pj_call_id
        self.challenge_realms: tuple[str, ...] = ()
        self.refusal = Refusal()
        self.sent: list[tuple[object, ...]] = []
        self.fail_on: set[str] = set()  # methods that raise pj.Error, as the stack may
        self.state = pj.PJSIP_INV_STATE_NULL
        self.code = 0
        self.sip_call_id = f"{app_id}@caller"
        self.media: list[int] = []  # each audio stream's status
        self._audio = FakeAudioMedia(f"call:{app_id}", bridge)

    def _do(self, name: str, *details: object) -> None:
        if name in self.fail_on:
            raise pj.Error()
        self.sent.append((name, *details))

    # --- what the engine calls ------------------------------------------------------------

    def makeCall(self, uri: str, prm: Any) -> None:  # noqa: N802
        self._do("makeCall", uri, _headers(prm))
        self.pj_id = 0 if self.pj_id < 0 else self.pj_id

    def answer(self, prm: Any) -> None:
        self._do("answer", int(prm.statusCode))

    def hangup(self, prm: Any) -> None:
        self._do("hangup", int(prm.statusCode), _headers(prm))

    def dialDtmf(self, digits: str) -> None:  # noqa: N802
        self._do("dialDtmf", digits)

    def sendDtmf(self, prm: Any) -> None:  # noqa: N802
        assert prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO
        self._do("info", str(prm.digits))

    def setHold(self, prm: Any) -> None:  # noqa: N802
        self._do("setHold")

    def reinvite(self, prm: Any) -> None:
        self._do("reinvite", int(prm.opt.flag))

    def xfer(self, uri: str, prm: Any) -> None:
        self._do("xfer", uri)

    def xferReplaces(self, other: FakeCall, prm: Any) -> None:  # noqa: N802
        self._do("xferReplaces", other.app_id)

    def getId(self) -> int:  # noqa: N802
        return self.pj_id

    def getInfo(self) -> SimpleNamespace:  # noqa: N802
        return SimpleNamespace(
            state=self.state,
            lastStatusCode=self.code,
            callIdString=self.sip_call_id,
            media=[SimpleNamespace(type=pj.PJMEDIA_TYPE_AUDIO, status=s) for s in self.media],
        )

    def getAudioMedia(self, index: int) -> FakeAudioMedia:  # noqa: N802
        assert 0 <= index < len(self.media)
        return self._audio

    # --- the stack's side, as pjsua reports it ----------------------------------------------

    def report_state(self, state: int, code: int = 0) -> None:
        self.state, self.code = state, code or self.code
        self._engine.on_call_state(self)

    def started(self) -> None:
        """pjsua made the call the engine handed it (REFER, Replaces): it has an id now."""
        self.pj_id = 1

    def report_media(self, *statuses: int) -> None:
        self.media = list(statuses)
        self._engine.on_call_media_state(self)

    def port(self) -> str:
        """The call's port on the bridge."""
        return self._audio.name


@dataclass
class FakeAccount:
    """A PjAccount as the engine reads it."""

    config: AccountConfig | None = field(
        default_factory=lambda: AccountConfig(server=SERVER, user="1001")
    )
    dtmf_method: DtmfMethod = DtmfMethod.RFC4733
    srtp: SrtpMode | None = None
    auth: Any = None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0  # 0.0 means "no time" in the engine's records

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def invite(from_header: str) -> str:
    return (
        f"INVITE sip:1001@{SERVER} SIP/2.0\r\n"
        f"From: {from_header};tag=f1\r\n"
        f"To: <sip:1001@{SERVER}>\r\n"
        "Call-ID: abc@caller\r\n"
        "CSeq: 1 INVITE\r\n\r\n"
    )


class CallsHarness:
    """`EngineCalls` on fakes: commands in, `events` and each `FakeCall.sent` out."""

    def __init__(self, max_calls: int = 4) -> None:
        self.bridge = FakeBridge()
        self.clock = FakeClock()
        self.account: FakeAccount | None = FakeAccount()
        self.events: list[Event] = []
        self.calls: list[FakeCall] = []  # every call made, in order
        self.fail_next: set[str] = set()  # methods the next call made refuses (pj.Error)
        self.clock_started = 0
        self.engine = EngineCalls(
            FakeEndpoint(self.bridge),  # type: ignore[arg-type]
            EngineConfig(max_calls=max_calls),
            self.events.append,
            lambda: self.account,  # type: ignore[arg-type,return-value]
            self._start_clock,
            new_call=self._new_call,  # type: ignore[arg-type]
            clock=self.clock,
        )
        self.router = CommandRouter()
        self.engine.register(self.router)

    def _new_call(self, engine: Any, account: Any, app_id: str, pj_call_id: int = -1) -> FakeCall:
        call = FakeCall(engine, app_id, pj_call_id, self.bridge)
        call.fail_on, self.fail_next = self.fail_next, set()
        self.calls.append(call)
        return call

    def _start_clock(self) -> None:
        self.clock_started += 1

    def do(self, command: EngineCommand) -> object:
        handler = self.router.handler(command)
        assert handler is not None, command
        return handler(command)

    def turn(self) -> None:
        """One turn of the engine loop."""
        self.engine.after_events()

    def ring_in(self, from_header: str = '"Ann" <sip:1002@pbx.example.com>') -> FakeCall:
        self.engine.on_incoming_call(len(self.calls), invite(from_header))
        return self.calls[-1]

    def dial(self, call_id: str, number: str = "1003") -> FakeCall:
        self.do(MakeCall(call_id, f"sip:{number}@{SERVER}"))
        return self.calls[-1]

    def connected(self, call_id: str, number: str = "1003") -> FakeCall:
        """An outgoing call, answered, its audio flowing."""
        call = self.dial(call_id, number)
        call.report_state(CONFIRMED, 200)
        call.report_media(ACTIVE)
        return call

    def reports(self, call: FakeCall | None = None) -> list[EngineCallReported]:
        return [
            e
            for e in self.events
            if isinstance(e, EngineCallReported) and (call is None or e.call_id == call.app_id)
        ]

    def states(self, call: FakeCall) -> list[CallState]:
        return [e.state for e in self.reports(call)]

    def last(self, call: FakeCall) -> EngineCallReported:
        return self.reports(call)[-1]
