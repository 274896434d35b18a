"""The demo's living phone: colleagues' phones (pjsua2 peers) in a call, ringing and on DND,
the calls that fill alice's history, and messages waiting in her voicemail."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from pbx.sip_udp import SipUdpClient
from support.app_harness import Event, UiClient

USER = "1001"  # alice's extension
NEVER_S = 1e9  # an answer delay no demo outlives: the phone rings until the caller gives up


@dataclass(frozen=True, slots=True)
class Phone:
    """A colleague's desk phone, as a pjsua2 peer: what it does when called."""

    mode: str = "echo"  # what a call to it hears: echo, tone or silent
    answer_delay: float = 0.0
    dnd: bool = False


# The colleagues' phones (1002's is baresip's tone player).
PHONES = {
    "1003": Phone(mode="silent"),  # Carol calls David and they stay on the line
    # Answers a second after ringing: answered at once, David's line stayed "ringing" in the
    # app in 2 full test runs of 6 (not traced; likely Kamailio's two workers handling the 180
    # and the 200, so pua_dialoginfo's early and confirmed states, at the same moment).
    "1004": Phone(mode="silent", answer_delay=1.0),
    "1005": Phone(answer_delay=NEVER_S),  # Emma's phone rings: Felix calls, nobody answers
    "1006": Phone(mode="tone"),  # a pickup of Emma's call reaches Felix's tone
    "1007": Phone(dnd=True),  # Giulia is on do-not-disturb (presence), refuses calls
    "1008": Phone(),  # Hugo called alice; she did not answer
    "1009": Phone(),  # the echo test, alice's voicemail number
    "1010": Phone(),  # Inès called alice; she answered
}
CALLS = [("1003", "1004"), ("1006", "1005")]  # (caller, callee), kept up while the demo runs
VOICEMAIL_NEW, VOICEMAIL_OLD = 2, 5


def start_phones(
    stack: contextlib.ExitStack, pbx: Kamailio, names: dict[str, str], work_dir: Path
) -> dict[str, PjPeer]:
    """Every phone of PHONES, started at once (each takes ~1 s) and stopped by `stack`;
    registering still (PjPeer.wait_registered)."""
    peers: dict[str, PjPeer] = {}
    for ext, phone in PHONES.items():
        peer = PjPeer(
            pbx.port,
            ext,
            pbx.users[ext],
            mode=phone.mode,
            answer_delay=phone.answer_delay,
            dnd=phone.dnd,
            display_name=names[ext],
            work_dir=work_dir / f"phone-{ext}",
            log_level=1,
        )
        peers[ext] = peer.start(wait_registered=False)
        stack.callback(peer.stop)
    return peers


class KeptCalls:
    """The colleagues' calls of CALLS, dialled again whenever one ends: the PBX gives up on
    a call nobody answers after 60 s (Kamailio's fr_inv_timer), and a user may pick up or
    hang up one."""

    def __init__(self, peers: dict[str, PjPeer]) -> None:
        self._calls = [(peers[caller], callee) for caller, callee in CALLS]

    def tick(self) -> None:
        for caller, callee in self._calls:
            if not caller.status()["calls"]:
                caller.dial(callee)

    def wait_started(self, timeout: float = 10.0) -> None:
        """Until every caller hears its callee (180 or 200)."""
        for caller, _callee in self._calls:
            caller.wait_until(
                lambda st: any(c["state"] in ("EARLY", "CONFIRMED") for c in st["calls"]),
                timeout,
            )


