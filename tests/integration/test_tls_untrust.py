"""Removing a trusted PBX certificate: the next TLS sign-in is verified again, and refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbx.kamailio import Kamailio
from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration


def test_untrusting_refuses_the_next_sign_in_even_with_a_connection_open(
    tmp_path: Path, kamailio: Kamailio
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            server = f"127.0.0.1:{kamailio.tls_port}"
            sha = ui.command("account.server_certificate", server=server)["result"]["sha256"]
            account = {
                "server": server,
                "user": "1001",
                "password": kamailio.users["1001"],
                "transport": "tls",
            }
            # Twice: the second round runs on the listener the first untrust made.
            for _round in range(2):
                trusted = ui.command("account.trust_certificate", server=server, sha256=sha)
                assert trusted["ok"], trusted
                listed = ui.command("account.trusted_certificates", server=server)
                assert [c["sha256"] for c in listed["result"]["certificates"]] == [sha]
                assert ui.command("account.setup", **account) == {"ok": True, "result": {}}
                # Registered: a verified TLS connection to the PBX is open now. Without a new
                # one the next sign-in would go through it unverified (seen).
                removed = ui.command("account.untrust_certificate", server=server, sha256=sha)
                assert removed == {"ok": True, "result": {}}
                listed = ui.command("account.trusted_certificates", server=server)
                assert listed["result"]["certificates"] == []
                refused = ui.command("account.setup", **account)
                assert refused["ok"] is False and refused["error"] == "tls_untrusted", refused
            again = ui.command("account.untrust_certificate", server=server, sha256=sha)
            assert again["ok"] is False and again["error"] == "invalid_argument"
        finally:
            ui.close()
