"""The engine's process: started by the supervisor with its end of a socket pair, it reads its
configuration from that socket and then runs the engine on it."""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

# The bundle's executable starts the engine when its first argument is this (build/entry.py).
ENGINE_FLAG = "--engine-fd"


def command(fd: int) -> list[str]:
    """The command line of an engine process whose end of the socket is `fd`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, ENGINE_FLAG, str(fd)]
    return [sys.executable, "-m", "softphone.engine.child", ENGINE_FLAG, str(fd)]


def environment() -> dict[str, str] | None:
    """From the source tree, the app's own import path (tests and benches add to it); the
    bundle carries its modules itself."""
    if getattr(sys, "frozen", False):
        return None
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def engine_fd(argv: list[str]) -> int | None:
    """The socket's fd if `argv` is an engine's command line (either form of command()), else
    None."""
    if len(argv) == 3 and argv[1] == ENGINE_FLAG:
        return int(argv[2])
    return None


def run(fd: int) -> None:
    from softphone.engine.worker import engine_main  # pjsua2 and the engine: only here

    conn = Connection(fd)
    engine_main(conn, conn.recv())


if __name__ == "__main__":
    engine = engine_fd(sys.argv)
    if engine is None:
        sys.exit(f"usage: python -m softphone.engine.child {ENGINE_FLAG} FD")
    run(engine)
