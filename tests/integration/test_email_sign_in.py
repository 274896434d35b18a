"""E-mail sign-in against real servers: nginx (HTTPS provisioning behind HTTP auth),
dnsmasq (NAPTR/SRV/TXT on 127.0.0.1) and Kamailio (the registration that validates it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from dirservers.data import Person, vcard
from dirservers.radicale import PASSWORD as DAV_PASSWORD
from dirservers.radicale import USER as DAV_USER
from dirservers.radicale import Radicale
from pbx.kamailio import Kamailio
from pbx.ports import free_tcp_port
from provisioning.servers import DnsServer, ProvisioningServer
from softphone.app import SoftphoneApp
from softphone.domain.directory import ContactSource
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS, account_secret_key
from support.app_harness import UiClient, running_app
from support.waiting import until

pytestmark = pytest.mark.integration

EMAIL = "alice@demo.test"
PASSWORD = "alice-sign-in-pw"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftphoneApp]:
    for name in ("SOFTPHONE_PROVISIONING_URL", "SOFTPHONE_DNS_SERVER"):
        monkeypatch.delenv(name, raising=False)
    with running_app(tmp_path / "app") as running:
        yield running


@pytest.fixture
def provisioning_server(tmp_path: Path) -> Iterator[ProvisioningServer]:
    server = ProvisioningServer(tmp_path / "nginx").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dns_server(tmp_path: Path) -> Iterator[DnsServer]:
    """Not started: the test adds its records, then calls start()."""
    server = DnsServer(tmp_path / "dnsmasq")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ui(app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


def _document(kamailio: Kamailio) -> dict[str, Any]:
    return {
        "version": 1,
        "account": {
            "server": f"127.0.0.1:{kamailio.port}",
            "user": "1001",
            "password": kamailio.users["1001"],  # a SIP password apart from the sign-in one
            "display_name": "Alice Martin",
        },
        "colleagues": [{"extension": "1002", "name": "Bob Meier"}, {"extension": "1003"}],
        "panel": ["1002"],
        "feature_codes": {"pickup_prefix": "**"},
        "voicemail": "*97",
        "future_key": True,
    }


def _keyring() -> dict[tuple[str, str], str]:
    """The test keyring's entries (it is shared by every test of the process)."""
    return dict(keyring.get_keyring().store)  # type: ignore[attr-defined]


def _stored_nothing(app: SoftphoneApp, keyring_before: dict[tuple[str, str], str]) -> None:
    assert app.settings.settings.account is None
    assert app.settings.settings.blf_users == ()
    assert _keyring() == keyring_before
    assert not (app.options.paths.config_dir / "provisioning.json").exists()


def _sign_in_provisioned(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
    *,
    document: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """EMAIL signs in through `server` (set as the installation's URL, its certificate
    trusted), which serves `document` (else the one for `kamailio`); the command's reply."""
    server.add_user(EMAIL, PASSWORD, document or _document(kamailio))
    server.trust_in(app.trust)
    monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", server.url)
    return ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)


def test_sign_in_by_provisioning_fills_account_panel_codes_and_colleagues(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = _sign_in_provisioned(app, ui, kamailio, provisioning_server, monkeypatch)
    assert reply == {"ok": True, "result": {"method": "provisioning", "password_saved": True}}
    settings = app.settings.settings
    assert settings.account is not None
    assert (settings.account.server, settings.account.user) == (
        f"127.0.0.1:{kamailio.port}",
        "1001",
    )
    assert settings.account.display_name == "Alice Martin"
    assert app.accounts.registration.state.value == "registered"
    assert app.secrets.get(account_secret_key(settings.account)) == kamailio.users["1001"]
    assert app.secrets.get(f"provisioning:{EMAIL}") == PASSWORD
    assert [u.extension for u in settings.blf_users] == ["1002"]
    assert settings.feature_codes.voicemail == "*97"
    assert settings.feature_codes.pickup_prefix == "**"
    users = ui.command("directory.colleagues")["result"]["users"]
    assert users[:2] == [
        {"extension": "1002", "name": "Bob Meier"},
        {"extension": "1003", "name": ""},
    ]
    assert "1001" in " ".join(kamailio.bindings("1001"))


def test_sign_in_by_dns_only_finds_the_pbx_by_naptr_and_srv(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    dns_server: DnsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns_server.naptr("demo.test", 10, "SIP+D2U", "_sip._udp.demo.test")
    dns_server.srv("_sip._udp.demo.test", "pbx.demo.test", kamailio.port)
    dns_server.host("pbx.demo.test")
    dns_server.start()
    monkeypatch.setenv("SOFTPHONE_DNS_SERVER", dns_server.address)
    reply = ui.command(
        "account.sign_in", email="1002@demo.test", password=kamailio.users["1002"], timeout=30
    )
    assert reply == {"ok": True, "result": {"method": "dns", "password_saved": True}}
    account = app.settings.settings.account
    assert account is not None
    assert (account.server, account.user) == (f"127.0.0.1:{kamailio.port}", "1002")
    log = (dns_server.dir / "dnsmasq.log").read_text()
    assert "query[NAPTR] demo.test" in log and "query[SRV] _sip._udp.demo.test" in log


def test_the_provisioning_url_is_found_in_a_dns_txt_record(
    *,
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    dns_server: DnsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provisioning_server.add_user(EMAIL, PASSWORD, _document(kamailio))
    provisioning_server.trust_in(app.trust)
    dns_server.txt("_softphone-provisioning.demo.test", provisioning_server.url)
    dns_server.start()
    monkeypatch.setenv("SOFTPHONE_DNS_SERVER", dns_server.address)
    reply = ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)
    assert reply["ok"] and reply["result"]["method"] == "provisioning", reply


def test_a_wrong_password_is_a_clear_error_and_nothing_is_stored(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provisioning_server.add_user(EMAIL, PASSWORD, _document(kamailio))
    provisioning_server.trust_in(app.trust)
    monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", provisioning_server.url)
    before = _keyring()
    reply = ui.command("account.sign_in", email=EMAIL, password="wrong", timeout=30)
    assert reply == {"ok": False, "error": "provisioning_auth_failed", "field": None}
    _stored_nothing(app, before)
    # Another user's document is not readable with one's own valid credentials either.
    provisioning_server.add_user("bob@demo.test", "bob-pw", _document(kamailio))
    url = provisioning_server.url.replace("{email}", "alice%40demo.test")
    reply = ui.command(
        "account.sign_in", email="bob@demo.test", password="bob-pw", provisioning_url=url
    )
    assert reply == {"ok": False, "error": "provisioning_auth_failed", "field": None}
    _stored_nothing(app, before)


def test_an_unreachable_provisioning_server_is_said_so(
    app: SoftphoneApp, ui: UiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_tcp_port()  # nothing listens there
    monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", f"https://127.0.0.1:{port}/{{email}}.json")
    before = _keyring()
    reply = ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)
    assert reply == {"ok": False, "error": "provisioning_unreachable", "field": None}
    _stored_nothing(app, before)


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provisioning_server.add_user(EMAIL, PASSWORD, _document(kamailio))
    monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", provisioning_server.url)
    before = _keyring()
    reply = ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)
    assert reply == {"ok": False, "error": "tls_untrusted", "field": None}
    _stored_nothing(app, before)
    access = (provisioning_server.dir / "access.log").read_text()
    assert "softphone" not in access  # the handshake failed: no request was made at all


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "document"),
        (
            b'{"version": 1, "account": {"server": "127.0.0.1", "transport": "carrier pigeon"}}',
            "account.transport",
        ),
        (b'{"version": 1, "x": ' + b"[" * 50 + b"]" * 50 + b"}", "document"),
    ],
)
def test_a_malformed_document_is_refused_with_its_field(
    *,
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    field: str,
) -> None:
    provisioning_server.add_user(EMAIL, PASSWORD, None)
    provisioning_server.put_raw(EMAIL, body)
    provisioning_server.trust_in(app.trust)
    monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", provisioning_server.url)
    before = _keyring()
    reply = ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)
    assert reply == {"ok": False, "error": "provisioning_invalid", "field": field}
    _stored_nothing(app, before)


