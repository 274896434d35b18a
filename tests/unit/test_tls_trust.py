"""Trusted PBX certificates, the CA bundle, and the TLS/SRTP settings of an account."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pbx.certs import write_self_signed
from softphone.domain.account import AccountConfig, SrtpMode, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings import schema
from softphone.settings.trust import CertificateInfo, TrustStore, tls_address


class TlsServer:
    """A loopback TLS listener presenting a self-signed certificate (one handshake per accept)."""

    def __init__(self, tmp: Path, name: str = "127.0.0.1") -> None:
        self.cert, key = tmp / f"{name}-cert.pem", tmp / f"{name}-key.pem"
        write_self_signed(self.cert, key, [name])
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    server = TlsServer(tmp_path)
    yield server
    server.close()


@pytest.fixture
def system_cas(tmp_path: Path) -> Path:
    path = tmp_path / "system.pem"
    write_self_signed(path, tmp_path / "system-key.pem", ["ca.example"])
    return path


def test_the_bundle_holds_the_system_cas_and_only_the_accounts_trusted_certificate(
    tmp_path: Path, tls_server: TlsServer, system_cas: Path
) -> None:
    store = TrustStore(tmp_path / "tls", system_cas=str(system_cas))
    account = AccountConfig(server=tls_server.server, user="1001", transport=Transport.TLS)
    store.prepare(account)
    assert store.bundle_path.read_text() == system_cas.read_text()
    _pem, info = store.inspect(tls_server.server)
    assert info.subject == "CN=127.0.0.1" and info.self_signed
    assert not store.is_trusted(tls_server.server, info.sha256)

    store.trust(tls_server.server, info.sha256.lower())  # as typed: case does not matter
    bundle = store.bundle_path.read_text()
    assert system_cas.read_text() in bundle and tls_server.cert.read_text() in bundle
    assert store.is_trusted(tls_server.server, info.sha256)
    # Trusting twice keeps one copy.
    store.trust(tls_server.server, info.sha256)
    assert len(store.trusted(tls_server.server)) == 1
    # Another account server does not get this certificate in its bundle.
    store.prepare(AccountConfig(server="pbx.example:5061", user="1001", transport=Transport.TLS))
    assert store.bundle_path.read_text() == system_cas.read_text()


def test_a_trusted_certificate_is_listed_and_removed_from_the_file_and_the_bundle(
    tmp_path: Path, tls_server: TlsServer, system_cas: Path
) -> None:
    store = TrustStore(tmp_path / "tls", system_cas=str(system_cas))
    store.prepare(AccountConfig(server=tls_server.server, user="1001", transport=Transport.TLS))
    assert store.trusted_certificates(tls_server.server) == []
    _pem, info = store.inspect(tls_server.server)
    store.trust(tls_server.server, info.sha256)
    [listed] = store.trusted_certificates(tls_server.server)
    assert listed == info  # subject, SHA-256 and expiry as shown before trusting
    with pytest.raises(SoftphoneError) as unknown:
        store.untrust(tls_server.server, "AA:" * 31 + "AA")
    assert unknown.value.key is ErrorKey.INVALID_ARGUMENT and unknown.value.field == "sha256"

    store.untrust(tls_server.server, info.sha256.lower())
    assert store.trusted_certificates(tls_server.server) == []
    assert not store.is_trusted(tls_server.server, info.sha256)
    assert store.bundle_path.read_text() == system_cas.read_text()
    assert not list((tmp_path / "tls" / "trusted").iterdir())  # no empty file left behind


def test_trusting_refuses_a_certificate_other_than_the_one_shown(
    tmp_path: Path, tls_server: TlsServer
) -> None:
    store = TrustStore(tmp_path / "tls", system_cas="")
    with pytest.raises(SoftphoneError) as refused:
        store.trust(tls_server.server, "AA:" * 31 + "AA")
    assert refused.value.key is ErrorKey.CERTIFICATE_CHANGED
    assert store.trusted(tls_server.server) == []


def test_unreachable_or_invalid_servers_give_error_keys(tmp_path: Path) -> None:
    store = TrustStore(tmp_path / "tls", system_cas="")
    with pytest.raises(SoftphoneError) as bad:
        store.inspect("no spaces allowed:5061")
    assert bad.value.key is ErrorKey.INVALID_ARGUMENT and bad.value.field == "server"
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(SoftphoneError) as down:
        store.inspect(f"127.0.0.1:{port}")
    assert down.value.key is ErrorKey.SERVER_UNREACHABLE


def test_tls_address_defaults_to_5061() -> None:
    assert tls_address("pbx.example") == ("pbx.example", 5061)
    assert tls_address("[::1]:5071") == ("::1", 5071)


def test_certificate_info_reads_subject_and_fingerprint(tmp_path: Path) -> None:
    write_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", ["pbx.example", "10.0.0.1"])
    info = CertificateInfo.from_pem((tmp_path / "c.pem").read_text(), "pbx.example")
    assert info.subject == "CN=pbx.example" and info.issuer == info.subject
    assert len(info.sha256.split(":")) == 32 and info.sha256 == info.sha256.upper()
    assert info.name_matches


def test_mandatory_srtp_requires_tls_and_the_mode_survives_the_settings_file() -> None:
    with pytest.raises(SoftphoneError) as refused:
        AccountConfig(server="pbx.example", user="1001", srtp=SrtpMode.MANDATORY)
    assert refused.value.key is ErrorKey.SRTP_NEEDS_TLS and refused.value.field == "srtp"
    account = AccountConfig(
        server="pbx.example", user="1001", transport=Transport.TLS, srtp=SrtpMode.MANDATORY
    )
    on_disk = json.loads(json.dumps(schema.to_json(schema.Settings(account=account))))
    assert on_disk["account"]["srtp"] == "mandatory"
    assert schema.from_json(on_disk).account == account
    legacy = json.loads(json.dumps(schema.to_json(schema.Settings(account=account))))
    del legacy["account"]["srtp"]  # files written before SRTP existed
    loaded = schema.from_json(legacy).account
    assert loaded is not None and loaded.srtp is SrtpMode.OFF


def test_a_certificate_for_another_name_is_shown_but_cannot_be_trusted(tmp_path: Path) -> None:
    server = TlsServer(tmp_path, name="pbx.example")  # served on 127.0.0.1
    try:
        store = TrustStore(tmp_path / "tls", system_cas="")
        _pem, info = store.inspect(server.server)
        assert info.subject == "CN=pbx.example" and info.name_matches is False
        with pytest.raises(SoftphoneError) as refused:
            store.trust(server.server, info.sha256)
        assert refused.value.key is ErrorKey.TLS_NAME_MISMATCH
        assert store.trusted(server.server) == []
    finally:
        server.close()


@pytest.mark.parametrize(
    ("names", "host", "matches"),
    [
        (["pbx.example"], "PBX.example", True),
        (["*.example"], "pbx.example", True),
        (["*.example"], "a.pbx.example", False),
        (["pbx.example", "10.0.0.1"], "10.0.0.1", True),
        (["pbx.example"], "10.0.0.1", False),
    ],
)
def test_name_matching_follows_the_subject_alt_names(
    tmp_path: Path, names: list[str], host: str, matches: bool
) -> None:
    write_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", names)
    assert CertificateInfo.from_pem((tmp_path / "c.pem").read_text(), host).name_matches is matches
