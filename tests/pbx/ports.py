"""Free loopback ports (UDP and TCP at once, as SIP listens on both)."""

from __future__ import annotations

import contextlib
import socket

HOST = "127.0.0.1"


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def free_udp_tcp_port(attempts: int = 50) -> int:
    """A port number free for both UDP and TCP on 127.0.0.1."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((HOST, 0))
            port = int(u.getsockname()[1])
            with (
                contextlib.suppress(OSError),
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t,
            ):
                t.bind((HOST, port))
                return port
    raise RuntimeError("no port free for both UDP and TCP")


def free_media_base(attempts: int = 50) -> int:
    """An even UDP port P on 127.0.0.1 with P..P+3 free right now (sipp's -mp: audio RTP and
    RTCP, video RTP and RTCP)."""
    for _ in range(attempts):
        port = free_udp_tcp_port() & ~1
        socks: list[socket.socket] = []
        try:
            for offset in range(4):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((HOST, port + offset))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no four consecutive UDP ports free")