class Voicemail:
    """alice's mailbox as the PBX's voicemail server reports it: message-summary PUBLISHes
    (RFC 3842) that Kamailio's presence_mwi sends on to her phone, refreshed before they
    expire.

    The first goes out once her phone registered (the app's subscription brings it, or the
    PUBLISH's own NOTIFY does)."""

    EXPIRES_S = 3600

    def __init__(self, pbx: Kamailio, mailbox: str) -> None:
        self._pbx = pbx
        self._mailbox = mailbox
        # Made before the phone starts: a binding left by an earlier run of the app is not it.
        self._stale = set(pbx.bindings(USER))
        self._etag = ""
        self._published_at: float | None = None

    def tick(self) -> None:
        if self._published_at is None:
            if not set(self._pbx.bindings(USER)) - self._stale:
                return  # her phone has not registered yet
        elif time.monotonic() - self._published_at < self.EXPIRES_S / 2:
            return
        self._publish()

    def _publish(self) -> None:
        aor = self._pbx.aor(USER)
        body = (
            f"Messages-Waiting: yes\r\nMessage-Account: {self._pbx.aor(self._mailbox)}\r\n"
            f"Voice-Message: {VOICEMAIL_NEW}/{VOICEMAIL_OLD} (0/0)\r\n"
        )
        headers = [
            "Event: message-summary",
            f"Expires: {self.EXPIRES_S}",
            "Content-Type: application/simple-message-summary",
        ]
        if self._etag:
            headers.append(f"SIP-If-Match: {self._etag}")
        # A server of the PBX's own, not one of its phones: trusted by its rules (no auth).
        with SipUdpClient(self._pbx.port, user="voicemail", domain="vm.invalid") as server:
            reply = server.request("PUBLISH", aor, aor, headers, body=body)
        if reply.status != 200:
            raise RuntimeError(f"voicemail PUBLISH refused: {reply.first_line}")
        self._etag = reply.header("SIP-ETag") or ""
        self._published_at = time.monotonic()


# -- alice's history: real calls to and from the app, driven as its UI does -----------------


def _registered(event: Event) -> bool:
    return (event.get("registration") or {}).get("state") == "registered"


def _directory_synced(ui: UiClient, entries: int, timeout: float) -> None:
    """Until the address book is in: calls then show the colleagues' names from it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sources = ui.command("directory.status")["result"]["sources"]
        if sum(s["count"] for s in sources if s["source"] == "carddav") >= entries:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the directory did not sync {entries} entries")


def _ringing(ui: UiClient, caller: PjPeer) -> str:
    mark = ui.mark()
    caller.dial(USER)
    call: dict[str, str] = ui.wait_call_state("ringing_in", start=mark)
    return call["id"]


def _missed(ui: UiClient, caller: PjPeer, ring_s: float) -> None:
    """The caller gives up before alice answers."""
    mark = ui.mark()
    call_id = _ringing(ui, caller)
    time.sleep(ring_s)
    caller.hangup()
    ui.wait_call(call_id, "ended", start=mark)


def _answered(ui: UiClient, caller: PjPeer, talk_s: float) -> None:
    mark = ui.mark()
    call_id = _ringing(ui, caller)
    time.sleep(0.5)
    assert ui.command("call.answer", call_id=call_id)["ok"]
    ui.wait_call(call_id, "connected", start=mark)
    time.sleep(talk_s)
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call(call_id, "ended", start=mark)


def _dialled(ui: UiClient, number: str, talk_s: float) -> None:
    mark = ui.mark()
    call_id = ui.dial_connected(number)
    time.sleep(talk_s)
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call(call_id, "ended", start=mark)


def make_history(ui: UiClient, peers: dict[str, PjPeer], directory_entries: int) -> None:
    """Oldest first: alice calls Bob (1002, the tone), Inès calls and alice answers, then
    Carol and Hugo call and give up: 2 answered, 2 missed (unseen: the History badge)."""
    snapshot = ui.wait_for(lambda e: e.get("type") == "snapshot")
    ui.wait_for(_registered, timeout=20)
    _directory_synced(ui, directory_entries, timeout=20)
    # These calls ring no one: the user sees their traces, not the demo making them.
    volume = snapshot["settings"]["ring_volume"]
    assert ui.command("audio.configure", ring_volume=0)["ok"]
    try:
        _dialled(ui, "1002", talk_s=2.0)
        _answered(ui, peers["1010"], talk_s=3.0)
        _missed(ui, peers["1003"], ring_s=1.5)
        _missed(ui, peers["1008"], ring_s=1.5)
    finally:
        ui.command("audio.configure", ring_volume=volume)
