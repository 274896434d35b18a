"""Thousands of randomly mutated INVITE/NOTIFY/OPTIONS messages leave the phone working.

Seeds: well-formed INVITE, NOTIFY and OPTIONS to the app, and the RFC 4475 torture
messages. The mutations are seeded (FUZZ_SEED), so a failure replays exactly. Everything
goes to the app's SIP port on 127.0.0.1; every Via names 127.0.0.1 and `maddr` is removed,
so pjsip answers only to the loopback (it adds `received`/`rport` from the source).
"""

from __future__ import annotations

import os
import random
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pbx.baresip import Baresip
from softphone.app import SoftphoneApp
from support.app_harness import UiClient

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("FUZZ_SEED", "4475"))
UDP_MESSAGES = int(os.environ.get("FUZZ_UDP", "3000"))
TCP_MESSAGES = int(os.environ.get("FUZZ_TCP", "400"))
TORTURE = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "rfc4475").glob("*.dat"))

_INTERESTING = [
    b"\x00", b"\r\n", b"\r\n\r\n", b"\n", b":", b";", b",", b"<", b">", b'"', b"\\", b"%",
    b"%00", b"\xff", b"\xc3", b"=", b"@", b" ", b"\t", b"sip:", b";tag=", b";branch=",
    b"\r\n ", b"Content-Length: 99999\r\n",
]  # fmt: skip
_NUMBERS = [b"0", b"-1", b"65536", b"4294967296", b"99999999999999999999999", b"", b"1e9"]
_NUMBER = re.compile(rb"\d+")
_MADDR = re.compile(rb";\s*maddr\s*=\s*[^;>\s,]*", re.IGNORECASE)


def _seeds(port: int) -> list[bytes]:
    target = f"sip:1001@127.0.0.1:{port}"

    def message(method: str, extra: list[str], body: str = "") -> bytes:
        lines = [
            f"{method} {target} SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKfuzz1;rport",
            "Max-Forwards: 70",
            '"Fuzzy" <sip:1099@127.0.0.1:5999>;tag=f1'.join(("From: ", "")),
            f"To: <{target}>",
            "Call-ID: fuzz-call-1@127.0.0.1",
            f"CSeq: 1 {method}",
            "Contact: <sip:1099@127.0.0.1:5999>",
            *extra,
            f"Content-Length: {len(body.encode())}",
            "",
            body,
        ]
        return "\r\n".join(lines).encode()

    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 5998 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
    dialog_info = (
        '<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" '
        'version="1" state="full" entity="sip:1002@127.0.0.1"><dialog id="d1" '
        'call-id="c1" local-tag="a" remote-tag="b" direction="recipient"><state>early</state>'
        "</dialog></dialog-info>\n"
    )
    ours = [
        message("INVITE", ["Content-Type: application/sdp"], sdp),
        message("INVITE", []),  # delayed offer: no SDP
        message(
            "NOTIFY",
            [
                "Event: dialog",
                "Subscription-State: active;expires=60",
                "Content-Type: application/dialog-info+xml",
            ],
            dialog_info,
        ),
        message("NOTIFY", ["Event: presence", "Subscription-State: terminated"]),
        message("OPTIONS", ["Accept: application/sdp"]),
    ]
    return ours + [path.read_bytes() for path in TORTURE]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four random edits of `data` (bytes, lines, numbers, lengths)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(10)
        pos = rng.randrange(len(out) + 1)
        if op == 0 and out:  # flip bytes
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] = rng.randrange(256)
        elif op == 1:  # insert something a parser may trip on
            out[pos:pos] = rng.choice(_INTERESTING) * rng.randint(1, 3)
        elif op == 2 and out:  # delete a slice
            out[pos : pos + rng.randint(1, 40)] = b""
        elif op == 3:  # truncate
            out = out[:pos]
        elif op == 4:  # an extreme number
            numbers = list(_NUMBER.finditer(out))
            if numbers:
                m = rng.choice(numbers)
                out[m.start() : m.end()] = rng.choice(_NUMBERS)
        else:  # line-level edits
            lines = bytes(out).split(b"\r\n")
            i = rng.randrange(len(lines))
            if op == 5:
                lines[i : i + 1] = [lines[i]] * rng.randint(2, 20)
            elif op == 6:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            elif op == 7:
                name = lines[i].split(b":", 1)[0]
                lines[i] = name + b": " + bytes([rng.randrange(33, 127)]) * rng.randint(200, 3000)
            elif op == 8:
                del lines[i]
            else:
                method = rng.choice([b"INVITE", b"NOTIFY", b"OPTIONS", b"BYE", b"ACK", b"X\x01"])
                lines[0] = method + b" " + lines[0].split(b" ", 1)[-1]
            out = bytearray(b"\r\n".join(lines))
    return _MADDR.sub(b"", bytes(out))


