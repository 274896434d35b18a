"""pjsua2 test peer: registers, auto-answers, echoes or plays a tone, records each call."""

from __future__ import annotations

import argparse
import json
import queue
import random
import re
import signal
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pjsua2 as pj

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ for pbx.tones
from pbx.tones import write_tone_wav

HOST = "127.0.0.1"
Command = tuple[dict[str, Any], "queue.Queue[dict[str, Any]]"]


def emit(event: str, **data: Any) -> None:
    """One JSON line on stdout per event: the log doubles as a machine-readable trace."""
    print(json.dumps({"event": event, "t": round(time.time(), 3), **data}), flush=True)


# -- pjsua2 callbacks (all run on the main thread: threadCnt=0, mainThreadOnly) ----------


class PeerAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, peer: Peer) -> None:
        super().__init__()
        self.peer = peer

    def onRegState(self, prm: Any) -> None:  # noqa: N802 - pjsua2 API name
        info = self.getInfo()
        self.peer.registered = bool(info.regIsActive and prm.code // 100 == 2)
        emit("reg_state", code=prm.code, reason=prm.reason, active=info.regIsActive)

    def onIncomingCall(self, prm: Any) -> None:  # noqa: N802
        call = PeerCall(self.peer, self, prm.callId)
        leg = self.peer.add_leg(call, incoming=True)
        info = call.getInfo()
        emit("incoming", leg=leg.n, remote=info.remoteUri, call_id=info.callIdString)
        # Only 180 here: a final answer from inside the callback can abort pjsua when the
        # INVITE had no SDP. The 200 goes out from the main loop after answer_delay.
        op = pj.CallOpParam()
        op.statusCode = 180
        call.answer(op)
        leg.answer_at = time.monotonic() + self.peer.args.answer_delay


class PeerCall(pj.Call):  # type: ignore[misc]
    def __init__(self, peer: Peer, acc: pj.Account, call_id: int = -1) -> None:
        super().__init__(acc, call_id)
        self.peer = peer
        self.sdp_srtp: list[bool] = []

    def onCallState(self, prm: Any) -> None:  # noqa: N802
        info = self.getInfo()
        leg = self.peer.leg_of(self)
        emit(
            "call_state",
            leg=leg.n if leg else -1,
            state=info.stateText,
            code=info.lastStatusCode,
            reason=info.lastReason,
        )
        if leg is not None:
            leg.state = info.stateText
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                leg.last_code = info.lastStatusCode
                leg.disconnected = True  # deleted by the main loop, never in here

    def onCallSdpCreated(self, prm: Any) -> None:  # noqa: N802
        # Every SDP we send (offer, answer, hold, resume): SDES keys (a=crypto) in an answer
        # mean SRTP was accepted (RTP/SAVP when mandatory, RTP/AVP when optional). Kept as a
        # list so a test sees each re-INVITE's choice.
        sdp = str(prm.sdp.wholeSdp)
        self.sdp_srtp.append("m=audio" in sdp and "a=crypto:" in sdp)

    def onCallRedirected(self, prm: Any) -> int:  # noqa: N802
        # Like a desk phone: follow a 302 (client-side call forwarding); pjsua2's default stops.
        return int(pj.PJSIP_REDIRECT_ACCEPT_REPLACE)

    def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
        leg = self.peer.leg_of(self)
        if leg is None:
            return
        info = self.getInfo()
        for i, media in enumerate(info.media):
            # REMOTE_HOLD too: the recorder must stay on the bridge while we are held, or the
            # recording skips the held time instead of holding silence.
            active = (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD)
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status not in active:
                continue
            self.peer.connect_audio(leg, self.getAudioMedia(i))
            emit("media_active", leg=leg.n, index=i)

    def onCallTransferStatus(self, prm: Any) -> None:  # noqa: N802
        # Our own REFER (the `xfer` command): what the transferee answered, then NOTIFYed.
        leg = self.peer.leg_of(self)
        if leg is not None:
            leg.xfer_codes.append(int(prm.statusCode))
        emit("transfer_status", leg=leg.n if leg else -1, code=int(prm.statusCode))
        prm.cont = True

    def onCallTransferRequest(self, prm: Any) -> None:  # noqa: N802
        # Follow the REFER; pjsua2 needs a fresh Call object for the new call it places.
        assert self.peer.acc is not None
        new_call = PeerCall(self.peer, self.peer.acc)
        leg = self.peer.add_leg(new_call, incoming=False)
        prm.newCall = new_call
        emit("transfer_request", leg=leg.n, target=prm.dstUri)

    def onCallReplaced(self, prm: Any) -> None:  # noqa: N802
        # An INVITE with Replaces took this call over: the new call needs its own object.
        assert self.peer.acc is not None
        new_call = PeerCall(self.peer, self.peer.acc, prm.newCallId)
        leg = self.peer.add_leg(new_call, incoming=True)
        prm.newCall = new_call
        emit("replaced", leg=leg.n)

    def onDtmfDigit(self, prm: Any) -> None:  # noqa: N802
        leg = self.peer.leg_of(self)
        if leg is not None:
            leg.dtmf += prm.digit
            # How each digit came: RTP event (RFC 4733) or SIP INFO, for the fallback's test.
            leg.dtmf_methods.append(
                "sip_info" if prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO else "rfc4733"
            )
        emit("dtmf", leg=leg.n if leg else -1, digit=prm.digit)


@dataclass
class Leg:
    """One call and the pj objects attached to it (all deleted together)."""

    n: int
    call: PeerCall
    incoming: bool
    state: str = "NULL"
    answer_at: float | None = None
    disconnected: bool = False
    last_code: int = 0
    dtmf: str = ""
    dtmf_methods: list[str] = field(default_factory=list)
    xfer_codes: list[int] = field(default_factory=list)  # our REFER: its answer, then NOTIFYs
    recording: str = ""
    recorder: pj.AudioMediaRecorder | None = None
    player: pj.AudioMediaPlayer | None = None
    connected: bool = False
    extras: list[Any] = field(default_factory=list)


class Peer:
    """Owns the pjsua2 Endpoint; everything here runs on the main thread."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.registered = False
        self.legs: dict[int, Leg] = {}
        self.finished: list[dict[str, Any]] = []
        self.counter = 0
        self.record_dir = Path(args.record_dir)
        self.record_dir.mkdir(parents=True, exist_ok=True)
        self.tone_path = self.record_dir / f"tone-{args.tone_hz}.wav"
        self.ep = pj.Endpoint()
        self.acc: PeerAccount | None = None
        self.lib_created = self.lib_started = False

    # -- setup ----------------------------------------------------------------------------
    def start(self) -> None:
        a = self.args
        self.ep.libCreate()
        self.lib_created = True
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0  # no pjsua worker thread: we poll
        cfg.uaConfig.mainThreadOnly = True  # callbacks only from libHandleEvents
        cfg.uaConfig.maxCalls = 4  # compiled limit of the wheel
        cfg.uaConfig.userAgent = f"pj-peer/{a.user}"
        cfg.medConfig.ecTailLen = 0  # an echo canceller would eat the echo test
        cfg.medConfig.noVad = True
        cfg.medConfig.clockRate = 16000
        cfg.logConfig.level = a.log_level
        cfg.logConfig.consoleLevel = a.log_level
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()  # the wheel has no sound devices at all
        tcfg = pj.TransportConfig()
        tcfg.port = 0
        tcfg.boundAddress = a.sip_address
        tcfg.publicAddress = a.sip_address
        kind = {"tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}.get(
            a.transport, pj.PJSIP_TRANSPORT_UDP
        )
        if a.transport == "tls":  # a test peer: it does not check the PBX's certificate
            tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
            tcfg.tlsConfig.verifyServer = False
        self.ep.transportCreate(kind, tcfg)
        self.ep.libStart()
        self.lib_started = True
        self._set_codecs(a.codecs.split(","))
        write_tone_wav(self.tone_path, a.tone_hz, 5.0, rate=16000, amplitude=0.4)
        self._create_account()

    def _set_codecs(self, wanted: list[str]) -> None:
        """Only the listed codecs, in that order (default order puts speex first)."""
        for codec in self.ep.codecEnum2():
            self.ep.codecSetPriority(codec.codecId, 0)
        prio = 250
        for name in wanted:
            for codec in self.ep.codecEnum2():
                if codec.codecId.lower().startswith(name.lower() + "/"):
                    self.ep.codecSetPriority(codec.codecId, prio)
                    prio -= 10

    def _create_account(self) -> None:
        a = self.args
        host, port = a.pbx.rsplit(":", 1)
        domain = a.domain or host
        suffix = f";transport={a.transport}" if a.transport != "udp" else ""
        acfg = pj.AccountConfig()
        aor = f"sip:{a.user}@{domain}"
        acfg.idUri = f'"{a.display_name}" <{aor}>' if a.display_name else aor
        acfg.regConfig.registrarUri = f"sip:{host}:{port}{suffix}"
        acfg.regConfig.timeoutSec = 300
        acfg.sipConfig.proxies.append(f"sip:{host}:{port};lr{suffix}")
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", a.user, 0, a.password))
        acfg.mediaConfig.transportConfig.boundAddress = a.sip_address
        acfg.mediaConfig.transportConfig.publicAddress = a.sip_address
        # Random base so parallel peers rarely collide; pjsua walks up the range if busy.
        acfg.mediaConfig.transportConfig.port = random.randrange(20000, 60000, 2)
        acfg.mediaConfig.transportConfig.portRange = 200
        acfg.mediaConfig.srtpUse = {
            "off": pj.PJMEDIA_SRTP_DISABLED,
            "optional": pj.PJMEDIA_SRTP_OPTIONAL,
            "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
        }[a.srtp]
        acfg.mediaConfig.srtpSecureSignaling = 0  # UDP peers may do SRTP too (tests)
        # Do-not-disturb as pjsua-based phones (the app among them) publish it: PIDF with
        # the RPID activity "busy" and the note "dnd", sent once registered, then refreshed.
        acfg.presConfig.publishEnabled = a.dnd
        self.acc = PeerAccount(self)
        self.acc.create(acfg)
        if a.dnd:
            status = pj.PresenceStatus()
            status.status = pj.PJSUA_BUDDY_STATUS_ONLINE
            status.activity = pj.PJRPID_ACTIVITY_BUSY
            status.note = "dnd"
            self.acc.setOnlineStatus(status)

    # -- calls ------------------------------------------------------------------------------
    def add_leg(self, call: PeerCall, incoming: bool) -> Leg:
        self.counter += 1
        leg = Leg(n=self.counter, call=call, incoming=incoming)
        self.legs[leg.n] = leg
        return leg

    def leg_of(self, call: PeerCall) -> Leg | None:
        for leg in self.legs.values():
            if leg.call is call:
                return leg
        return None

    def connect_audio(self, leg: Leg, am: pj.AudioMedia) -> None:
        """Echo (call -> itself) or tone (player -> call); always record what arrives."""
        if leg.connected:
            # A re-INVITE (hold, resume) can give the call a new bridge port with no
            # connections: attach the same recorder and player again.
            if leg.recorder is not None:
                am.startTransmit(leg.recorder)
            if self.args.mode == "echo":
                am.startTransmit(am)
            elif leg.player is not None:
                leg.player.startTransmit(am)
            return
        leg.connected = True
        safe = re.sub(r"[^0-9A-Za-z]", "", leg.call.getInfo().remoteUri)[:40]
        leg.recording = str(self.record_dir / f"call-{leg.n:03d}-{safe}.wav")
        leg.recorder = pj.AudioMediaRecorder()
        leg.recorder.createRecorder(leg.recording)
        am.startTransmit(leg.recorder)
        if self.args.mode == "echo":
            am.startTransmit(am)
        elif self.args.mode == "tone":
            leg.player = pj.AudioMediaPlayer()
            leg.player.createPlayer(self.args.play or str(self.tone_path))  # loops by default
            leg.player.startTransmit(am)

    def dial(self, uri: str) -> int:
        assert self.acc is not None
        if not uri.startswith("sip"):
            host = self.args.domain or self.args.pbx.rsplit(":", 1)[0]
            uri = f"sip:{uri}@{host}"
        call = PeerCall(self, self.acc)
        leg = self.add_leg(call, incoming=False)
        op = pj.CallOpParam(True)
        call.makeCall(uri, op)
        emit("dialing", leg=leg.n, uri=uri)
        return leg.n

    def hangup(self, leg_n: int | None = None) -> int:
        count = 0
        for leg in list(self.legs.values()):
            if (leg_n is None or leg.n == leg_n) and not leg.disconnected:
                op = pj.CallOpParam()
                op.statusCode = 603 if leg.state in ("INCOMING", "EARLY") else 200
                leg.call.hangup(op)
                count += 1
        return count

    def tick(self) -> None:
        """Pending answers and deletion of disconnected calls, on the owning thread."""
        now = time.monotonic()
        for n, leg in list(self.legs.items()):
            if leg.answer_at is not None and now >= leg.answer_at and not leg.disconnected:
                leg.answer_at = None
                op = pj.CallOpParam()
                if self.args.dnd:  # refused as a phone on do-not-disturb does
                    op.statusCode = 486
                    leg.call.hangup(op)
                else:
                    op.statusCode = 200
                    leg.call.answer(op)
            if leg.disconnected:
                self._drop(leg)
                del self.legs[n]

    def _drop(self, leg: Leg) -> None:
        # Delete recorder/player before the call; the WAV is finalised on the next tick.
        self.finished.append(self._leg_status(leg))
        leg.recorder = None
        leg.player = None
        leg.call = None  # type: ignore[assignment]

    def _leg_status(self, leg: Leg) -> dict[str, Any]:
        return {
            "leg": leg.n,
            "state": leg.state,
            "incoming": leg.incoming,
            "recording": leg.recording,
            "dtmf": leg.dtmf,
            "dtmf_methods": list(leg.dtmf_methods),
            "last_code": leg.last_code,
            "xfer_codes": list(leg.xfer_codes),
            "sdp_srtp": list(leg.call.sdp_srtp) if leg.call is not None else [],
        }

    def status(self) -> dict[str, Any]:
        return {
            "registered": self.registered,
            "user": self.args.user,
            "calls": [self._leg_status(leg) for leg in self.legs.values()],
            "finished": self.finished,
        }

    def xfer(self, uri: str) -> int:
        count = 0
        for leg in self.legs.values():
            if leg.state == "CONFIRMED":
                leg.call.xfer(uri, pj.CallOpParam(True))
                count += 1
        return count

    def send_dtmf(self, digits: str) -> int:
        count = 0
        for leg in self.legs.values():
            if leg.state == "CONFIRMED":
                leg.call.dialDtmf(digits)
                count += 1
        return count

    def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        name = cmd.get("cmd")
        if name == "status":
            return {"ok": True, **self.status()}
        if name == "dial":
            return {"ok": True, "leg": self.dial(str(cmd["uri"]))}
        if name == "hangup":
            return {"ok": True, "count": self.hangup(cmd.get("leg"))}
        if name == "dtmf":
            return {"ok": True, "count": self.send_dtmf(str(cmd["digits"]))}
        if name == "xfer":  # REFER the confirmed call(s) to `uri` (a scripted transfer)
            return {"ok": True, "count": self.xfer(str(cmd["uri"]))}
        if name == "xfer_replaces":  # attended transfer: leg's peer replaces dest's call
            self.legs[int(cmd["leg"])].call.xferReplaces(
                self.legs[int(cmd["dest"])].call, pj.CallOpParam(True)
            )
            return {"ok": True}
        if name == "quit":
            STOP.set()
            return {"ok": True}
        return {"ok": False, "error": f"unknown command {name!r}"}

    # -- teardown ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Hang up, pump events, delete every pj object, then libDestroy."""
        if not self.lib_created:
            return
        if not self.lib_started:  # failed during setup: nothing to hang up or unregister
            self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
            return
        try:
            self.ep.hangupAllCalls()
        except pj.Error:
            pass
        deadline = time.monotonic() + 2.0
        while self.legs and time.monotonic() < deadline:
            self.ep.libHandleEvents(20)
            self.tick()
        for leg in list(self.legs.values()):
            self._drop(leg)
        self.legs.clear()
        if self.acc is not None:
            self.acc.shutdown()
            self.acc = None
        for _ in range(10):  # let the un-REGISTER and the recorders' last tick go out
            self.ep.libHandleEvents(20)
        # NO_RX_MSG skips pjsua's fixed 1 s wait: the un-REGISTER was already answered above.
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
        del self.ep


STOP = threading.Event()


class ControlHandler(socketserver.StreamRequestHandler):
    """JSON line in, JSON line out; the command runs on the pjsua2 thread via a queue."""

    commands: queue.Queue[Command]

    def handle(self) -> None:
        for raw in self.rfile:
            try:
                cmd = json.loads(raw)
                reply_q: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1)
                self.commands.put((cmd, reply_q))
                reply = reply_q.get(timeout=10.0)
            except (ValueError, queue.Empty) as exc:
                reply = {"ok": False, "error": repr(exc)}
            self.wfile.write(json.dumps(reply).encode() + b"\n")
            self.wfile.flush()


class ControlServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pbx", required=True, help="host:port of the registrar/proxy")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--domain", default="", help="SIP domain (default: PBX host)")
    p.add_argument("--display-name", default="", help="name shown to the people it calls")
    p.add_argument(
        "--dnd", action="store_true", help="publish do-not-disturb presence, refuse calls (486)"
    )
    # NAT tests run the peer in a network namespace on a test address of its own.
    p.add_argument("--sip-address", default=HOST, help="address for SIP and RTP")
    p.add_argument("--mode", choices=("echo", "tone", "silent"), default="echo")
    p.add_argument("--tone-hz", type=int, default=600)
    p.add_argument("--play", default="", help="tone mode: play this WAV (16 kHz) instead")
    p.add_argument("--record-dir", default=".")
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument("--answer-delay", type=float, default=0.0)
    p.add_argument("--transport", choices=("udp", "tcp", "tls"), default="udp")
    p.add_argument("--srtp", choices=("off", "optional", "mandatory"), default="off")
    p.add_argument("--codecs", default="G722,PCMA,PCMU")
    p.add_argument("--log-level", type=int, default=3)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    commands: queue.Queue[Command] = queue.Queue()
    server: ControlServer | None = None
    if args.control_port:
        ControlHandler.commands = commands
        server = ControlServer((HOST, args.control_port), ControlHandler)
        threading.Thread(target=server.serve_forever, name="control", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    peer = Peer(args)
    try:
        peer.start()
        emit("started", control_port=args.control_port)
        while not STOP.is_set():
            peer.ep.libHandleEvents(10)
            peer.tick()
            while True:
                try:
                    cmd, reply_q = commands.get_nowait()
                except queue.Empty:
                    break
                try:
                    reply_q.put(peer.handle(cmd))
                except Exception as exc:  # report, keep serving
                    reply_q.put({"ok": False, "error": repr(exc)})
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        peer.shutdown()
        emit("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
