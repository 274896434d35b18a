"""Wire commands of the e-mail sign-in (docs/provisioning.md)."""

from __future__ import annotations

from typing import Any

from softphone.provisioning.refresh import ProvisioningRefresh
from softphone.provisioning.sign_in import SignIn, colleagues_offered
from softphone.web.wire import Wire, arg_str


def provisioning_commands(
    sign_in: SignIn, refresh: ProvisioningRefresh, handlers: dict[str, Any]
) -> dict[str, Any]:
    """`account.sign_in`, the re-fetch and its status, and `directory.colleagues` with the
    provisioned colleagues first."""
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

    def do_refresh(_args: Wire) -> Wire:
        outcome = refresh.refresh_now()
        if outcome is None:
            return {"provisioned": False}
        return {"changed": outcome.changed, "reregistered": outcome.reregistered}

    def status(_args: Wire) -> Wire:
        state, last = sign_in.state, refresh.status
        return {
            "provisioned": bool(state.url and state.email),
            "email": state.email,
            "fetched_at": int(state.fetched_at),
            "error": last.error.value if last.error else None,
        }

    def recovered(_args: Wire) -> Wire:
        path = sign_in.settings_recovered_from
        return {"path": str(path) if path else None, "reprovisioned": sign_in.restored}

    return {
        "settings.recovered_from": recovered,
        "account.sign_in": do_sign_in,
        "account.refresh_provisioning": do_refresh,
        "account.provisioning_status": status,
        "directory.colleagues": colleagues,
    }