class _LockedKeyring(keyring.backend.KeyringBackend):
    """A keyring that exists but refuses every write (a locked or broken store)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("locked")


@pytest.fixture
def no_keyring(request: pytest.FixtureRequest) -> Iterator[None]:
    """keyring's fail backend (no system keyring), or a locked one; the test keyring after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(request.param())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize("no_keyring", [fail.Keyring, _LockedKeyring], indirect=True)
@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_the_sign_in_says_the_password_was_not_saved(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = _sign_in_provisioned(app, ui, kamailio, provisioning_server, monkeypatch)
    assert reply == {"ok": True, "result": {"method": "provisioning", "password_saved": False}}
    assert app.accounts.registration.state.value == "registered"
    # The passwords live in memory until exit: a re-fetch in this session still works.
    reply = ui.command("account.refresh_provisioning", timeout=30)
    assert reply == {"ok": True, "result": {"changed": False, "reregistered": False}}


def test_settings_the_document_locks_are_refused_and_named(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = {**_document(kamailio), "locked": ["account", "blf_users"]}
    reply = _sign_in_provisioned(
        app, ui, kamailio, provisioning_server, monkeypatch, document=document
    )
    assert reply["ok"], reply
    moved = ui.command(
        "account.setup", server="127.0.0.1:5999", user="1001", password="x", timeout=10
    )
    assert moved == {"ok": False, "error": "setting_locked", "field": "account"}
    panel = ui.command("settings.update", blf_users=[{"extension": "1003", "name": ""}])
    assert panel == {"ok": False, "error": "setting_locked", "field": "blf_users"}
    settings = app.settings.settings
    assert settings.account is not None and settings.account.server.endswith(f":{kamailio.port}")
    assert [u.extension for u in settings.blf_users] == ["1002"]
    assert ui.command("settings.update", theme="dark")["ok"]  # what is not locked still changes
    assert app.accounts.registration.state.value == "registered"


def test_the_directory_the_document_points_at_is_synced_after_sign_in(
    *,
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A real CardDAV server (Radicale) named by the document with its own credentials: after
    # the sign-in its entries are searchable with no other step.
    radicale = Radicale(tmp_path / "radicale")
    radicale.seed(
        {"dora": vcard(Person("dora", "Dora", "Lindqvist", "+41 79 123 45 67", "", "1004"))}
    )
    radicale.start()
    try:
        carddav = {"url": radicale.url, "user": DAV_USER, "password": DAV_PASSWORD}
        document = {**_document(kamailio), "directory": {"carddav": carddav}}
        reply = _sign_in_provisioned(
            app, ui, kamailio, provisioning_server, monkeypatch, document=document
        )
        assert reply["ok"], reply

        def found() -> list[tuple[str, str]]:
            result = ui.command("directory.search", query="Lindqvist")["result"]
            return [(c["name"], c["source"]) for c in result["contacts"]]

        until(lambda: bool(found()), timeout=15, what="the CardDAV entry in the directory")
        assert found() == [("Dora Lindqvist", "carddav")]
        assert app.secrets.get(DIRECTORY_SECRET_KEYS[ContactSource.CARDDAV]) == DAV_PASSWORD
    finally:
        radicale.stop()
