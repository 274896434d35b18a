"""One app per user: a second launch hands its argv to the first over an authenticated socket."""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import secrets
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing import AuthenticationError
from multiprocessing.connection import (
    Client,
    Connection,
    answer_challenge,
    deliver_challenge,
)
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # a symlink planted at our path is not followed
_ACK = b"ok"
_MAX_MESSAGE = 64 * 1024
_RECV_TIMEOUT = 2.0
_RETRY_INTERVAL = 0.05
# A client has this long, from connect to acknowledgement, before we hang up on it: any local
# process can open the port, and one that sends nothing must not hold up a real hand-over.
HANDSHAKE_TIMEOUT = 2.0
# Hand-overs in progress at once; beyond this a connection is closed at once (a flood).
_MAX_CLIENTS = 16
# One attempt of a later launch; a stuck one is abandoned and the next one started.
_ATTEMPT_TIMEOUT = 2.5

# Where the first instance listens, and the secret a client must prove.
_Peer = tuple[tuple[str, int], bytes]


def _user_tag() -> str:
    # lock_dir is normally per-user already; the tag keeps a shared dir (e.g. /tmp) safe too.
    if hasattr(os, "getuid"):
        return str(os.getuid())
    return "".join(c for c in getpass.getuser() if c.isalnum()) or "user"


def _lock_fd(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on fd; False if another process holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


def _write_private(path: Path, data: bytes) -> None:
    """Write data to path atomically, readable by the owner only (it holds a secret)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    # Readers never see a half-written file: they get the old one or the new one.
    os.replace(tmp, path)


def _private_dir(path: Path) -> None:
    """Make our lock dir owner-only; refuse one that another user owns (they could plant files)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not hasattr(os, "getuid"):
        return  # Windows: the per-user profile directory already is private
    info = os.stat(path)
    if info.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)


def _owned_privately(fd: int) -> bool:
    """True if the open file is ours and only ours (0600): else another user could edit it."""
    if not hasattr(os, "getuid"):
        return True
    info = os.fstat(fd)
    return info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o077


def _decode_argv(raw: bytes) -> list[str] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


