"""Minimal raw SIP-over-UDP client: OPTIONS probes, REGISTER/SUBSCRIBE with digest, NOTIFYs."""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pbx.ports import HOST


@dataclass
class SipMessage:
    """A parsed SIP request or response."""

    first_line: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""

    @property
    def is_response(self) -> bool:
        return self.first_line.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.first_line.split()[1]) if self.is_response else 0

    @property
    def method(self) -> str:
        return "" if self.is_response else self.first_line.split()[0]

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive, compact forms not expanded)."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    def all(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]


_COMPACT = {
    "i": "Call-ID",
    "f": "From",
    "t": "To",
    "v": "Via",
    "m": "Contact",
    "l": "Content-Length",
    "c": "Content-Type",
    "o": "Event",
}


def parse(data: bytes) -> SipMessage:
    """Parse one datagram into a SipMessage (compact header names expanded)."""
    text = data.decode("utf-8", errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    msg = SipMessage(first_line=lines[0], body=body)
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            key = key.strip()
            msg.headers.append((_COMPACT.get(key.lower(), key), value.strip()))
    return msg


def _digest(user: str, password: str, method: str, uri: str, challenge: str) -> str:
    """Authorization header value answering a WWW/Proxy-Authenticate MD5 challenge."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = params["realm"], params["nonce"]

    def md5(s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()

    ha1, ha2 = md5(f"{user}:{realm}:{password}"), md5(f"{method}:{uri}")
    value = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
    if "qop" in params:
        cnonce, nc = secrets.token_hex(8), "00000001"
        resp = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        value += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        resp = md5(f"{ha1}:{nonce}:{ha2}")
    value += f', response="{resp}", algorithm=MD5'
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    return value


class SipUdpClient:
    """One UDP socket on 127.0.0.1 speaking just enough SIP for harness checks.

    Requests that arrive while waiting for a response (e.g. a NOTIFY overtaking the 200 to
    SUBSCRIBE) are answered 200 and queued for `wait_request`.
    """

    def __init__(
        self, server_port: int, user: str = "probe", password: str = "", domain: str = "127.0.0.1"
    ) -> None:
        self.server = (HOST, server_port)
        self.user, self.password, self.domain = user, password, domain
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = int(self.sock.getsockname()[1])
        self.tag = secrets.token_hex(4)
        self.pending: list[SipMessage] = []
        self._cseq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> SipUdpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _recv(self, deadline: float) -> SipMessage | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.sock.settimeout(remaining)
        try:
            data, _addr = self.sock.recvfrom(65535)
        except TimeoutError:
            return None
        msg = parse(data)
        if not msg.is_response:
            self._answer(msg)
        return msg

    def _answer(self, req: SipMessage) -> None:
        """200 OK to any request (NOTIFY, OPTIONS) so the PBX keeps the dialog."""
        to = req.header("To") or ""
        if "tag=" not in to:
            to += f";tag={self.tag}"
        lines = [
            "SIP/2.0 200 OK",
            *(f"Via: {v}" for v in req.all("Via")),
            f"From: {req.header('From')}",
            f"To: {to}",
            f"Call-ID: {req.header('Call-ID')}",
            f"CSeq: {req.header('CSeq')}",
            "Content-Length: 0",
            "",
            "",
        ]
        self.sock.sendto("\r\n".join(lines).encode(), self.server)

    def request(
        self,
        method: str,
        ruri: str,
        to_uri: str,
        extra: list[str] | None = None,
        *,
        body: str = "",
        call_id: str | None = None,
        timeout: float = 3.0,
    ) -> SipMessage:
        """Send a request (retrying once with digest credentials) and return the final reply."""
        call_id = call_id or secrets.token_hex(8)
        auth: str | None = None
        for _attempt in range(2):
            self._cseq += 1
            branch = "z9hG4bK" + secrets.token_hex(8)
            lines = [
                f"{method} {ruri} SIP/2.0",
                f"Via: SIP/2.0/UDP {HOST}:{self.port};branch={branch};rport",
                "Max-Forwards: 70",
                f"From: <sip:{self.user}@{self.domain}>;tag={self.tag}",
                f"To: <{to_uri}>",
                f"Call-ID: {call_id}",
                f"CSeq: {self._cseq} {method}",
                f"Contact: <sip:{self.user}@{HOST}:{self.port}>",
                "User-Agent: pbx-harness-probe",
                *(extra or []),
            ]
            if auth:
                lines.append(auth)
            lines += [f"Content-Length: {len(body.encode())}", "", body]
            self.sock.sendto("\r\n".join(lines).encode(), self.server)
            reply = self._wait_final(call_id, self._cseq, time.monotonic() + timeout)
            if reply.status in (401, 407) and auth is None and self.password:
                hdr = "WWW-Authenticate" if reply.status == 401 else "Proxy-Authenticate"
                name = "Authorization" if reply.status == 401 else "Proxy-Authorization"
                challenge = reply.header(hdr) or ""
                auth = f"{name}: " + _digest(self.user, self.password, method, ruri, challenge)
                continue
            return reply
        return reply

    def _wait_final(self, call_id: str, cseq: int, deadline: float) -> SipMessage:
        while True:
            msg = self._recv(deadline)
            if msg is None:
                raise TimeoutError(f"no final reply for CSeq {cseq}")
            if not msg.is_response:
                self.pending.append(msg)
                continue
            cseq_num = (msg.header("CSeq") or "0").split()[0]
            if msg.header("Call-ID") == call_id and int(cseq_num) == cseq and msg.status >= 200:
                return msg

    def wait_request(
        self, predicate: Callable[[SipMessage], bool], timeout: float = 5.0
    ) -> SipMessage:
        """Next received request (already answered 200) matching predicate."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self.pending):
                if predicate(msg):
                    return self.pending.pop(i)
            received = self._recv(deadline)
            if received is None:
                raise TimeoutError("no matching request")
            if not received.is_response:
                self.pending.append(received)


def options_ping(port: int, timeout: float = 0.3) -> int:
    """Status code of an OPTIONS to the PBX itself, or 0 if nothing answered."""
    with SipUdpClient(port) as client:
        try:
            return client.request(
                "OPTIONS", f"sip:{HOST}:{port}", f"sip:{HOST}:{port}", timeout=timeout
            ).status
        except (TimeoutError, OSError):
            return 0
