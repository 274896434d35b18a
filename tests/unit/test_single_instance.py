"""Single-instance lock and argv hand-over, with the second launch in a real other process."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener
from pathlib import Path

import pytest

from softphone.desktop.single_instance import HANDSHAKE_TIMEOUT, SingleInstance

# Runs in a fresh interpreter: what a second launch of the app does.
_SECOND_LAUNCH = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from softphone.desktop.single_instance import SingleInstance

    lock_dir, argv = Path(sys.argv[1]), json.loads(sys.argv[2])
    instance = SingleInstance(lock_dir)
    started = time.monotonic()
    first = instance.acquire()
    handed = False if first else instance.hand_over(argv, timeout=5.0)
    print(json.dumps({"first": first, "handed": handed,
                      "seconds": time.monotonic() - started}), flush=True)
    instance.close()
    """
)

# Runs in a fresh interpreter: a first instance that serves until it is killed.
_FIRST_LAUNCH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from softphone.desktop.single_instance import SingleInstance

    instance = SingleInstance(Path(sys.argv[1]))
    assert instance.acquire()
    instance.serve(lambda argv: None)
    print("serving", flush=True)
    time.sleep(60)
    """
)


def _second_launch(lock_dir: Path, argv: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SECOND_LAUNCH, str(lock_dir), json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def first(tmp_path: Path) -> Iterator[SingleInstance]:
    instance = SingleInstance(tmp_path)
    yield instance
    instance.close()


def _serve_into_queue(instance: SingleInstance) -> queue.Queue[list[str]]:
    received: queue.Queue[list[str]] = queue.Queue()
    instance.serve(received.put)
    return received


def test_second_launch_in_another_process_hands_its_argv_to_the_first(
    tmp_path: Path, first: SingleInstance
) -> None:
    assert first.acquire()
    received = _serve_into_queue(first)

    result = _second_launch(tmp_path, ["softphone", "--dial", "sip:alice@example.com"])

    assert result["first"] is False
    assert result["handed"] is True
    assert received.get(timeout=5) == ["softphone", "--dial", "sip:alice@example.com"]
    print(f"hand-over took {result['seconds']:.3f} s in the second process")


def test_info_file_holding_the_authkey_is_private_to_the_user(first: SingleInstance) -> None:
    assert first.acquire()
    _serve_into_queue(first)

    mode = stat.S_IMODE(os.stat(first.info_path).st_mode)

    assert mode == 0o600


def test_instance_killed_hard_leaves_a_stale_file_and_the_next_launch_takes_over(
    tmp_path: Path, first: SingleInstance
) -> None:
    crashed = subprocess.Popen(
        [sys.executable, "-c", _FIRST_LAUNCH, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert crashed.stdout is not None
        assert crashed.stdout.readline().strip() == "serving"
        stale_info = first.info_path.read_text()
    finally:
        os.kill(crashed.pid, signal.SIGKILL)
        crashed.wait(timeout=10)
    assert first.info_path.read_text() == stale_info  # nobody cleaned up

    assert first.acquire()
    received = _serve_into_queue(first)

    assert first.info_path.read_text() != stale_info
    assert _second_launch(tmp_path, ["again"])["handed"] is True
    assert received.get(timeout=5) == ["again"]


def test_close_releases_the_lock_and_removes_the_files(
    tmp_path: Path, first: SingleInstance
) -> None:
    assert first.acquire()
    _serve_into_queue(first)

    first.close()

    assert not first.info_path.exists()
    assert not first.lock_path.exists()
    assert _second_launch(tmp_path, ["x"])["first"] is True


def test_close_is_idempotent_and_the_lock_can_be_taken_again(first: SingleInstance) -> None:
    assert first.acquire()
    _serve_into_queue(first)
    first.close()
    first.close()

    assert first.acquire()


def test_client_with_a_wrong_authkey_is_refused_and_the_listener_keeps_working(
    tmp_path: Path, first: SingleInstance
) -> None:
    assert first.acquire()
    received = _serve_into_queue(first)
    port = json.loads(first.info_path.read_text())["port"]

    with pytest.raises(AuthenticationError):
        Client(("127.0.0.1", port), family="AF_INET", authkey=b"not the key")

    assert _second_launch(tmp_path, ["after"])["handed"] is True
    assert received.get(timeout=5) == ["after"]
    assert received.empty()


def test_message_that_is_not_a_list_of_strings_is_ignored(first: SingleInstance) -> None:
    assert first.acquire()
    received = _serve_into_queue(first)
    info = json.loads(first.info_path.read_text())

    with Client(
        ("127.0.0.1", info["port"]), family="AF_INET", authkey=bytes.fromhex(info["authkey"])
    ) as conn:
        conn.send_bytes(b'{"not": "a list"}')
        with pytest.raises(EOFError):  # closed without the acknowledgement
            conn.recv_bytes()

    assert received.empty()


def test_failing_handler_does_not_stop_later_hand_overs(
    tmp_path: Path, first: SingleInstance
) -> None:
    assert first.acquire()
    received: queue.Queue[list[str]] = queue.Queue()

    def handler(argv: list[str]) -> None:
        received.put(argv)
        raise RuntimeError("handler bug")

    first.serve(handler)

    assert _second_launch(tmp_path, ["one"])["handed"] is True
    assert _second_launch(tmp_path, ["two"])["handed"] is True
    assert [received.get(timeout=5), received.get(timeout=5)] == [["one"], ["two"]]


def test_hand_over_without_a_first_instance_gives_up_after_the_timeout(tmp_path: Path) -> None:
    lonely = SingleInstance(tmp_path)
    started = time.monotonic()

    assert lonely.hand_over(["x"], timeout=0.5) is False
    assert time.monotonic() - started < 2.0


def test_serve_without_the_lock_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        SingleInstance(tmp_path).serve(lambda argv: None)


def test_a_stalled_local_connection_does_not_lose_the_next_hand_over(
    tmp_path: Path, first: SingleInstance
) -> None:
    # Any local process may open the port: this one connects and never says anything.
    assert first.acquire()
    received = _serve_into_queue(first)
    port = json.loads(first.info_path.read_text())["port"]
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        result = _second_launch(tmp_path, ["tel:+41441234567"])

        assert result["handed"] is True
        assert received.get(timeout=5) == ["tel:+41441234567"]
        assert float(str(result["seconds"])) < 1.5  # not after a stalled client's deadline
        print(f"hand-over beside 3 stalled connections took {result['seconds']:.3f} s")
    finally:
        for sock in stalled:
            sock.close()


def test_a_stalled_connection_is_hung_up_on_after_the_handshake_deadline(
    first: SingleInstance,
) -> None:
    assert first.acquire()
    _serve_into_queue(first)
    port = json.loads(first.info_path.read_text())["port"]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        started = time.monotonic()
        challenge = sock.recv(4096)  # the server's challenge; we never answer it
        while sock.recv(4096):  # drip nothing; wait for the server to hang up
            pass
        elapsed = time.monotonic() - started
    assert challenge
    assert HANDSHAKE_TIMEOUT - 0.1 < elapsed < HANDSHAKE_TIMEOUT + 1.0
    print(f"stalled connection closed after {elapsed:.2f} s")


def test_lock_dir_made_loose_is_made_private_again(tmp_path: Path) -> None:
    lock_dir = tmp_path / "run"
    lock_dir.mkdir(mode=0o755)
    os.chmod(lock_dir, 0o755)
    instance = SingleInstance(lock_dir)
    try:
        assert instance.acquire()
        instance.serve(lambda argv: None)

        assert stat.S_IMODE(os.stat(lock_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(instance.lock_path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(instance.info_path).st_mode) == 0o600
    finally:
        instance.close()


_OTHER_USER = 65534  # nobody


def _impostor() -> tuple[Listener, queue.Queue[bytes]]:
    """Another local user's listener that takes hand-overs and acknowledges them."""
    listener = Listener(("127.0.0.1", 0), family="AF_INET", authkey=b"k" * 32)
    heard: queue.Queue[bytes] = queue.Queue()

    def serve() -> None:
        with contextlib.suppress(OSError, EOFError), listener.accept() as conn:
            heard.put(conn.recv_bytes())
            conn.send_bytes(b"ok")

    threading.Thread(target=serve, daemon=True).start()
    return listener, heard


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file another user's needs root")
def test_info_file_planted_by_another_user_is_not_trusted(tmp_path: Path) -> None:
    # Another user answering on "our" port would get the link (and could answer "ok").
    impostor, heard = _impostor()
    try:
        info = {"port": impostor.address[1], "authkey": (b"k" * 32).hex(), "pid": 1}
        later = SingleInstance(tmp_path)
        later.info_path.write_text(json.dumps(info))
        os.chmod(later.info_path, 0o600)
        os.chown(later.info_path, _OTHER_USER, _OTHER_USER)

        assert later.hand_over(["tel:+41441234567"], timeout=1.0) is False
        assert heard.empty()
    finally:
        impostor.close()


def test_info_file_others_can_write_is_not_trusted(tmp_path: Path) -> None:
    impostor, heard = _impostor()
    try:
        info = {"port": impostor.address[1], "authkey": (b"k" * 32).hex(), "pid": 1}
        later = SingleInstance(tmp_path)
        later.info_path.write_text(json.dumps(info))
        os.chmod(later.info_path, 0o666)

        assert later.hand_over(["tel:+41441234567"], timeout=1.0) is False
        assert heard.empty()
    finally:
        impostor.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file another user's needs root")
def test_lock_file_planted_by_another_user_is_refused(tmp_path: Path) -> None:
    instance = SingleInstance(tmp_path)
    instance.lock_path.touch(mode=0o600)
    os.chown(instance.lock_path, _OTHER_USER, _OTHER_USER)

    with pytest.raises(PermissionError):
        instance.acquire()
