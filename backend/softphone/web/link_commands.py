"""Wire command of call links: the UI says it took a dial request (or refusal) off the queue."""

from __future__ import annotations

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.phone.links import CallLinks
from softphone.web.commands import CommandHandler
from softphone.web.wire import Wire


def link_commands(links: CallLinks) -> dict[str, CommandHandler]:
    def dismiss(args: Wire) -> None:
        request_id = args.get("id")
        # bool is an int in Python; a JSON true must not dismiss request 1.
        if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 0:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "id")
        links.dismiss(request_id)

    return {"link.dismiss": dismiss}