class SingleInstance:
    """An exclusive per-user lock plus a loopback listener that receives later launches' argv.

    The first instance calls `acquire()` (True), then `serve(on_message)`; a later one gets
    False from `acquire()` and calls `hand_over(argv)`. The listener takes only clients that
    prove the random authkey stored in a 0600 file next to the lock, and reads JSON, not
    pickle, so nothing a client sends is executed.
    """

    def __init__(self, lock_dir: Path, name: str = "softphone") -> None:
        stem = f"{name}-{_user_tag()}"
        self._lock_dir = lock_dir
        self.lock_path = lock_dir / f"{stem}.lock"
        self.info_path = lock_dir / f"{stem}.addr"
        self._lock_file: IO[bytes] | None = None
        self._server: socket.socket | None = None
        self._authkey = b""
        self._clients = threading.BoundedSemaphore(_MAX_CLIENTS)
        self._port = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- first instance ------------------------------------------------------------------

    def acquire(self) -> bool:
        """True if we are the first instance (we now hold the lock until `close()`)."""
        if self._lock_file is not None:
            return True
        _private_dir(self._lock_dir)
        lock_file = self._open_locked()
        if lock_file is None:
            return False
        self._lock_file = lock_file
        # Whatever is there was left by a crashed instance; removing it at once keeps a
        # second launch from dialing its stale port while we start listening.
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()
        return True

    def _open_locked(self) -> IO[bytes] | None:
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
            lock_file = os.fdopen(fd, "r+b")
            if not _owned_privately(fd):
                # Planted by someone else (who could hold its lock for ever): not ours to use.
                lock_file.close()
                raise PermissionError(f"{self.lock_path} is not private to this user")
            if not _lock_fd(fd):
                lock_file.close()
                return None
            if self._still_at_path(fd):
                return lock_file
            # The holder removed the file between our open and our lock (its close()); the
            # lock we got is on an orphaned inode, so try again on the new file.
            lock_file.close()

    def _still_at_path(self, fd: int) -> bool:
        if sys.platform == "win32":
            return True  # an open file cannot be removed on Windows
        try:
            on_disk = os.stat(self.lock_path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)

    def serve(self, on_message: Callable[[list[str]], None]) -> None:
        """Listen for later launches; on_message(argv) runs on the listener thread."""
        if self._lock_file is None:
            raise RuntimeError("serve() needs the lock: call acquire() first")
        if self._thread is not None:
            raise RuntimeError("already serving")
        self._authkey = secrets.token_bytes(32)
        self._server = socket.create_server((HOST, 0))
        self._port = int(self._server.getsockname()[1])
        info = {"port": self._port, "authkey": self._authkey.hex(), "pid": os.getpid()}
        _write_private(self.info_path, json.dumps(info).encode())
        self._thread = threading.Thread(
            target=self._accept_loop,
            args=(self._server, on_message),
            name="single-instance",
            daemon=True,
        )
        self._thread.start()

    def _accept_loop(self, server: socket.socket, on_message: Callable[[list[str]], None]) -> None:
        # Only accept() runs here; each client is handled on its own thread under a deadline,
        # so a client that connects and stalls cannot hold up the next one.
        while not self._stopping.is_set():
            try:
                sock, _address = server.accept()
            except OSError:
                continue  # close()'s wake-up, or a client that hung up at once
            if self._stopping.is_set():
                sock.close()
                break
            if not self._clients.acquire(blocking=False):
                log.warning("single-instance: too many hand-overs at once: closed one")
                sock.close()
                continue
            threading.Thread(
                target=self._serve_client,
                args=(sock, on_message),
                name="single-instance-client",
                daemon=True,
            ).start()

    def _serve_client(self, sock: socket.socket, on_message: Callable[[list[str]], None]) -> None:
        # The watchdog shuts the socket down at the deadline whatever the client does (even
        # one byte a second): the blocked read below then ends with EOF.
        watchdog = threading.Timer(HANDSHAKE_TIMEOUT, _shutdown, args=(sock,))
        watchdog.daemon = True
        watchdog.start()
        try:
            argv = self._receive(sock)
        finally:
            watchdog.cancel()
            sock.close()
            self._clients.release()
        if argv is not None:
            self._dispatch(on_message, argv)

    def _receive(self, sock: socket.socket) -> list[str] | None:
        sock.setblocking(True)
        # The Connection gets a duplicate: closing it leaves `sock` to the watchdog and to us.
        with Connection(sock.dup().detach()) as conn:
            try:
                deliver_challenge(conn, self._authkey)
                answer_challenge(conn, self._authkey)
                if not conn.poll(_RECV_TIMEOUT):
                    return None
                argv = _decode_argv(conn.recv_bytes(_MAX_MESSAGE))
                if argv is not None:
                    conn.send_bytes(_ACK)
            except AuthenticationError:
                log.warning("single-instance: refused a client with the wrong authkey")
                return None
            except (OSError, EOFError) as exc:
                # Hung up, stalled past the deadline, or sent more than a message may hold.
                log.warning("single-instance: hand-over dropped: %r", exc)
                return None
        if argv is None:
            log.warning("single-instance: ignored a message that is not a list of strings")
        return argv

    @staticmethod
    def _dispatch(on_message: Callable[[list[str]], None], argv: list[str]) -> None:
        try:
            on_message(argv)
        except Exception:
            # The listener must outlive a failing handler, or later launches would hang.
            log.exception("single-instance: on_message failed")

    # -- later instance ------------------------------------------------------------------

    def hand_over(self, argv: list[str], timeout: float = 8.0) -> bool:
        """Send argv to the running first instance; True once it acknowledged them.

        Retries until timeout: the first instance may hold the lock but not yet listen.
        """
        payload = json.dumps(argv).encode("utf-8")
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._try_send(payload, remaining):
                return True
            time.sleep(min(_RETRY_INTERVAL, max(0.0, deadline - time.monotonic())))

    def _try_send(self, payload: bytes, timeout: float) -> bool:
        peer = self._read_info()
        if peer is None:
            return False
        # multiprocessing's Client has no timeout and a wedged peer would block us for ever,
        # so the exchange runs on a daemon thread that we stop waiting for; the caller then
        # tries again (the first instance drops a stuck hand-over after HANDSHAKE_TIMEOUT).
        result: list[bool] = []
        worker = threading.Thread(
            target=lambda: result.append(_exchange(peer, payload)),
            name="single-instance-client",
            daemon=True,
        )
        worker.start()
        worker.join(min(timeout, _ATTEMPT_TIMEOUT))
        return bool(result and result[0])

    def _read_info(self) -> _Peer | None:
        try:
            fd = os.open(self.info_path, os.O_RDONLY | _NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as f:
            if not _owned_privately(fd):
                # Another user wrote it: they would get our link and could answer "ok".
                log.warning("single-instance: %s is not private: not trusted", self.info_path)
                return None
            raw = f.read(4096)
        try:
            info = json.loads(raw.decode("utf-8"))
            return (HOST, int(info["port"])), bytes.fromhex(info["authkey"])
        except (ValueError, KeyError, TypeError):
            return None

    # -- shutdown --------------------------------------------------------------------------

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening, release the lock and remove our files. Idempotent."""
        self._stop_listener(timeout)
        if self._lock_file is None:
            return
        # Files go while we still hold the lock, so no newcomer can find a half-torn state.
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()
        if sys.platform != "win32":
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
        _unlock_fd(self._lock_file.fileno())
        self._lock_file.close()
        self._lock_file = None
        if sys.platform == "win32":
            with contextlib.suppress(OSError):
                self.lock_path.unlink()

    def _stop_listener(self, timeout: float) -> None:
        if self._server is None:
            return
        self._stopping.set()
        # accept() does not return when its socket is closed from another thread; a bare
        # connection wakes it (the loop then sees the flag and closes it).
        with contextlib.suppress(OSError), socket.create_connection((HOST, self._port), 1.0):
            pass
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("single-instance: listener thread did not stop in %.1f s", timeout)
        self._server.close()
        self._server = None
        self._thread = None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _exchange(peer: _Peer, payload: bytes) -> bool:
    address, authkey = peer
    try:
        with Client(address, family="AF_INET", authkey=authkey) as conn:
            conn.send_bytes(payload)
            return bool(conn.poll(_RECV_TIMEOUT) and conn.recv_bytes(16) == _ACK)
    except (OSError, EOFError, ValueError, AuthenticationError) as exc:
        # Refused (no listener yet, or a stale port), or the authkey did not match.
        log.debug("single-instance: hand-over attempt failed: %r", exc)
        return False
