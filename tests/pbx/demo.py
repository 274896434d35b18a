"""`make demo`: a local PBX with colleagues to call, a provisioning service and a DNS server;
the softphone signs in as alice@demo.test with an e-mail and a password only, as a new
employee would (docs/provisioning.md), and gets its account, colleagues, directory and
voicemail number from the provisioning document."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from dirservers.data import Person, vcard  # noqa: E402
from dirservers.radicale import PASSWORD as DAV_PASSWORD  # noqa: E402
from dirservers.radicale import USER as DAV_USER  # noqa: E402
from dirservers.radicale import Radicale  # noqa: E402
from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.pj_peer_proc import PjPeer  # noqa: E402
from pbx.ports import HOST  # noqa: E402
from provisioning.servers import DnsServer, ProvisioningServer  # noqa: E402
from softphone.app import AppPaths  # noqa: E402
from softphone.provisioning.defaults import ENV_DNS_SERVER, ENV_URL  # noqa: E402
from softphone.settings.trust import TrustStore  # noqa: E402

DEMO_DIR = ROOT / ".demo"
APP_DIR = DEMO_DIR / "app"
DOMAIN = "demo.test"
EMAIL = f"alice@{DOMAIN}"
USER = "1001"
VOICEMAIL = "1009"  # the demo PBX has no mailbox: the echo test stands in for one
PASSWORD_ENV = "SOFTPHONE_DEMO_PASSWORD"

EXTENSIONS = {
    "1002": "baresip, answers by itself and plays a 700 Hz tone",
    "1009": "echo test: answers and sends back what you say",
}
# Every internal user, as the provisioning service lists them for the colleague picker.
COLLEAGUES = {
    "1002": "Bob Meier (tone)",
    "1003": "Carol Rossi",
    "1004": "David Keller",
    "1005": "Emma Dupré",
    "1006": "Felix Weber",
    "1007": "Giulia Conti",
    "1008": "Hugo Lefèvre",
    "1009": "Echo test",
    "1010": "Inès Moreau",
}
PANEL = ["1002", "1003", "1009"]  # the colleagues panel at first sign-in
# The company directory (CardDAV) the document points at: colleagues and outside contacts.
DIRECTORY = [
    Person("bob", "Bob", "Meier", "+41 79 100 20 02", "044 200 10 02", "1002"),
    Person("carol", "Carol", "Rossi", "+41 79 100 20 03", "044 200 10 03", "1003"),
    Person("david", "David", "Keller", "+41 79 100 20 04", "044 200 10 04", "1004"),
    Person("emma", "Emma", "Dupré", "+41 79 100 20 05", "044 200 10 05", "1005"),
    Person("felix", "Felix", "Weber", "+41 79 100 20 06", "044 200 10 06", "1006"),
    Person("anna", "Anna", "Schäfer", "+41 79 555 12 34", "044 555 12 00", ""),
    Person("marco", "Marco", "Bianchi", "+39 333 123 4567", "+39 02 1234 567", ""),
]


def document(pbx: Kamailio, directory: Radicale) -> dict[str, Any]:
    """alice's provisioning document (format: docs/provisioning.md)."""
    return {
        "version": 1,
        "account": {
            "server": f"{HOST}:{pbx.port}",
            "user": USER,
            "password": pbx.users[USER],  # the SIP password, apart from the sign-in one
            "display_name": "Alice Martin",
        },
        "directory": {
            "carddav": {"url": directory.url, "user": DAV_USER, "password": DAV_PASSWORD},
            # Shared numbers the administrator lists in the document itself (read-only).
            "contacts": [
                {"name": "Reception", "numbers": ["+41 44 200 10 00"], "extension": "1000"},
                {"name": "IT helpdesk", "numbers": ["+41 44 200 19 99"]},
            ],
        },
        "colleagues": [{"extension": ext, "name": name} for ext, name in COLLEAGUES.items()],
        "panel": PANEL,
        "voicemail": VOICEMAIL,
    }


