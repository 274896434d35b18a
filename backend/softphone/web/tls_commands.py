"""Wire commands for TLS trust (show, trust, list, remove PBX certificates) and SRTP."""

from __future__ import annotations

from collections.abc import Callable

from softphone.domain.account import SrtpMode
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings.trust import TrustStore
from softphone.web.wire import Wire, arg_str, certificate

CommandHandler = Callable[[Wire], Wire | None]


def srtp_mode(args: Wire) -> SrtpMode:
    """`srtp` of account.setup: off (default), optional or mandatory."""
    text = arg_str(args, "srtp", required=False, max_len=16) or SrtpMode.OFF.value
    try:
        return SrtpMode(text.lower())
    except ValueError as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "srtp") from exc


def tls_commands(trust: TrustStore) -> dict[str, CommandHandler]:
    """account.server_certificate, account.trust_certificate, account.trusted_certificates and
    account.untrust_certificate (see wire.py)."""

    def server_certificate(args: Wire) -> Wire:
        server = arg_str(args, "server", max_len=260).strip()
        _pem, info = trust.inspect(server)
        return certificate(server, info, trust.is_trusted(server, info.sha256))

    def trust_certificate(args: Wire) -> Wire:
        server = arg_str(args, "server", max_len=260).strip()
        info = trust.trust(server, arg_str(args, "sha256", max_len=128))
        return certificate(server, info, True)

    def trusted_certificates(args: Wire) -> Wire:
        server = arg_str(args, "server", max_len=260).strip()
        infos = trust.trusted_certificates(server)
        return {"certificates": [certificate(server, info, True) for info in infos]}

    def untrust_certificate(args: Wire) -> Wire:
        server = arg_str(args, "server", max_len=260).strip()
        trust.untrust(server, arg_str(args, "sha256", max_len=128))
        return {}

    return {
        "account.server_certificate": server_certificate,
        "account.trust_certificate": trust_certificate,
        "account.trusted_certificates": trusted_certificates,
        "account.untrust_certificate": untrust_certificate,
    }
