"""A raw SIP caller over UDP: INVITEs with any bytes as display name, then CANCEL."""

from __future__ import annotations

import secrets
import socket
import time

HOST = "127.0.0.1"


def quoted(display: bytes) -> bytes:
    """A SIP quoted-string (RFC 3261 25.1): backslash, quote and controls as quoted-pairs;
    everything else (any byte >= 0x80, valid UTF-8 or not) as it is."""
    out = bytearray(b'"')
    for byte in display:
        if byte in (0x22, 0x5C) or (byte < 0x20 and byte not in (0x0A, 0x0D)) or byte == 0x7F:
            out += b"\\"
        if byte in (0x0A, 0x0D):  # not even a quoted-pair may carry CR/LF
            continue
        out.append(byte)
    return bytes(out + b'"')


class RawCaller:
    """One call attempt at a time to a UA listening on 127.0.0.1:`port`."""

    def __init__(self, port: int, user: str = "1099") -> None:
        self.target = (HOST, port)
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = int(self.sock.getsockname()[1])
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # where its RTP may go
        self.rtp.bind((HOST, 0))
        self._branch = self._call_id = self._tag = b""
        self._from = b""

    def close(self) -> None:
        self.sock.close()
        self.rtp.close()

    def invite(self, display: bytes) -> int:
        """Send an INVITE from `display` and return the first provisional status (100/180),
        or the final one if it refused (e.g. 400)."""
        self._branch = b"z9hG4bK" + secrets.token_hex(8).encode()
        self._call_id = secrets.token_hex(10).encode()
        self._tag = secrets.token_hex(4).encode()
        self._from = quoted(display) + b" <sip:%s@%s:%d>;tag=%s" % (
            self.user.encode(),
            HOST.encode(),
            self.port,
            self._tag,
        )
        rtp_port = self.rtp.getsockname()[1]
        sdp = (
            f"v=0\r\no=- 1 1 IN IP4 {HOST}\r\ns=-\r\nc=IN IP4 {HOST}\r\nt=0 0\r\n"
            f"m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        ).encode()
        self._send(b"INVITE", 1, sdp, content_type=True)
        return self._wait_status(5.0)

    def cancel(self) -> None:
        """CANCEL the pending INVITE and ACK its 487 (the callee sees a missed call)."""
        self._send(b"CANCEL", 1, b"")
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            status, to = self._recv(deadline)
            if status >= 300 and to:
                self._send(b"ACK", 1, b"", to=to)
                return
        raise TimeoutError("no final answer to the CANCELled INVITE")

    def _send(
        self, method: bytes, cseq: int, body: bytes, *, content_type: bool = False, to: bytes = b""
    ) -> None:
        host, port = self.target
        ruri = b"sip:1001@%s:%d" % (host.encode(), port)
        lines = [
            b"%s %s SIP/2.0" % (method, ruri),
            b"Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (HOST.encode(), self.port, self._branch),
            b"Max-Forwards: 70",
            b"From: " + self._from,
            b"To: " + (to or b"<%s>" % ruri),
            b"Call-ID: " + self._call_id,
            b"CSeq: %d %s" % (cseq, method),
            b"Contact: <sip:%s@%s:%d>" % (self.user.encode(), HOST.encode(), self.port),
        ]
        if content_type:
            lines.append(b"Content-Type: application/sdp")
        lines += [b"Content-Length: %d" % len(body), b"", body]
        self.sock.sendto(b"\r\n".join(lines), self.target)

    def _recv(self, deadline: float) -> tuple[int, bytes]:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65535)
        except TimeoutError:
            return 0, b""
        if not data.startswith(b"SIP/2.0 "):
            return 0, b""  # a request (e.g. a retransmission check): ignored
        status = int(data.split(b" ", 2)[1])
        to = b""
        for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() in (b"to", b"t"):
                to = value.strip()
        cseq_method = b"INVITE" if b"INVITE" in data.split(b"CSeq:", 1)[-1][:40] else b""
        return (status if cseq_method else 0), to

    def _wait_status(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _to = self._recv(deadline)
            if status:
                return status
        raise TimeoutError("the INVITE got no answer")
