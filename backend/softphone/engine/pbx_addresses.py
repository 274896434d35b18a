"""The PBX's IP addresses (registrar, outbound proxy), resolved off the engine thread."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

Resolve = Callable[[str], frozenset[str]]


def resolve_host(host: str) -> frozenset[str]:
    """Every address `host` resolves to (what pjsip, with no DNS resolver configured, uses:
    getaddrinfo). May block for seconds: never on the engine thread."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    return frozenset(str(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos)


def _in_a_thread(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="pbx-address-lookup", daemon=True).start()


class PbxAddresses:
    """Addresses requests may come from. IP literals count at once; names are resolved in a
    background thread at each refresh (each registration), so a DNS change is followed; a
    failed lookup keeps the host's previous addresses (a DNS outage must not cut calls)."""

    def __init__(
        self,
        resolve: Resolve = resolve_host,
        *,
        background: Callable[[Callable[[], None]], object] = _in_a_thread,
    ) -> None:
        self._resolve = resolve
        self._background = background  # where lookups run (tests: a thread they join)
        self._lock = threading.Lock()
        self._hosts: tuple[str, ...] = ()
        self._by_host: dict[str, frozenset[str]] = {}
        self._current: frozenset[str] = frozenset()
        self._busy = False
        self._again = False

    def set_hosts(self, hosts: Iterable[str]) -> None:
        names = tuple(dict.fromkeys(h.strip("[]").lower() for h in hosts if h))
        with self._lock:
            self._hosts = names
            self._by_host = {h: self._by_host.get(h, _literal(h)) for h in names}
            self._publish()
        self.refresh()

    def refresh(self) -> None:
        """Resolve the names again (in the background); cheap to call often."""
        with self._lock:
            if not any(not _literal(h) for h in self._hosts):
                return
            if self._busy:
                self._again = True
                return
            self._busy = True
        self._background(self._run)

    def current(self) -> frozenset[str]:
        return self._current  # replaced whole, never mutated: no lock needed to read

    def _run(self) -> None:
        while True:
            with self._lock:
                hosts = [h for h in self._hosts if not _literal(h)]
                self._again = False
            found: dict[str, frozenset[str]] = {}
            for host in hosts:
                try:
                    found[host] = self._resolve(host)
                except (OSError, UnicodeError, ValueError) as exc:
                    log.info("PBX address of %s not resolved (%s): keeping the last one", host, exc)
            with self._lock:
                for host, addresses in found.items():
                    if host in self._by_host and addresses:
                        self._by_host[host] = addresses
                self._publish()
                if not self._again:
                    self._busy = False
                    return

    def _publish(self) -> None:
        merged: set[str] = set()
        for addresses in self._by_host.values():
            merged |= addresses
        if merged != self._current:
            log.info("requests accepted from the PBX at %s", ", ".join(sorted(merged)) or "-")
        self._current = frozenset(merged)


def _literal(host: str) -> frozenset[str]:
    try:
        return frozenset({str(ipaddress.ip_address(host))})
    except ValueError:
        return frozenset()
