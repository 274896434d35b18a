"""Re-provisioning against real servers: nginx serves a changed document between two
fetches (colleague added/removed, server moved to a second Kamailio), answers 304 to an
unchanged one, and is stopped (the last good copy stays, said quietly)."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dirservers.fixtures import ENTRIES
from dirservers.radicale import PASSWORD as DAV_PASSWORD
from dirservers.radicale import USER as DAV_USER
from dirservers.radicale import Radicale
from pbx.kamailio import Kamailio
from provisioning.servers import ProvisioningServer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration

EMAIL = "alice@demo.test"
PASSWORD = "alice-sign-in-pw"


@pytest.fixture
def provisioning_server(tmp_path: Path) -> Iterator[ProvisioningServer]:
    server = ProvisioningServer(tmp_path / "nginx").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def no_start_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The explicit Refresh only: the start-time fetch would race with the test's steps."""
    monkeypatch.setattr("softphone.provisioning.refresh.START_DELAY", 3600.0)


@pytest.fixture
def second_kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    """Where the document moves the account to."""
    pbx = Kamailio(work_dir=tmp_path / "kamailio2")
    try:
        pbx.start()
        yield pbx
    finally:
        pbx.stop()


def _document(kamailio: Kamailio) -> dict[str, Any]:
    return {
        "version": 1,
        "account": {"server": f"127.0.0.1:{kamailio.port}", "user": "1001", "password": "pw1001"},
        "colleagues": [{"extension": "1002", "name": "Bob Meier"}, {"extension": "1003"}],
        "panel": ["1002", "1003"],
        "refresh_minutes": 60,
    }


def _sign_in(
    app: SoftphoneApp,
    ui: UiClient,
    server: ProvisioningServer,
    kamailio: Kamailio,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    document = _document(kamailio)
    server.add_user(EMAIL, PASSWORD, document)
    server.trust_in(app.trust)
    monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", server.url)
    reply = ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)
    assert reply["ok"] and reply["result"]["method"] == "provisioning", reply
    return document


def _colleagues(ui: UiClient) -> list[str]:
    users = ui.command("directory.colleagues")["result"]["users"]
    return [u["extension"] for u in users]


def _requests(server: ProvisioningServer) -> list[str]:
    """The status codes nginx logged for the user's document, in order."""
    lines = (server.dir / "access.log").read_text().splitlines()
    return [line.split('" ')[1].split()[0] for line in lines if "/softphone/alice" in line]


