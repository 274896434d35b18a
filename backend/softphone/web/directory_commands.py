"""Wire commands of the directory and personal contacts (directory.*, contacts.*)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softphone.directory.importexport import MAX_IMPORT_BYTES, ImportFormat
from softphone.directory.numbers import is_numberish
from softphone.directory.service import Directory
from softphone.directory.store import MAX_RESULTS
from softphone.directory.vcard import BadCardError
from softphone.domain.directory import LABELS, Contact, ContactNumber, ContactSource
from softphone.domain.directory_sources import sources_from_json
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS, SecretStore
from softphone.settings.store import SettingsStore
from softphone.web import wire
from softphone.web.wire import Wire, arg_str

_CONTACT_FIELDS = {"given", "family", "display", "org", "email", "numbers"}
# Reasons that refuse a whole import file, and their wire error.
_WHOLE_FILE_ERRORS = {"too_large": ErrorKey.TOO_LARGE, "bad_encoding": ErrorKey.BAD_ENCODING}


def _limit(args: Wire, default: int = 50) -> int:
    limit = args.get("limit", default)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "limit")
    return limit


def _format(args: Wire) -> ImportFormat:
    try:
        return ImportFormat(str(args.get("format")))
    except ValueError as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "format") from exc


def contact_from_args(args: Wire) -> Contact:
    """A personal contact from a create/update form; uid and id are set by the service."""
    if set(args) - _CONTACT_FIELDS - {"id"}:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
    raw_numbers = args.get("numbers", [])
    if not isinstance(raw_numbers, list):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "numbers")
    numbers: list[ContactNumber] = []
    for item in raw_numbers:
        if not isinstance(item, dict):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "numbers")
        label = arg_str(item, "label", max_len=16)
        if label not in LABELS:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "label")
        number = arg_str(item, "number", max_len=64).strip()
        if not is_numberish(number):
            raise SoftphoneError(ErrorKey.INVALID_NUMBER, "number")
        numbers.append(ContactNumber(label, number))
    text = {
        name: arg_str(args, name, required=False, max_len=200).strip()
        for name in ("given", "family", "display", "org", "email")
    }
    return Contact(
        ContactSource.PERSONAL,
        "new",
        given=text["given"],
        family=text["family"],
        display=text["display"],
        org=text["org"],
        email=text["email"],
        numbers=tuple(numbers),
    )


def _contact_id(args: Wire) -> int:
    value = args.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "id")
    return value


def directory_commands(
    directory: Directory, settings: SettingsStore, secrets: SecretStore, publish: Any
) -> dict[str, Callable[[Wire], Wire | None]]:
    """Handlers to merge into the CommandTable; `publish` puts an event on the bus."""

    def order() -> Any:
        return settings.settings.directory_order

    def search(args: Wire) -> Wire:
        if set(args) - {"query", "limit"}:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
        query = arg_str(args, "query", required=False, max_len=100)
        found = directory.search(query, _limit(args))
        return {"query": query, "contacts": [wire.contact(c, order()) for c in found]}

    def create(args: Wire) -> Wire:
        return {"contact": wire.contact(directory.create(contact_from_args(args)), order())}

    def update(args: Wire) -> Wire:
        contact = directory.update(_contact_id(args), contact_from_args(args))
        return {"contact": wire.contact(contact, order())}

    def import_contacts(args: Wire) -> Wire:
        data = args.get("data")
        if not isinstance(data, str):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "data")
        if len(data) > MAX_IMPORT_BYTES:  # characters: a cheap first bound, bytes checked next
            raise SoftphoneError(ErrorKey.TOO_LARGE, "data")
        try:
            result = directory.import_contacts(_format(args), data)
        except BadCardError as exc:
            key = _WHOLE_FILE_ERRORS.get(exc.reason, ErrorKey.INVALID_ARGUMENT)
            raise SoftphoneError(key, "data") from exc
        return wire.import_report(result)

    def export_contacts(args: Wire) -> Wire:
        fmt = _format(args)
        suffix = "vcf" if fmt is ImportFormat.VCARD else "csv"
        return {
            "format": fmt.value,
            "filename": f"contacts.{suffix}",
            "data": directory.export_contacts(fmt),
        }

    def configure(args: Wire) -> None:
        """Sources and their passwords; passwords go to the keyring, never to settings."""
        passwords = {k: args.pop(f"{k.value}_password", None) for k in DIRECTORY_SECRET_KEYS}
        for source, password in passwords.items():
            if password is not None and (not isinstance(password, str) or len(password) > 256):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, f"{source.value}_password")
        sources = sources_from_json(args)
        for source, password in passwords.items():
            if password:
                secrets.set(DIRECTORY_SECRET_KEYS[source], password)
        updated = settings.settings.with_changes(directory=sources)
        settings.save(updated)
        publish(SettingsChanged(updated))
        directory.refresh()

    return {
        "directory.search": search,
        "directory.status": lambda _a: {
            "sources": [wire.source_status(s) for s in directory.statuses()]
        },
        "directory.refresh": lambda _a: directory.refresh(),
        "directory.colleagues": lambda _a: {
            "users": [
                wire.colleague(c.extension, c.name(order())) for c in directory.store.internal()
            ]
        },
        "directory.configure": configure,
        "contacts.create": create,
        "contacts.update": update,
        "contacts.delete": lambda a: directory.delete(_contact_id(a)),
        "contacts.import": import_contacts,
        "contacts.export": export_contacts,
    }
