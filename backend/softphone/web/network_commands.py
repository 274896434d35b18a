"""Wire commands of the network: network.update (advanced account settings), network.check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from softphone.diagnostics.netcheck import Status, run_network_check
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, SettingsChanged
from softphone.domain.network import NetworkSettings, network_from_json
from softphone.phone.account import AccountManager
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from softphone.web.wire import Wire, check_result


def firewall_rules(server: str, network: NetworkSettings) -> list[Wire]:
    """What a firewall must let through for this account (also in docs/firewall.md)."""
    sip_port = str(network.sip_port) if network.sip_port else "any"
    rules: list[Wire] = [
        {"what": "sip", "protocol": "udp+tcp", "local_port": sip_port, "remote": server},
        {
            "what": "rtp",
            "protocol": "udp",
            "local_port": f"{network.rtp_port_min}-{network.rtp_port_max}",
            "remote": "any",
        },
    ]
    if network.stun_server:
        rules.append({"what": "stun", "protocol": "udp", "local_port": "any",
                      "remote": network.stun_server})  # fmt: skip
    if network.turn_server:
        rules.append({"what": "turn", "protocol": "udp", "local_port": "any",
                      "remote": network.turn_server})  # fmt: skip
    return rules


def network_commands(
    settings: SettingsStore,
    secrets: SecretStore,
    accounts: AccountManager,
    publish: Callable[[Event], None],
    in_call: Callable[[], bool] = lambda: False,
) -> dict[str, Callable[[Wire], Wire | None]]:
    """Handlers to merge into the CommandTable."""

    def update(args: Wire) -> None:
        if in_call():
            # Registering again with new transports and media settings ends every call.
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        changes: dict[str, Any] = dict(args)
        turn_password = changes.pop("turn_password", None)
        if turn_password is not None and (
            not isinstance(turn_password, str) or len(turn_password) > 256
        ):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "turn_password")
        current = settings.settings.network
        network = network_from_json({**asdict(current), **changes})
        if (
            network.turn_server
            and turn_password is None
            and not secrets.get(network.turn_secret_key)
        ):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "turn_password")
        if current.turn_server and current.turn_secret_key != network.turn_secret_key:
            secrets.delete(current.turn_secret_key)
        if turn_password:
            secrets.set(network.turn_secret_key, turn_password)
        updated = replace(settings.settings, network=network)
        settings.save(updated)
        publish(SettingsChanged(updated))
        if network != current or turn_password:
            accounts.resume()  # register again with the new ports, proxy, STUN and TURN

    def check(_args: Wire) -> Wire:
        account = accounts.account
        if account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        network = settings.settings.network
        results = run_network_check(account, network)
        worst = max(
            (r.status for r in results),
            key=[Status.SKIPPED, Status.OK, Status.WARNING, Status.ERROR].index,
        )
        return {
            "overall": worst.value,
            "results": [check_result(r) for r in results],
            "firewall": firewall_rules(account.server, network),
        }

    return {"network.update": update, "network.check": check}
