"""Credentials go only to the PBX's realm, and calls only through the PBX.

A hostile endpoint registered at Kamailio answers our INVITE with a 401 of its own realm:
no Authorization header may ever reach it, and the call ends with a reason that says why.
A URI on another server is refused unless the account allows direct calls; then it still
goes to the PBX (Kamailio answers 403 "Not relaying"), never straight to that server.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pbx.kamailio import Kamailio
from pbx.sip_udp import SipUdpClient, parse
from softphone.app import SoftphoneApp
from softphone.domain.account import RegistrationState
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration

HOST = "127.0.0.1"


class HostileEndpoint:
    """Registered at the PBX as `user`; answers every INVITE with a 401 for `realm` and keeps
    every request it receives (raw), to show what our engine sent it."""

    def __init__(self, kamailio: Kamailio, user: str, realm: str) -> None:
        self.client = SipUdpClient(kamailio.port, user, kamailio.users[user])
        self.realm = realm
        self.received: list[str] = []
        self._stop = threading.Event()
        reply = self.client.request(
            "REGISTER", f"sip:{HOST}", f"sip:{user}@{HOST}", ["Expires: 60"]
        )
        assert reply.status == 200, reply.status
        self._thread = threading.Thread(target=self._serve, name="hostile-endpoint")
        self._thread.start()

    def _serve(self) -> None:
        sock = self.client.sock
        sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode(errors="replace")
            if text.startswith("SIP/2.0"):
                continue
            self.received.append(text)
            msg = parse(data)
            if msg.method != "INVITE":
                continue
            to = msg.header("To") or ""
            lines = [
                "SIP/2.0 401 Unauthorized",
                *(f"Via: {v}" for v in msg.all("Via")),
                f"From: {msg.header('From')}",
                f"To: {to};tag={secrets.token_hex(4)}",
                f"Call-ID: {msg.header('Call-ID')}",
                f"CSeq: {msg.header('CSeq')}",
                f'WWW-Authenticate: Digest realm="{self.realm}", '
                f'nonce="{secrets.token_hex(16)}", algorithm=MD5, qop="auth"',
                "Content-Length: 0",
                "",
                "",
            ]
            sock.sendto("\r\n".join(lines).encode(), addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.client.close()

    def credentials_seen(self) -> list[str]:
        return [
            line
            for text in self.received
            for line in text.split("\r\n")
            if line.lower().startswith(("authorization:", "proxy-authorization:"))
        ]


@pytest.fixture
def hostile(kamailio: Kamailio) -> Iterator[HostileEndpoint]:
    endpoint = HostileEndpoint(kamailio, "1003", "evil.example")
    yield endpoint
    endpoint.close()


@pytest.fixture
def other_server() -> Iterator[socket.socket]:
    """A UDP socket standing for a SIP server that is not the PBX."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(0.2)
    yield sock
    sock.close()


def _received(sock: socket.socket, seconds: float) -> list[bytes]:
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            got.append(sock.recvfrom(65535)[0])
        except TimeoutError:
            continue
    return got


def test_a_foreign_realm_challenge_gets_no_credentials_and_ends_the_call_with_its_reason(
    ui: UiClient, hostile: HostileEndpoint
) -> None:
    mark = ui.mark()
    reply = ui.command("call.dial", number="1003")
    assert reply["ok"], reply
    call_id = reply["result"]["call_id"]
    ended = ui.wait_call(call_id, "ended", mark)
    time.sleep(1.0)  # a retry with credentials would come right after the 401
    assert any(text.startswith("INVITE ") for text in hostile.received)
    assert hostile.credentials_seen() == []
    assert ended["end_reason"] == "foreign_realm"
    assert ended["sip_code"] == 401


def test_credentials_are_bound_to_the_realm_the_registrar_named_and_remembered(
    app: SoftphoneApp, kamailio: Kamailio
) -> None:
    client = UiClient(app)
    try:
        assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        # Kamailio challenges in the From domain: that realm is kept with the account.
        account = app.settings.settings.account
        assert account is not None
        assert account.learned_realm == HOST
    finally:
        client.close()


def test_a_later_start_binds_the_remembered_realm_at_once(
    tmp_path: Path, kamailio: Kamailio
) -> None:
    data = tmp_path / "remembered"
    with running_app(data) as first:
        client = UiClient(first)
        try:
            assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        finally:
            client.close()
    assert "registrar's realm is" in (data / "engine.log").read_text()
    (data / "engine.log").write_text("")
    with running_app(data) as second:
        deadline = time.monotonic() + 10.0
        while second.accounts.registration.state is not RegistrationState.REGISTERED:
            assert time.monotonic() < deadline, second.accounts.registration
            time.sleep(0.05)
    log = (data / "engine.log").read_text()
    # One REGISTER, answered with the remembered realm's credentials: nothing to learn.
    assert "registrar's realm is" not in log
    assert "No suitable credential" not in log


def test_a_call_to_another_server_is_refused_unless_allowed_and_then_goes_through_the_pbx(
    app: SoftphoneApp, kamailio: Kamailio, other_server: socket.socket
) -> None:
    client = UiClient(app)
    try:
        assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        uri = f"sip:1002@{HOST}:{other_server.getsockname()[1]}"
        reply = client.command("call.dial", number=uri)
        assert reply["ok"] is False
        assert reply["error"] == "foreign_host"
        assert _received(other_server, 0.5) == []

        assert sign_in(
            client, kamailio.port, "1001", kamailio.users["1001"], allow_direct_calls=True
        )["ok"]
        mark = client.mark()
        reply = client.command("call.dial", number=uri)
        assert reply["ok"], reply
        ended = client.wait_call(reply["result"]["call_id"], "ended", mark)
        # Kamailio's answer (it relays to no other domain): the INVITE went to the PBX.
        assert ended["sip_code"] == 403
        assert _received(other_server, 0.5) == []
    finally:
        client.close()


def test_the_direct_calls_setting_is_kept_with_the_account(
    app: SoftphoneApp, kamailio: Kamailio, tmp_path: Path
) -> None:
    client = UiClient(app)
    try:
        assert sign_in(
            client, kamailio.port, "1001", kamailio.users["1001"], allow_direct_calls=True
        )["ok"]
        account = app.settings.settings.account
        assert account is not None and account.allow_direct_calls is True
        assert (
            client.command(
                "account.setup", server="x", user="1", password="p", allow_direct_calls="yes"
            )["error"]
            == "invalid_argument"
        )
    finally:
        client.close()
