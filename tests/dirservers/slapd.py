"""An OpenLDAP slapd on 127.0.0.1 with its own slapd.conf and database, seeded by slapadd."""

from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

import ldap3

from dirservers.data import Person
from pbx.certs import write_self_signed
from pbx.ports import HOST, free_tcp_port
from pbx.procs import log_tail, spawn, stop_tree

SUFFIX = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PW = "secret"
PEOPLE = f"ou=people,{SUFFIX}"
SLAPD = "/usr/sbin/slapd"


def _attr(name: str, value: str) -> str:
    """An LDIF line; non-ASCII values base64-encoded as LDIF requires."""
    if value.isascii():
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


def person_ldif(p: Person) -> str:
    text = f"dn: uid={p.key},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {p.key}\n"
    text += _attr("cn", p.name) + _attr("sn", p.family) + _attr("givenName", p.given)
    text += f"o: Acme AG\nmobile: {p.mobile}\ntelephoneNumber: {p.office}\n"
    if p.extension:
        text += f"telephoneNumber: {p.extension}\n"
    return text + "\n"


class Slapd:
    def __init__(self, work_dir: Path, port: int | None = None, tls: bool = False) -> None:
        self.work_dir = work_dir
        self.port = port or free_tcp_port()
        self.tls = tls  # StartTLS on the ldap:// port and an ldaps:// port beside it
        self.ldaps_port = free_tcp_port() if tls else 0
        self.cert = work_dir / "cert.pem"
        self.conf = work_dir / "slapd.conf"
        self.log = work_dir / "slapd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://{HOST}:{self.port}"

    def configure(self, ldif_entries: list[str]) -> None:
        db = self.work_dir / "db"
        db.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            "".join(
                f"include /etc/ldap/schema/{s}.schema\n"
                for s in ("core", "cosine", "nis", "inetorgperson")
            )
            + f"modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
            f"pidfile {self.work_dir / 'slapd.pid'}\n"
            f'database mdb\nmaxsize 104857600\nsuffix "{SUFFIX}"\nrootdn "{ADMIN_DN}"\n'
            f"rootpw {ADMIN_PW}\ndirectory {db}\nindex objectClass eq\n"
            "access to * by anonymous auth by * read\n"
        )
        if self.tls:
            key = self.work_dir / "key.pem"
            write_self_signed(self.cert, key, [HOST])
            text = self.conf.read_text()
            tls = f"TLSCertificateFile {self.cert}\nTLSCertificateKeyFile {key}\n"
            self.conf.write_text(text.replace("database mdb", tls + "database mdb", 1))
        base = (
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Acme\n"
            "dc: example\n\n"
            f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
        )
        ldif = self.work_dir / "seed.ldif"
        ldif.write_text(base + "".join(ldif_entries), encoding="utf-8")
        # slapadd writes the database offline: far faster than hundreds of LDAP adds.
        subprocess.run(
            ["/usr/sbin/slapadd", "-q", "-f", str(self.conf), "-l", str(ldif)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> Slapd:
        self._proc = proc = spawn(
            [SLAPD, "-d", "0", "-h", self._urls(), "-f", str(self.conf)],
            self.log,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"slapd exited:\n{log_tail(self.log)}")
            try:
                self.admin().unbind()
                return self
            except ldap3.core.exceptions.LDAPException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"slapd did not start:\n{log_tail(self.log)}")

    def _urls(self) -> str:
        urls = f"ldap://{HOST}:{self.port}/"
        return urls + (f" ldaps://{HOST}:{self.ldaps_port}/" if self.tls else "")

    def stop(self) -> None:
        if self._proc is not None:
            stop_tree(self._proc)
            self._proc = None

    def admin(self) -> ldap3.Connection:
        server = ldap3.Server(self.url, connect_timeout=2, get_info=ldap3.NONE)
        return ldap3.Connection(server, ADMIN_DN, ADMIN_PW, auto_bind=True, raise_exceptions=True)