def start_servers(stack: contextlib.ExitStack, password: str) -> DnsServer:
    """Kamailio and its peers, Radicale, nginx, dnsmasq: each stopped by `stack`."""
    pbx = stack.enter_context(Kamailio(work_dir=DEMO_DIR / "kamailio", tls=False))
    tone = Baresip(
        pbx.port, "1002", pbx.users["1002"], answermode="auto", work_dir=DEMO_DIR / "baresip-1002"
    )
    stack.enter_context(tone)
    stack.enter_context(
        PjPeer(pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=DEMO_DIR / "echo-1009")
    )
    shutil.rmtree(DEMO_DIR / "radicale", ignore_errors=True)
    directory = Radicale(DEMO_DIR / "radicale")
    directory.seed({p.key: vcard(p, "4.0") for p in DIRECTORY})
    stack.callback(directory.stop)
    directory.start()
    provisioning = ProvisioningServer(DEMO_DIR / "nginx")
    stack.callback(provisioning.stop)
    provisioning.start()
    provisioning.add_user(EMAIL, password, document(pbx, directory))
    dns = DnsServer(DEMO_DIR / "dnsmasq")
    dns.txt(f"_softphone-provisioning.{DOMAIN}", provisioning.url)  # docs/provisioning.md
    # RFC 3263 records of the PBX too: an address without a document (1003@demo.test and
    # its SIP password) signs in by DNS alone.
    dns.naptr(DOMAIN, 10, "SIP+D2U", f"_sip._udp.{DOMAIN}")
    dns.srv(f"_sip._udp.{DOMAIN}", f"pbx.{DOMAIN}", pbx.port)
    dns.host(f"pbx.{DOMAIN}")
    stack.callback(dns.stop)
    dns.start()
    # A fresh app data directory: every demo is a first sign-in. The provisioning server's
    # self-signed certificate is trusted there, as a user does after checking its SHA-256.
    shutil.rmtree(APP_DIR, ignore_errors=True)
    provisioning.trust_in(TrustStore(AppPaths.for_data_dir(APP_DIR).trust_dir))
    print(f"Demo PBX (Kamailio) on {HOST}:{pbx.port}; peers:")
    for ext, what in EXTENSIONS.items():
        print(f"  {ext}: {what}")
    print("  1003-1008, 1010: free extensions (password pw<ext>) for your own SIP client")
    print(f"Provisioning (nginx, HTTPS): {provisioning.url}")
    print(
        f"DNS (dnsmasq) on {dns.address}: TXT _softphone-provisioning.{DOMAIN}, "
        f"NAPTR {DOMAIN}, SRV _sip._udp.{DOMAIN}"
    )
    print(f"Directory (Radicale, CardDAV): {directory.url}")
    return dns


def main() -> int:
    DEMO_DIR.mkdir(exist_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    password = secrets.token_urlsafe(9)  # alice's sign-in password, new at every demo
    with contextlib.ExitStack() as stack:
        dns = start_servers(stack, password)
        print(f"Signing in as {EMAIL}, password {password} (sign out and in again to try it).")
        print(f"Voicemail button: {VOICEMAIL} (the echo test stands in for a mailbox).")
        print("Ctrl-C stops everything.", flush=True)
        env = dict(os.environ)
        env.pop(ENV_URL, None)  # the URL comes from the demo DNS, as for a real domain
        env[ENV_DNS_SERVER] = dns.address
        env[PASSWORD_ENV] = password
        # Demo secrets stay in the app's memory, never in the user's keyring.
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "softphone",
                "--data-dir",
                str(APP_DIR),
                "--email",
                EMAIL,
                "--password-env",
                PASSWORD_ENV,
                "--sip-bind",
                HOST,
                "--log-level",
                "WARNING",
            ],
            env=env,
        )
        try:
            while not stop.wait(0.5):
                if app.poll() is not None:
                    break
        finally:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
                try:
                    app.wait(10)
                except subprocess.TimeoutExpired:
                    app.kill()
                    app.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
