"""Export logs: the support zip holds the real logs, and no planted password, token or digest."""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration

SIP_PASSWORD = "Pl4nted-S1p-Passw0rd"
LDAP_PASSWORD = "Pl4nted-Ld4p-Passw0rd"
OLD_NONCE = "8c1f3a0e5d"
OLD_RESPONSE = "0a4f113eab94e9e8c0aa0d9b1f0e7c11"


def _get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        assert response.headers["Content-Disposition"].startswith("attachment;")
        body: bytes = response.read()
        return body


def test_exported_zip_has_the_logs_but_no_secret(kamailio: Kamailio, tmp_path: Path) -> None:
    kamailio.set_password("1006", SIP_PASSWORD)
    with running_app(tmp_path / "app", log_level=5) as app:  # level 5: every SIP message
        app.secrets.set("directory.ldap", LDAP_PASSWORD)  # a second keyring secret
        ui = UiClient(app)
        try:
            assert sign_in(ui, kamailio.port, "1006", SIP_PASSWORD)["ok"]
            # What careless code might log: the page URL with its token, a password.
            logging.getLogger("softphone.test").warning(
                "opened %s with %s / %s", app.url, SIP_PASSWORD, LDAP_PASSWORD
            )
            # A rotated engine log (engine.log.1) goes into the export too, redacted.
            rotated = tmp_path / "app" / "engine.log.1"
            # Written by an older version, which logged digest credentials as they were.
            rotated.write_text(
                f"older engine lines; password {SIP_PASSWORD}\n"
                f'Authorization: Digest username="1006", nonce="{OLD_NONCE}", '
                f'response="{OLD_RESPONSE}"\n'
            )
            reply = ui.command("logs.export")
            assert reply["ok"], reply
            result = reply["result"]
            assert re.fullmatch(r"softphone-logs-\d{8}-\d{6}\.zip", result["filename"])
            data = _get(app.web.port, result["url"])
            with pytest.raises(urllib.error.HTTPError) as again:  # the link works once
                _get(app.web.port, result["url"])
            assert again.value.code == 404
            token = app.web.token
        finally:
            ui.close()
        engine_log = (tmp_path / "app" / "engine.log").read_text(errors="replace")

    # The engine log is masked as it is written (no digest values on disk at all); the old
    # rotated copy still holds some: the export has something to remove.
    assert "REGISTER sip:" in engine_log and "Authorization: <redacted>" in engine_log
    nonces = {OLD_NONCE, *re.findall(r'nonce="([^"]+)"', engine_log)} - {"<redacted>"}
    responses = {OLD_RESPONSE, *re.findall(r'response="([^"]+)"', engine_log)} - {"<redacted>"}
    assert nonces == {OLD_NONCE} and responses == {OLD_RESPONSE}

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        texts = {name: archive.read(name).decode() for name in names}
    assert {"settings.json", "system.txt", "logs/softphone.log", "logs/engine.log"} <= set(names)
    assert "REGISTER sip:" in texts["logs/engine.log"]  # the SIP trace is there, redacted
    assert "Authorization: <redacted>" in texts["logs/engine.log"]
    assert "older engine lines" in texts["logs/engine.log.1"]
    assert "opened http://127.0.0.1" in texts["logs/softphone.log"]
    assert json.loads(texts["settings.json"])["account"]["user"] == "1006"
    assert "softphone:" in texts["system.txt"]
    everything = "\n".join(texts.values())
    for secret in (SIP_PASSWORD, LDAP_PASSWORD, token, *nonces, *responses):
        assert secret not in everything, f"{secret!r} leaked into the export"


def test_logs_switch_turns_the_app_log_file_off_and_on(app: SoftphoneApp) -> None:
    log_file = app.desktop.app_log.path
    probe = logging.getLogger("softphone.test")
    ui = UiClient(app)
    try:
        assert ui.command("settings.update", logs=False)["ok"]
        probe.warning("written while off")
        assert ui.command("settings.update", logs=True)["ok"]
        probe.warning("written while on")
        saved = json.loads(app.settings.path.read_text())
    finally:
        ui.close()
    text = log_file.read_text()
    assert "written while on" in text and "written while off" not in text
    assert saved["logs"] is True
