"""Wire command directory.test: try a CardDAV or LDAP source as typed, before saving it."""

from __future__ import annotations

from collections.abc import Callable

from softphone.directory.probe import probe_carddav, probe_ldap
from softphone.directory.service import Directory
from softphone.domain.directory import ContactSource
from softphone.domain.directory_sources import sources_from_json
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS, SecretStore
from softphone.web.wire import Wire, arg_str


def directory_test_commands(
    directory: Directory, secrets: SecretStore
) -> dict[str, Callable[[Wire], Wire | None]]:
    """directory.test {source: carddav|ldap, carddav?|ldap?: config, password?} -> {entries}.

    Nothing is saved. Without `password` the saved one is used (the form shows it as kept).
    Errors are the sync's keys: auth_failed, server_unreachable, timeout, tls_failed,
    directory_bad_response, invalid_argument (+ field).
    """

    def test(args: Wire) -> Wire:
        if set(args) - {"source", "carddav", "ldap", "password"}:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
        try:
            source = ContactSource(arg_str(args, "source", max_len=16))
        except ValueError as exc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "source") from exc
        if source not in DIRECTORY_SECRET_KEYS:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "source")
        config = sources_from_json({source.value: args.get(source.value)})
        password = arg_str(args, "password", required=False, max_len=256)
        password = password or secrets.get(DIRECTORY_SECRET_KEYS[source]) or ""
        if source is ContactSource.CARDDAV and config.carddav is not None:
            return {"entries": probe_carddav(config.carddav, password, directory.store)}
        if source is ContactSource.LDAP and config.ldap is not None:
            return {"entries": probe_ldap(config.ldap, password, directory.store)}
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, source.value)

    return {"directory.test": test}
