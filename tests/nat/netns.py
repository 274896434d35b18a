"""Test hosts made of network namespaces joined by veth pairs, with a NAT router between.

    lan (softphone)          nat (router, masquerade)          inet ("internet")
    10.77.0.2/24  <-veth->  10.77.0.1 | 198.18.0.2  <-veth->  198.18.0.1 PBX
                                                              198.18.0.3 STUN/TURN
                                                              198.18.0.4 peer

Nothing is routed back to 10.77.0.0/24 from the internet side: only the NAT's mappings
let packets in, as behind a home or office router. Everything is made with iproute2 and
nft, and removed at the end (namespaces are deleted, their veths with them).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

LAN_GATEWAY, LAN_HOST = "10.77.0.1", "10.77.0.2"
NAT_PUBLIC = "198.18.0.2"
PBX, TURN, PEER = "198.18.0.1", "198.18.0.3", "198.18.0.4"


def run(*argv: str, ns: str | None = None, check: bool = True) -> str:
    prefix = ["ip", "netns", "exec", ns] if ns else []
    done = subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False, timeout=20)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


@contextlib.contextmanager
def inside(ns: str) -> Iterator[None]:
    """Run the block with this thread in namespace `ns`: sockets it opens and processes it
    starts (and threads those start) live there. The thread returns home afterwards."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({ns})")
        yield
    finally:
        if _libc.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns(home)")
        os.close(home)
        os.close(target)


@dataclass
class NatNetwork:
    """Names of the three namespaces; `create()` builds them, `destroy()` removes them."""

    tag: str

    @property
    def lan(self) -> str:
        return f"sp{self.tag}-lan"

    @property
    def nat(self) -> str:
        return f"sp{self.tag}-nat"

    @property
    def inet(self) -> str:
        return f"sp{self.tag}-inet"

    @classmethod
    def new(cls) -> NatNetwork:
        return cls(secrets.token_hex(3))

    def create(self, udp_timeout: int = 30) -> None:
        for ns in (self.lan, self.nat, self.inet):
            run("ip", "netns", "add", ns)
            run("ip", "link", "set", "lo", "up", ns=ns)
        run("ip", "link", "add", "lan0", "netns", self.nat, "type", "veth",
            "peer", "name", "eth0", "netns", self.lan)  # fmt: skip
        run("ip", "link", "add", "wan0", "netns", self.nat, "type", "veth",
            "peer", "name", "isp0", "netns", self.inet)  # fmt: skip
        run("ip", "addr", "add", f"{LAN_HOST}/24", "dev", "eth0", ns=self.lan)
        run("ip", "link", "set", "eth0", "up", ns=self.lan)
        run("ip", "route", "add", "default", "via", LAN_GATEWAY, ns=self.lan)
        run("ip", "addr", "add", f"{LAN_GATEWAY}/24", "dev", "lan0", ns=self.nat)
        run("ip", "addr", "add", f"{NAT_PUBLIC}/24", "dev", "wan0", ns=self.nat)
        for dev in ("lan0", "wan0"):
            run("ip", "link", "set", dev, "up", ns=self.nat)
        for address in (PBX, TURN, PEER):
            run("ip", "addr", "add", f"{address}/24", "dev", "isp0", ns=self.inet)
        run("ip", "link", "set", "isp0", "up", ns=self.inet)
        run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=self.nat)
        self.nft(
            "table ip nat {\n chain post {\n  type nat hook postrouting priority 100;\n"
            '  oifname "wan0" masquerade\n }\n}\n'
            "table ip filter {\n chain guard {\n  type filter hook forward priority 0;\n }\n}\n"
        )
        # After the NAT table: it loads nf_conntrack, whose sysctls only exist from then on.
        self.set_udp_timeout(udp_timeout)

    def set_udp_timeout(self, seconds: int) -> None:
        """How long the NAT keeps an idle UDP mapping (both conntrack UDP timeouts)."""
        run("sysctl", "-qw", f"net.netfilter.nf_conntrack_udp_timeout={seconds}", ns=self.nat)
        run("sysctl", "-qw", f"net.netfilter.nf_conntrack_udp_timeout_stream={seconds}",
            ns=self.nat)  # fmt: skip

    def nft(self, ruleset: str) -> None:
        done = subprocess.run(
            ["ip", "netns", "exec", self.nat, "nft", "-f", "-"],
            input=ruleset, capture_output=True, text=True, check=False, timeout=20,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"nft failed: {done.stderr.strip()}")

    def block(self, rule: str) -> None:
        """Drop forwarded packets matching `rule` (nft syntax), e.g. 'ip daddr 198.18.0.4'."""
        self.nft(f"add rule ip filter guard {rule} drop")

    def unblock_all(self) -> None:
        self.nft("flush chain ip filter guard")

    def destroy(self) -> None:
        for ns in (self.lan, self.nat, self.inet):
            run("ip", "netns", "del", ns, check=False)


@functools.cache
def netns_supported() -> str | None:
    """None if namespaces, veths and nft work here; else why not."""
    probe = NatNetwork.new()
    try:
        probe.create()
        return None
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return str(exc)
    finally:
        probe.destroy()
