"""File uploads over HTTP POST (contact imports): token, size and encoding checked before use.

A Socket.IO message is limited to 64 KiB (``max_http_buffer_size``), and one over the limit
closes the connection before any handler sees it: the UI showed "Reconnecting..." and
imported nothing. Files therefore come as the raw body of an authenticated POST, which is
refused with ``too_large`` from its Content-Length alone, while the socket stays up.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Callable
from typing import IO

from flask import Request, Response

from softphone.directory.importexport import MAX_IMPORT_BYTES
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.web import wire
from softphone.web.security import token_matches

log = logging.getLogger(__name__)

IMPORT_PATH = "/import/contacts"
# Bytes read and thrown away after refusing an oversize body: a browser that is still sending
# when the server closes reports a network error instead of our answer. Past this, just close.
_DRAIN_LIMIT = 4 * MAX_IMPORT_BYTES
_CHUNK = 64 * 1024

RunCommand = Callable[[str, wire.Wire], wire.Wire]


def _answer(body: wire.Wire, status: int) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse(key: ErrorKey, status: int) -> Response:
    return _answer(wire.error_key(key), status)


def _drain(stream: IO[bytes], length: int | None) -> None:
    left = min(length if length is not None else _DRAIN_LIMIT, _DRAIN_LIMIT)
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)


def decode_text(data: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), or UTF-16 with a BOM (Outlook's "Unicode" CSV).

    Raises SoftphoneError(bad_encoding) for anything else: guessing Latin-1 would fill the
    directory with mojibake the user only finds later.
    """
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")  # consumes the BOM, picks the byte order from it
        return data.decode("utf-8-sig")  # strict: encoded surrogates (ED A0 80) fail too
    except UnicodeDecodeError as exc:
        raise SoftphoneError(ErrorKey.BAD_ENCODING, "data") from exc


def import_upload(request: Request, *, token: str, origins: list[str], run: RunCommand) -> Response:
    """POST /import/contacts?format=vcard|csv, body = the file; answers the command's ack.

    Checked in this order, each before the body is read: the per-launch token (header
    ``Authorization: Bearer``, never a cookie or URL, so another site cannot forge it), the
    Origin when the browser sends one, and the declared size.
    """
    auth = request.headers.get("Authorization", "")
    presented = auth[7:] if auth[:7].lower() == "bearer " else None
    if not token_matches(token, presented):
        log.warning("refused an import upload without the right token")
        return Response("unauthorized\n", status=401, mimetype="text/plain")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in origins:
        log.warning("refused an import upload from another origin")
        return Response("forbidden\n", status=403, mimetype="text/plain")
    stream = request.stream
    length = request.content_length
    if length is not None and length > MAX_IMPORT_BYTES:
        log.info("import refused: %d bytes over the %d limit", length, MAX_IMPORT_BYTES)
        _drain(stream, length)
        return _refuse(ErrorKey.TOO_LARGE, 413)
    data = stream.read(MAX_IMPORT_BYTES + 1)  # no Content-Length (chunked): bounded anyway
    if len(data) > MAX_IMPORT_BYTES:
        log.info("import refused: body over the %d limit", MAX_IMPORT_BYTES)
        _drain(stream, None)
        return _refuse(ErrorKey.TOO_LARGE, 413)
    try:
        text = decode_text(data)
        args: wire.Wire = {"format": request.args.get("format", ""), "data": text}
        return _answer(wire.ok(run("contacts.import", args)), 200)
    except SoftphoneError as exc:
        log.info("import refused: %s", exc.key.value)
        return _answer(wire.error(exc), 413 if exc.key is ErrorKey.TOO_LARGE else 400)
    except Exception:
        log.exception("import upload failed")
        return _refuse(ErrorKey.INTERNAL_ERROR, 500)