@pytest.mark.usefixtures("no_start_fetch")
def test_a_changed_document_applies_live_and_an_unchanged_one_costs_a_304(
    tmp_path: Path,
    kamailio: Kamailio,
    second_kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            document = _sign_in(app, ui, provisioning_server, kamailio, monkeypatch)
            assert _colleagues(ui)[:2] == ["1002", "1003"]
            assert [u.extension for u in app.settings.settings.blf_users] == ["1002", "1003"]

            changed = copy.deepcopy(document)
            changed["colleagues"] = [
                {"extension": "1002", "name": "Bob Meier"},
                {"extension": "1004", "name": "Dora Keller"},
            ]
            changed["panel"] = ["1002"]
            changed["account"]["server"] = f"127.0.0.1:{second_kamailio.port}"
            time.sleep(1.1)  # nginx's ETag holds the mtime in seconds
            provisioning_server.add_user(EMAIL, PASSWORD, changed)
            mark = ui.mark()
            reply = ui.command("account.refresh_provisioning", timeout=30)
            assert reply == {"ok": True, "result": {"changed": True, "reregistered": True}}

            # A new colleague appears in the picker, a removed one disappears (panel too).
            offered = _colleagues(ui)
            assert offered[:2] == ["1002", "1004"] and "1003" not in offered
            assert [u.extension for u in app.settings.settings.blf_users] == ["1002"]
            # The moved server: registered there, the account saved with it.
            account = app.settings.settings.account
            assert account is not None and account.server == f"127.0.0.1:{second_kamailio.port}"
            assert app.accounts.registration.state.value == "registered"
            assert second_kamailio.bindings("1001")
            status = ui.wait_for(lambda e: e.get("type") == "provisioning_status", start=mark)
            assert status["error"] is None and status["fetched_at"] > 0

            # Unchanged: If-None-Match answered 304, nothing re-registered.
            reply = ui.command("account.refresh_provisioning", timeout=30)
            assert reply == {"ok": True, "result": {"changed": False, "reregistered": False}}
            assert _requests(provisioning_server) == ["200", "200", "304"]
            assert app.settings.settings.account == account
        finally:
            ui.close()


@pytest.mark.usefixtures("no_start_fetch")
def test_an_unreachable_server_keeps_the_last_good_copy_and_says_so_quietly(
    tmp_path: Path,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            _sign_in(app, ui, provisioning_server, kamailio, monkeypatch)
            before = app.settings.settings
            provisioning_server.stop()
            mark = ui.mark()
            reply = ui.command("account.refresh_provisioning", timeout=30)
            assert reply == {"ok": False, "error": "provisioning_unreachable", "field": None}
            event = ui.wait_for(lambda e: e.get("type") == "provisioning_status", start=mark)
            assert event["error"] == "provisioning_unreachable" and event["fetched_at"] > 0
            assert app.settings.settings == before
            assert _colleagues(ui)[:2] == ["1002", "1003"]
            assert app.accounts.registration.state.value == "registered"
            status = ui.command("account.provisioning_status")["result"]
            assert status == {
                "provisioned": True,
                "email": EMAIL,
                "fetched_at": event["fetched_at"],
                "error": "provisioning_unreachable",
            }
        finally:
            ui.close()


def test_the_document_is_fetched_again_at_start(
    tmp_path: Path,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            document = _sign_in(app, ui, provisioning_server, kamailio, monkeypatch)
        finally:
            ui.close()
    document["colleagues"].append({"extension": "1005", "name": "Eve Roth"})
    time.sleep(1.1)  # a new ETag
    provisioning_server.add_user(EMAIL, PASSWORD, document)
    with running_app(tmp_path / "app") as app:  # the same data dir: a second start
        ui = UiClient(app)
        try:
            deadline = time.monotonic() + 20
            while "1005" not in _colleagues(ui):
                assert time.monotonic() < deadline, _colleagues(ui)
                time.sleep(0.2)
            assert _requests(provisioning_server)[-1] == "200"
        finally:
            ui.close()


def test_a_corrupt_settings_file_is_moved_aside_said_and_the_account_reprovisioned(
    tmp_path: Path,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            _sign_in(app, ui, provisioning_server, kamailio, monkeypatch)
            assert ui.command("settings.recovered_from")["result"] == {
                "path": None,
                "reprovisioned": False,
            }
            settings_file = app.options.paths.settings_file
        finally:
            ui.close()
    settings_file.write_text('{"account": {"server": ')  # cut off mid-write
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            deadline = time.monotonic() + 20
            while app.accounts.registration.state.value != "registered":
                assert time.monotonic() < deadline, app.accounts.registration
                time.sleep(0.2)
            account = app.settings.settings.account
            assert account is not None and account.server == f"127.0.0.1:{kamailio.port}"
            assert [u.extension for u in app.settings.settings.blf_users] == ["1002", "1003"]
            result = ui.command("settings.recovered_from")["result"]
            assert result["reprovisioned"] is True
            saved = Path(result["path"])
            assert saved.parent == settings_file.parent and saved.name.startswith(
                "settings.json.corrupt-"
            )
            assert saved.read_text() == '{"account": {"server": '
        finally:
            ui.close()


def _found(ui: UiClient, query: str) -> list[tuple[str, str]]:
    """(name, source) of what the directory tab's search shows for `query`."""
    reply = ui.command("directory.search", query=query)
    assert reply["ok"], reply
    return [(c["name"], c["source"]) for c in reply["result"]["contacts"]]


@pytest.mark.usefixtures("no_start_fetch")
def test_the_inline_directory_follows_the_document(
    tmp_path: Path,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`directory.contacts` is searchable like a synced directory (by name and by number),
    read-only, and after a refresh holds exactly the new document's entries."""
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            document = _document(kamailio)
            document["directory"] = {
                "contacts": [
                    {"name": "Reception", "numbers": ["+41 44 123 45 67"], "extension": "200"},
                    {"name": "Helpdesk", "numbers": ["+41 44 123 45 99"]},
                ]
            }
            provisioning_server.add_user(EMAIL, PASSWORD, document)
            provisioning_server.trust_in(app.trust)
            monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", provisioning_server.url)
            reply = ui.command("account.sign_in", email=EMAIL, password=PASSWORD, timeout=30)
            assert reply["ok"] and reply["result"]["method"] == "provisioning", reply

            assert _found(ui, "recep") == [("Reception", "provisioned")]
            assert _found(ui, "044 123 45 99") == [("Helpdesk", "provisioned")]
            assert _found(ui, "200") == [("Reception", "provisioned")]
            (helpdesk,) = ui.command("directory.search", query="helpdesk")["result"]["contacts"]
            refused = ui.command("contacts.delete", id=helpdesk["id"])
            assert not refused["ok"] and refused["error"] == "contact_not_found"
            statuses = ui.command("directory.status")["result"]["sources"]
            provisioned = next(s for s in statuses if s["source"] == "provisioned")
            assert provisioned["configured"] and provisioned["count"] == 2

            changed = copy.deepcopy(document)
            changed["directory"]["contacts"] = [
                {"name": "Front desk", "numbers": ["+41 44 123 45 67"], "extension": "200"},
                {"name": "Canteen", "numbers": ["+41 44 123 45 11"]},
            ]
            time.sleep(1.1)  # nginx's ETag holds the mtime in seconds
            provisioning_server.add_user(EMAIL, PASSWORD, changed)
            reply = ui.command("account.refresh_provisioning", timeout=30)
            assert reply == {"ok": True, "result": {"changed": True, "reregistered": False}}
            assert _found(ui, "helpdesk") == [] and _found(ui, "recep") == []
            assert _found(ui, "front") == [("Front desk", "provisioned")]
            assert _found(ui, "cant") == [("Canteen", "provisioned")]

            # The key removed: the administrator took the inline directory away.
            del changed["directory"]
            time.sleep(1.1)
            provisioning_server.add_user(EMAIL, PASSWORD, changed)
            reply = ui.command("account.refresh_provisioning", timeout=30)
            assert reply == {"ok": True, "result": {"changed": True, "reregistered": False}}
            assert _found(ui, "front") == [] and _found(ui, "cant") == []
        finally:
            ui.close()


def _carddav(ui: UiClient) -> dict[str, Any]:
    statuses = ui.command("directory.status")["result"]["sources"]
    status: dict[str, Any] = next(s for s in statuses if s["source"] == "carddav")
    return status


@pytest.mark.usefixtures("no_start_fetch")
def test_a_new_directory_password_in_the_document_syncs_the_directory_at_once(
    tmp_path: Path,
    kamailio: Kamailio,
    provisioning_server: ProvisioningServer,
    radicale: Radicale,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same CardDAV server with another password changes no setting: the directory used to
    wait for its next period (an hour) with auth_failed; so did a restart without a keyring
    (the password comes back with the document at the e-mail sign-in)."""
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            document = _sign_in(app, ui, provisioning_server, kamailio, monkeypatch)
            carddav = {"url": radicale.url, "user": DAV_USER, "password": "outdated"}
            document["directory"] = {"carddav": carddav}
            time.sleep(1.1)  # nginx's ETag holds the mtime in seconds
            provisioning_server.add_user(EMAIL, PASSWORD, document)
            assert ui.command("account.refresh_provisioning", timeout=30)["ok"]
            deadline = time.monotonic() + 20
            while _carddav(ui)["error"] != "auth_failed":
                assert time.monotonic() < deadline, _carddav(ui)
                time.sleep(0.2)

            carddav["password"] = DAV_PASSWORD
            time.sleep(1.1)
            provisioning_server.add_user(EMAIL, PASSWORD, document)
            assert ui.command("account.refresh_provisioning", timeout=30)["ok"]
            deadline = time.monotonic() + 20
            while (status := _carddav(ui))["count"] < ENTRIES or status["error"] is not None:
                assert time.monotonic() < deadline, status
                time.sleep(0.2)
        finally:
            ui.close()
