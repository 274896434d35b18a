"""Wire commands: validate arguments, call the phone layer, return the ack's result."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from softphone.bus import EventBus
from softphone.domain.account import AccountConfig, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.domain.settings import Settings
from softphone.phone.account import AccountManager
from softphone.phone.service import Phone
from softphone.settings.store import SettingsStore
from softphone.web import wire
from softphone.web.account_args import allow_direct_calls, dtmf_method
from softphone.web.locks import locked_setting
from softphone.web.settings_args import settings_changes
from softphone.web.tls_commands import srtp_mode
from softphone.web.wire import Wire, arg_bool, arg_str

log = logging.getLogger(__name__)

CommandHandler = Callable[[Wire], Wire | None]


class CommandTable:
    """One small function per wire command; unknown names and bad args become error keys."""

    def __init__(
        self,
        phone: Phone,
        accounts: AccountManager,
        settings: SettingsStore,
        bus: EventBus,
        review_settings: Callable[[Settings, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self._phone = phone
        self._accounts = accounts
        self._settings = settings
        self._bus = bus
        # PBX forwarding: holds back the changes the PBX must accept first (feature codes).
        self.review_settings = review_settings
        # The settings the provisioning document locks (docs/provisioning.md `locked`).
        self.locked_settings: Callable[[], Iterable[str]] = tuple
        self.handlers: dict[str, CommandHandler] = {
            "account.setup": self._account_setup,
            "account.sign_out": lambda _a: self._accounts.sign_out(),
            "account.retry": lambda _a: self._accounts.retry(),
            "call.dial": lambda a: {"call_id": self._phone.dial(arg_str(a, "number"))},
            "call.answer": lambda a: self._phone.answer(arg_str(a, "call_id", max_len=64)),
            "call.reject": lambda a: self._phone.reject(arg_str(a, "call_id", max_len=64)),
            "call.hangup": lambda a: self._phone.hangup(arg_str(a, "call_id", max_len=64)),
            "call.dtmf": lambda a: self._phone.send_dtmf(
                arg_str(a, "call_id", max_len=64), arg_str(a, "digits", max_len=32)
            ),
            "call.hold": lambda a: self._phone.hold(arg_str(a, "call_id", max_len=64)),
            "call.resume": lambda a: self._phone.resume(arg_str(a, "call_id", max_len=64)),
            "call.mute": lambda a: self._phone.set_mute(
                arg_str(a, "call_id", max_len=64), arg_bool(a, "muted")
            ),
            "call.transfer": lambda a: self._phone.transfer(
                arg_str(a, "call_id", max_len=64), arg_str(a, "target", max_len=128)
            ),
            "call.transfer_attended": lambda a: self._phone.transfer_attended(
                arg_str(a, "call_id", max_len=64), arg_str(a, "to_call_id", max_len=64)
            ),
            "call.conference": lambda _a: self._phone.conference(),
            "settings.update": self._settings_update,
            "blf.states": lambda _a: {
                "states": [wire.line_state(s) for s in self._phone.line_states()]
            },
            "blf.pickup": lambda a: {
                "call_id": self._phone.pickup(arg_str(a, "extension", max_len=32))
            },
        }

    def run(self, name: Any, args: Any) -> Wire:
        """Run one command; returns the result dict or raises SoftphoneError."""
        if not isinstance(name, str) or name not in self.handlers:
            raise SoftphoneError(ErrorKey.INVALID_COMMAND)
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
        locked = locked_setting(name, args, self.locked_settings)
        if locked is not None:
            raise SoftphoneError(ErrorKey.SETTING_LOCKED, locked)
        return self.handlers[name](args) or {}

    def _account_setup(self, args: Wire) -> None:
        transport_text = arg_str(args, "transport", required=False, max_len=8) or "udp"
        try:
            transport = Transport(transport_text.lower())
        except ValueError as exc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "transport") from exc
        account = AccountConfig(
            server=arg_str(args, "server").strip(),
            user=arg_str(args, "user", max_len=64).strip(),
            auth_user=arg_str(args, "auth_user", required=False, max_len=64).strip(),
            display_name=arg_str(args, "display_name", required=False, max_len=64).strip(),
            transport=transport,
            srtp=srtp_mode(args),
            dtmf_method=dtmf_method(args),
            realm=arg_str(args, "realm", required=False, max_len=128).strip(),
            allow_direct_calls=allow_direct_calls(args),
            # Off unless given: only the PBX's addresses may ring us (engine/request_filter.py).
            accept_direct_calls="accept_direct_calls" in args
            and arg_bool(args, "accept_direct_calls"),
        )
        self._accounts.setup(account, arg_str(args, "password"))

    def _settings_update(self, args: Wire) -> None:
        changes = settings_changes(args)
        if self.review_settings is not None:
            changes = self.review_settings(self._settings.settings, changes)
        updated = self._settings.update(**changes)
        self._bus.publish(SettingsChanged(updated))
