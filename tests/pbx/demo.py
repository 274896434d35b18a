"""`make demo`: a local PBX with colleagues to call, a provisioning service and a DNS server;
the softphone signs in as alice@demo.test with an e-mail and a password only, as a new
employee would (docs/provisioning.md), and gets its account, colleagues, directory and
voicemail number from the provisioning document. The phone is alive from the start: some
colleagues are on the phone, ringing or on do-not-disturb, the directory holds a few hundred
people, the history has answered and missed calls, and voicemail messages wait
(tests/pbx/demo_life.py)."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from dirservers.radicale import PASSWORD as DAV_PASSWORD  # noqa: E402
from dirservers.radicale import USER as DAV_USER  # noqa: E402
from dirservers.radicale import Radicale  # noqa: E402
from pbx.baresip import Baresip  # noqa: E402
from pbx.demo_directory import colleague, outside_contacts  # noqa: E402
from pbx.demo_life import (  # noqa: E402
    USER,
    VOICEMAIL_NEW,
    KeptCalls,
    Voicemail,
    make_history,
    start_phones,
)
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.pj_peer_proc import PjPeer  # noqa: E402
from pbx.ports import HOST  # noqa: E402
from provisioning.servers import DnsServer, ProvisioningServer  # noqa: E402
from softphone.paths import AppPaths  # noqa: E402
from softphone.provisioning.defaults import ENV_DNS_SERVER, ENV_URL  # noqa: E402
from softphone.settings.trust import TrustStore  # noqa: E402
from support.app_harness import UiClient  # noqa: E402

APP_DIR = "app"  # in the demo's work directory
DOMAIN = "demo.test"
EMAIL = f"alice@{DOMAIN}"
VOICEMAIL = "1009"  # the demo PBX has no mailbox: the echo test stands in for one
PASSWORD_ENV = "SOFTPHONE_DEMO_PASSWORD"

# Every internal user, as the provisioning service lists them for the colleague picker.
COLLEAGUES = {
    "1002": "Bob Meier",
    "1003": "Carol Rossi",
    "1004": "David Keller",
    "1005": "Emma Dupré",
    "1006": "Felix Weber",
    "1007": "Giulia Conti",
    "1008": "Hugo Lefèvre",
    "1009": "Echo test",
    "1010": "Inès Moreau",
}
PANEL = list(COLLEAGUES)  # the colleagues panel at first sign-in: all of them
PEERS = {
    "1002": "answers by itself and plays a 700 Hz tone (baresip)",
    "1003": "on the phone with 1004",
    "1004": "on the phone with 1003",
    "1005": "ringing: 1006 calls and nobody answers (pick it up from the panel)",
    "1006": "calling 1005 (again every minute: the PBX gives up after 60 s)",
    "1007": "do not disturb (published presence): refuses calls",
    "1008": "called you, missed; answers with an echo",
    "1009": "answers and sends back what you say; the voicemail button calls it",
    "1010": "called you, answered; answers with an echo",
}


def directory_cards() -> dict[str, str]:
    """The company address book (CardDAV): the colleagues with their extension, and a few
    hundred customers, suppliers and acquaintances."""
    people = [colleague(ext, name) for ext, name in COLLEAGUES.items() if ext != VOICEMAIL]
    people += outside_contacts()
    return {card.key: card.vcard() for card in people}


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


@dataclass(frozen=True, slots=True)
class Servers:
    pbx: Kamailio
    phones: dict[str, PjPeer]  # the colleagues' phones but 1002's, by extension
    dns: DnsServer
    directory_entries: int  # in the CardDAV address book


def start_servers(stack: contextlib.ExitStack, demo_dir: Path, password: str) -> Servers:
    """Kamailio, the colleagues' phones, Radicale, nginx, dnsmasq: each stopped by `stack`."""
    pbx = stack.enter_context(Kamailio(work_dir=demo_dir / "kamailio", tls=False))
    phones = start_phones(stack, pbx, COLLEAGUES, demo_dir)  # they register meanwhile
    tone = Baresip(
        pbx.port, "1002", pbx.users["1002"], answermode="auto", work_dir=demo_dir / "baresip-1002"
    )
    stack.enter_context(tone)
    shutil.rmtree(demo_dir / "radicale", ignore_errors=True)
    directory = Radicale(demo_dir / "radicale")
    cards = directory_cards()
    directory.seed(cards)
    stack.callback(directory.stop)
    directory.start()
    provisioning = ProvisioningServer(demo_dir / "nginx")
    stack.callback(provisioning.stop)
    provisioning.start()
    provisioning.add_user(EMAIL, password, document(pbx, directory))
    dns = DnsServer(demo_dir / "dnsmasq")
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
    shutil.rmtree(demo_dir / APP_DIR, ignore_errors=True)
    provisioning.trust_in(TrustStore(AppPaths.for_data_dir(demo_dir / APP_DIR).trust_dir))
    print(f"Demo PBX (Kamailio) on {HOST}:{pbx.port}; extensions 1001-1010, password pw<ext>")
    print(f"Provisioning (nginx, HTTPS): {provisioning.url}")
    print(
        f"DNS (dnsmasq) on {dns.address}: TXT _softphone-provisioning.{DOMAIN}, "
        f"NAPTR {DOMAIN}, SRV _sip._udp.{DOMAIN}"
    )
    print(f"Directory (Radicale, CardDAV): {directory.url}, {len(cards)} people", flush=True)
    for phone in phones.values():
        phone.wait_registered()
    return Servers(pbx, phones, dns, len(cards))


