"""pytest fixtures: a Kamailio per test and factories for baresip / pjsua2 / linphonec peers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.linphone import Linphone
from pbx.pj_peer_proc import PjPeer


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    """A fresh Kamailio (users 1001..1010, password pw<ext>), stopped at teardown."""
    pbx = Kamailio(work_dir=tmp_path / "kamailio")
    try:
        pbx.start()
        yield pbx
    finally:
        pbx.stop()


@pytest.fixture
def baresip_factory(kamailio: Kamailio, tmp_path: Path) -> Iterator[Callable[..., Baresip]]:
    """make(user, **kw) -> started Baresip registered on `kamailio`; all stopped after."""
    peers: list[Baresip] = []

    def make(
        user: str,
        password: str | None = None,
        *,
        start: bool = True,
        wait_registered: bool = True,
        **kw: Any,
    ) -> Baresip:
        peer = Baresip(
            kamailio.port,
            user,
            password or kamailio.users[user],
            work_dir=tmp_path / f"baresip-{user}-{len(peers)}",
            **kw,
        )
        peers.append(peer)
        if start:
            peer.start(wait_registered=wait_registered)
        return peer

    try:
        yield make
    finally:
        for peer in peers:
            peer.stop()


@pytest.fixture
def pj_peer_factory(kamailio: Kamailio, tmp_path: Path) -> Iterator[Callable[..., PjPeer]]:
    """make(user, mode=..., **kw) -> started pjsua2 peer process; all stopped after."""
    peers: list[PjPeer] = []

    def make(user: str, **kw: Any) -> PjPeer:
        peer = PjPeer(
            kamailio.port,
            user,
            kamailio.users[user],
            work_dir=tmp_path / f"pjpeer-{user}-{len(peers)}",
            **kw,
        )
        peers.append(peer)
        return peer.start()

    try:
        yield make
    finally:
        for peer in peers:
            peer.stop()


@pytest.fixture
def linphone_factory(kamailio: Kamailio, tmp_path: Path) -> Iterator[Callable[..., Linphone]]:
    """make(user, **kw) -> started linphonec registered on `kamailio`; all stopped after."""
    peers: list[Linphone] = []

    def make(user: str, *, start: bool = True, **kw: Any) -> Linphone:
        peer = Linphone(
            kamailio.port,
            user,
            kamailio.users[user],
            work_dir=tmp_path / f"linphone-{user}-{len(peers)}",
            **kw,
        )
        peers.append(peer)
        return peer.start() if start else peer

    try:
        yield make
    finally:
        for peer in peers:
            peer.stop()
