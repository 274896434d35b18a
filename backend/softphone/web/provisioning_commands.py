"""Wire commands of the e-mail sign-in (docs/provisioning.md)."""

from __future__ import annotations

from typing import Any

from softphone.provisioning.sign_in import SignIn, colleagues_offered
from softphone.web.wire import Wire, arg_str


def provisioning_commands(sign_in: SignIn, handlers: dict[str, Any]) -> dict[str, Any]:
    """`account.sign_in`, and `directory.colleagues` with the provisioned colleagues first."""
    directory_colleagues = handlers.get("directory.colleagues")

    def do_sign_in(args: Wire) -> Wire:
        outcome = sign_in.sign_in(
            arg_str(args, "email", max_len=254),
            arg_str(args, "password", max_len=256),
            arg_str(args, "provisioning_url", required=False, max_len=2048),
        )
        return {"method": outcome.method, "password_saved": outcome.persistent}

    def colleagues(args: Wire) -> Wire:
        users = directory_colleagues(args)["users"] if directory_colleagues else []
        return {"users": colleagues_offered(users, sign_in.state)}

    return {"account.sign_in": do_sign_in, "directory.colleagues": colleagues}