def start_app(
    app_dir: Path, dns: DnsServer, password: str, *, browser: bool
) -> subprocess.Popen[str]:
    """The softphone signing in as alice by e-mail; `browser`: no window, and its
    "Open http://..." line comes to us instead of the terminal."""
    env = dict(os.environ)
    env.pop(ENV_URL, None)  # the URL comes from the demo DNS, as for a real domain
    env[ENV_DNS_SERVER] = dns.address
    env[PASSWORD_ENV] = password
    # Demo secrets stay in the app's memory, never in the user's keyring.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    argv = [sys.executable, "-m", "softphone", "--data-dir", str(app_dir), "--email", EMAIL]
    argv += ["--password-env", PASSWORD_ENV, "--sip-bind", HOST, "--log-level", "WARNING"]
    # Its own session: a Ctrl-C in the terminal reaches the demo, which stops the app by PID
    # (the app, not its engine process, must see the signal first, or it restarts the engine).
    return subprocess.Popen(
        [*argv, "--browser"] if browser else argv,
        env=env,
        stdout=subprocess.PIPE if browser else None,
        text=True,
        start_new_session=True,
    )


def stop_app(app: subprocess.Popen[str]) -> None:
    if app.poll() is None:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(15)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def record_history(app_dir: Path, servers: Servers, password: str) -> None:
    """alice's first sign-in, in a browser-mode app that the demo drives as its UI would:
    real calls to and from her fill her history. The app then quits; the one the user sees
    starts on the same data (a window has no URL the demo could drive)."""
    app = start_app(app_dir, servers.dns, password, browser=True)
    try:
        assert app.stdout is not None
        line = app.stdout.readline().strip()
        if not line.startswith("Open "):
            raise RuntimeError(f"the app did not start: {line!r}")
        base, token = line.removeprefix("Open ").split("/#token=")
        ui = UiClient.at(int(base.rsplit(":", 1)[1]), token)
        try:
            make_history(ui, servers.phones, servers.directory_entries)
        finally:
            ui.close()
    finally:
        stop_app(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--work-dir", type=Path, default=ROOT / ".demo", help="logs and data (default: .demo)"
    )
    demo_dir: Path = parser.parse_args(argv).work_dir.resolve()
    demo_dir.mkdir(parents=True, exist_ok=True)
    app_dir = demo_dir / APP_DIR
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    password = secrets.token_urlsafe(9)  # alice's sign-in password, new at every demo
    with contextlib.ExitStack() as stack:
        servers = start_servers(stack, demo_dir, password)
        print("Colleagues' phones:")
        for ext, what in PEERS.items():
            print(f"  {ext} {COLLEAGUES[ext]}: {what}")
        print("Making alice's history: 2 answered and 2 missed calls...", flush=True)
        record_history(app_dir, servers, password)
        calls = KeptCalls(servers.phones)
        calls.tick()
        calls.wait_started()
        voicemail = Voicemail(servers.pbx, VOICEMAIL)
        print(f"Signing in as {EMAIL}, password {password} (sign out and in again to try it).")
        print(
            f"Voicemail: {VOICEMAIL} (the echo test stands in for a mailbox), "
            f"{VOICEMAIL_NEW} new messages."
        )
        print("Ctrl-C stops everything.", flush=True)
        app = start_app(app_dir, servers.dns, password, browser=False)
        try:
            while not stop.wait(1.0) and app.poll() is None:
                try:
                    calls.tick()
                    voicemail.tick()
                except (OSError, RuntimeError):
                    if stop.is_set():  # a Ctrl-C reached the peers too: they are going
                        break
                    raise
        finally:
            stop_app(app)
    if app.returncode and not stop.is_set():  # it failed (its window closed: 0, the end)
        print(f"The app exited with code {app.returncode}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
