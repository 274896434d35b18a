"""Log and settings redaction: no password, token, digest credential or TURN secret survives."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from softphone.diagnostics.export import ExportSources, build_archive
from softphone.diagnostics.redact import MASK, redact_credentials, redact_settings, redact_text

SIP_REGISTER = (
    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bKPj1\r\n"
    'Authorization: Digest username="1001", realm="pbx", nonce="ZzYxNjAwMDAwMDpub25jZQ", '
    'uri="sip:127.0.0.1", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, '
    'cnonce="0a4f113b", qop=auth, nc=00000001\r\n'
    'Proxy-Authorization: Digest username="1001", nonce="abc123", response="ffee00"\r\n'
    "Content-Length:  0\r\n"
)
CHALLENGE = 'SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm="pbx", nonce="Yz9x"\r\n'


def test_digest_headers_and_their_values_are_removed() -> None:
    out = redact_text(SIP_REGISTER + CHALLENGE)
    for value in ("ZzYxNjAwMDAwMDpub25jZQ", "6629fae49393a05397450978507c4ef1", "0a4f113b"):
        assert value not in out
    assert "abc123" not in out and "ffee00" not in out and "Yz9x" not in out
    assert f"Authorization: {MASK}" in out and f"Proxy-Authorization: {MASK}" in out
    assert "Via: SIP/2.0/UDP 127.0.0.1:5070" in out  # the rest stays readable


def test_a_digest_parameter_quoted_elsewhere_is_removed() -> None:
    out = redact_text('challenge was nonce="n0nce-v4lue", then response=deadbeef01')
    assert "n0nce-v4lue" not in out and "deadbeef01" not in out


def test_srtp_keys_in_sdp_are_removed_from_logs_and_exports() -> None:
    key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    line = f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^20|1:32"
    for redact in (redact_credentials, redact_text):
        masked = redact(line)
        assert key not in masked
        assert masked == f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{MASK}|2^20|1:32"


def test_known_secrets_are_removed_wherever_they_appear() -> None:
    out = redact_text("user typed Hunter2-Secret in the display name", ["Hunter2-Secret"])
    assert "Hunter2-Secret" not in out and MASK in out


def test_tokens_passwords_and_turn_credentials_in_text_are_removed() -> None:
    text = (
        "Open http://127.0.0.1:5000/#token=AbCdEf123456\n"
        "turn: turn:alice:TurnPw99@turn.example.com:3478 turn_password=TurnPw99\n"
        "ldap://cn=admin:LdapPw77@ldap.example.com\n"
        "sip:1001:SipPw55@pbx.example.com\n"
        "password: pw1001 credential=Cred88 api_key=Key77\n"
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload\n"
    )
    out = redact_text(text)
    for secret in ("AbCdEf123456", "TurnPw99", "LdapPw77", "SipPw55", "pw1001", "Cred88", "Key77"):
        assert secret not in out, secret
    assert "eyJhbGciOiJIUzI1NiJ9" not in out
    assert "turn.example.com:3478" in out and "pbx.example.com" in out


def test_settings_keep_their_shape_with_secret_fields_masked() -> None:
    data = {
        "account": {"server": "pbx.example.com", "user": "1001"},
        "nat": {"turn": {"url": "turn:turn.example.com", "user": "u", "password": "TurnPw"}},
        "directory": {"carddav": {"url": "https://bob:DavPw@dav.example.com/", "user": "bob"}},
        "token": "tok",
        "empty_password": "",
    }
    out = redact_settings(data)
    assert out["account"] == data["account"]
    assert out["nat"]["turn"]["password"] == MASK and out["token"] == MASK
    assert "DavPw" not in json.dumps(out)
    assert out["empty_password"] == ""  # nothing to hide: support sees it was not set


def test_the_archive_holds_redacted_logs_settings_and_system_facts(tmp_path: Path) -> None:
    log_file = tmp_path / "engine.log"
    log_file.write_text(SIP_REGISTER + "secret in text: Planted-42\n")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"language": "fr", "turn_password": "Planted-42"}))
    data = build_archive(
        ExportSources([log_file], settings, secrets=["Planted-42"], info={"softphone": "9"})
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert names == {"logs/engine.log", "settings.json", "system.txt"}
        blob = b"".join(archive.read(n) for n in names)
        assert json.loads(archive.read("settings.json"))["language"] == "fr"
        assert b"softphone: 9" in archive.read("system.txt")
    assert b"Planted-42" not in blob and b"6629fae49393a05397450978507c4ef1" not in blob
    assert b"REGISTER sip:127.0.0.1" in blob