def test_mutated_sip_over_udp_and_tcp_leaves_the_phone_registered_and_calling(
    app: SoftphoneApp, ui: UiClient, baresip_factory: Callable[..., Baresip]
) -> None:
    rng = random.Random(SEED)
    pid, port = app.engine.pid, app.engine.sip_port
    seeds = _seeds(port)
    started = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        for n in range(UDP_MESSAGES):
            udp.sendto(mutate(rng, rng.choice(seeds))[:65000], ("127.0.0.1", port))
            if n % 20 == 19:
                time.sleep(0.01)  # a burst, not a flood that only tests the socket buffer
                _drain(udp)
    for _ in range(TCP_MESSAGES):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as tcp:
            tcp.sendall(mutate(rng, rng.choice(seeds)))
            tcp.settimeout(0.02)
            try:
                tcp.recv(65536)
            except (TimeoutError, ConnectionError):
                pass
    sent_s = time.monotonic() - started
    print(f"\nfuzz: {UDP_MESSAGES} UDP + {TCP_MESSAGES} TCP messages in {sent_s:.1f} s")

    time.sleep(1.0)
    for call in app.calls.snapshots():  # mutated INVITEs that were still valid ring: refuse
        ui.command("call.hangup", call_id=call.id)
    assert app.engine.pid == pid, "the engine process was restarted: it crashed"
    assert app.accounts.registration.state.value == "registered"
    # Not hung: the engine answers a command at once, and a real call connects.
    peer = baresip_factory("1002")
    mark, peer_mark = ui.mark(), peer.mark()
    reply = ui.command("call.dial", number="1002", timeout=5)
    assert reply["ok"], reply
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    assert ui.command("call.hangup", call_id=reply["result"]["call_id"])["ok"]
    assert app.engine.pid == pid


def _drain(sock: socket.socket) -> None:
    while True:
        try:
            sock.recv(65536)
        except (BlockingIOError, ConnectionError):
            return


def test_mutations_are_seeded_and_varied() -> None:
    seeds = _seeds(5060)
    first = [mutate(random.Random(1), s) for s in seeds]
    assert first == [mutate(random.Random(1), s) for s in seeds]  # replayable
    rng = random.Random(2)
    assert len({mutate(rng, seeds[0]) for _ in range(200)}) > 150


def _request(method: str, cseq_method: str, port: int, src: int, body: str = "") -> bytes:
    lines = [
        f"{method} sip:1001@127.0.0.1:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{src};branch=z9hG4bKsameBranch;rport",
        "Max-Forwards: 70",
        f"From: <sip:1099@127.0.0.1:{src}>;tag=a1",
        f"To: <sip:1001@127.0.0.1:{port}>" + (";tag=x" if method != "INVITE" else ""),
        "Call-ID: cseq-mismatch@127.0.0.1",
        f"CSeq: 1 {cseq_method}",
        f"Contact: <sip:1099@127.0.0.1:{src}>",
        *(["Content-Type: application/sdp"] if body else []),
        f"Content-Length: {len(body)}",
        "",
        body,
    ]
    return "\r\n".join(lines).encode()


def test_a_request_whose_cseq_method_differs_from_its_method_does_not_abort_the_engine(
    app: SoftphoneApp, ui: UiClient
) -> None:
    """Found by the fuzzer: pjsip 2.15.1 keys server transactions by the CSeq method, so an
    OPTIONS claiming `CSeq: 1 INVITE` with the branch of an INVITE whose rejection was
    ACKed lands in that transaction's Confirmed state, which asserts the method is ACK or
    INVITE: sip_transaction.c:3699 tsx_on_state_confirmed, and the engine process aborts
    (SIGABRT). The supervisor restarts it, but one UDP packet ends every call."""
    pid, port = app.engine.pid, app.engine.sip_port
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 5998 RTP/AVP 0\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        src = udp.getsockname()[1]
        mark = ui.mark()
        udp.sendto(_request("INVITE", "INVITE", port, src, sdp), ("127.0.0.1", port))
        ringing = ui.wait_call_state("ringing_in", start=mark)
        assert ui.command("call.reject", call_id=ringing["id"])["ok"]
        ui.wait_call_state("ended", start=mark)
        udp.sendto(_request("ACK", "ACK", port, src), ("127.0.0.1", port))
        time.sleep(0.2)
        udp.sendto(_request("OPTIONS", "INVITE", port, src), ("127.0.0.1", port))
        time.sleep(1.0)
    assert app.engine.pid == pid, "the engine aborted (pjsip assertion) and was restarted"
