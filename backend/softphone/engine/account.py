"""The SIP account on the engine thread: sign-in, registration, sign-out, presence, voicemail."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.account import (
    Registration,
    RegistrationState,
    SrtpMode,
    Transport,
    split_host_port,
)
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, RegistrationReported
from softphone.domain.voicemail import VoicemailReported, parse_message_summary
from softphone.engine import mapping
from softphone.engine.account_config import account_config, presence_status
from softphone.engine.auth import AccountAuth, ChallengeOutcome
from softphone.engine.blf import EngineBlf
from softphone.engine.calls import EngineCalls
from softphone.engine.nat import AddressWatcher, StunServers
from softphone.engine.pbx_addresses import PbxAddresses
from softphone.engine.pj_adapters import EngineCallbacks, PjAccount
from softphone.engine.request_filter import SourcePolicy
from softphone.engine.router import CommandRouter
from softphone.engine.sip_transports import Binding, SipTransports, first_hop, local_address_toward
from softphone.engine.tls import registration_error

log = logging.getLogger(__name__)

# Sign-out and quit wait at most this for the registrar to drop our binding (a REGISTER still
# in flight first, then the un-REGISTER and its digest challenge). The supervisor's stop waits
# a little longer than this, and the whole quit stays near 3 s on a registrar that is gone.
UNREGISTER_SECONDS = 2.0
_PJSIP_EBUSY = 171001  # pjsip_regc_send: "regc has another transaction pending"


class EngineAccount(EngineCallbacks):
    """Owns the one PjAccount: made, registered, unregistered and deleted on this thread."""

    def __init__(
        self,
        *,
        emit: Callable[[Event], None],
        bind_address: str,
        transports: SipTransports,
        calls: EngineCalls,
        blf: EngineBlf,
        pbx_addresses: PbxAddresses,
        source_policy: SourcePolicy,
        stun: StunServers,
        pump: Callable[[], None],
    ) -> None:
        self._emit = emit
        self._bind_address = bind_address  # the user's choice of local address ("": none)
        self._transports = transports
        self._calls = calls
        self._blf = blf
        self._pbx_addresses = pbx_addresses  # only these may send us requests (or anyone)
        self._source_policy = source_policy
        self._stun = stun
        self._pump = pump  # one short turn of pjsip inside a wait
        self.watcher: AddressWatcher | None = None  # set once the engine has started
        self.current: PjAccount | None = None
        self._unregistering = False
        self._reg_reports = 0  # onRegState answers seen: tells when the un-REGISTER got its own
        self._was_registered = False
        self._auth = AccountAuth(None, "")  # the credentials of the account, bound to a realm
        self._last_command: cmd.ConfigureAccount | None = None  # to sign in again after a move
        self._generation = 0  # ConfigureAccount.generation of the account reported on
        calls.on_policy(lambda _policy: self.publish_presence())

    def register(self, router: CommandRouter) -> None:
        router.register(cmd.ConfigureAccount, self._configure)
        router.register(cmd.RemoveAccount, self._remove)
        router.register(cmd.Reregister, self._reregister)

    @property
    def srtp(self) -> SrtpMode | None:
        """The account's SRTP mode (explains a refused call); None without an account."""
        return self.current.srtp if self.current is not None else None

    def after_events(self) -> None:
        self._auth.after_events(self.current)

    # --- commands ---------------------------------------------------------------------------

    def _configure(self, command: cmd.ConfigureAccount) -> None:
        self._drop()
        account = command.account
        self._last_command = command
        self._generation = command.generation
        port = command.network.sip_port or self._transports.sip_port
        self._transports.bind(Binding(self._pbx_facing_address(command), port))
        self._transports.tls.use(account.transport is Transport.TLS)
        transport_id = self._transports.id_of(account.transport)
        if transport_id is None:  # TLS could not start: never fall back
            failed = Registration(RegistrationState.FAILED, ErrorKey.TLS_FAILED)
            self._report(failed)
            return
        acfg = account_config(command, transport_id, self._transports.binding.address)
        self._auth = AccountAuth(account, command.password, self._emit)
        self._auth.bind(acfg, account.auth_realm)
        proxy_host = split_host_port(command.network.outbound_proxy)[0]
        self._pbx_addresses.set_hosts((account.host, proxy_host))
        self._source_policy.accept_direct = account.accept_direct_calls
        self._stun.apply(command.network.stun_server)
        self._calls.media_budget.use_turn(bool(command.network.turn_server))
        self._unregistering = False
        self.current = PjAccount(self)
        self.current.srtp = account.srtp
        self.current.dtmf_method = account.dtmf_method
        self._report(Registration(RegistrationState.REGISTERING))
        self.current.create(acfg, True)
        self.current.config = account
        self.current.auth = self._auth
        self.publish_presence()

    def _pbx_facing_address(self, command: cmd.ConfigureAccount) -> str:
        """The address SIP listens on: the user's choice, else the one that reaches the PBX,
        so that nothing arriving on another network (a VPN, a guest Wi-Fi) reaches the SIP
        stack at all; "" (every interface) when no route to the PBX is known."""
        if self._bind_address:
            return self._bind_address
        return local_address_toward(*first_hop(command.account, command.network))

    def follow_pbx_route(self) -> bool:
        """After an address change: when the PBX is now reached from another local address,
        listen there and sign in again (calls end: their media went to the old address).
        False leaves the change to pjsua (the route to the PBX is unchanged)."""
        command = self._last_command
        if command is None or self.current is None:
            return False
        if self._pbx_facing_address(command) == self._transports.binding.address:
            return False
        log.info("the PBX is reached from another local address: SIP moves there")
        try:
            self._configure(command)
        except (pj.Error, SoftphoneError, RuntimeError) as exc:  # as a failed ConfigureAccount
            log.warning("signing in again from the new address failed: %s", exc)
        return True

    def publish_presence(self) -> None:
        if self.current is None:
            return
        try:
            self.current.setOnlineStatus(presence_status(self._calls.policy.dnd))
        except pj.Error as exc:
            log.info("presence not published: %s", exc.info())

    def _remove(self, command: cmd.RemoveAccount) -> None:
        self._last_command = None
        self._pbx_addresses.set_hosts(())
        if self._drop():
            self._report(Registration(RegistrationState.UNCONFIGURED))

    def _drop(self) -> bool:
        if self.current is None:
            return False
        self._calls.hangup_all()
        self._blf.release_all(keep_list=True)
        self._was_registered = False  # the next account's registration subscribes again
        self.unregister(time.monotonic() + UNREGISTER_SECONDS)
        self.release()
        return True

    def release(self) -> None:
        """Delete the account (on this thread, before libDestroy). No other reference to the
        wrapper may outlive this: pjsua2's Account destructor deletes whichever account has
        its id by then, and ids are reused (a local holding it until the loop's next turn
        deleted the next account 13 ms after it was made, seen)."""
        if self.current is not None:
            self.current.shutdown()
            self.current = None

    def _reregister(self, command: cmd.Reregister) -> None:
        if self.current is None:
            return
        if command.outage:
            self._was_registered = False  # the next 200 subscribes BLF again
        try:
            self.current.setRegistration(True)
        except pj.Error as exc:  # a REGISTER is already in flight: its retransmission will do
            log.info("re-register: %s", exc.info())

    def unregister(self, deadline: float) -> None:
        """Remove our binding at the registrar before the account goes, waiting until
        `deadline` at most. A REGISTER still in flight makes pjsua refuse the un-REGISTER
        (PJSIP_EBUSY) and leave the binding behind: wait for that one to end first. Then wait
        for the un-REGISTER's answer: the registrar challenges it, and pjsua can answer with
        the credentials only while the account still exists."""
        account = self.current
        if account is None:
            return
        self._unregistering = True
        started = time.monotonic()
        while True:
            try:
                account.setRegistration(False)
                break
            except pj.Error as exc:
                if exc.status != _PJSIP_EBUSY or time.monotonic() >= deadline:
                    log.info("no un-REGISTER sent: %s", exc.info())
                    return  # not registered (nothing to remove), or out of time
            self._pump()
        reports = self._reg_reports
        while self._reg_reports == reports and time.monotonic() < deadline:
            self._pump()
        waited = int((time.monotonic() - started) * 1000)
        if self._reg_reports == reports:
            log.warning("the registrar did not answer the un-REGISTER in %d ms", waited)
        else:
            log.info("un-REGISTER answered after %d ms", waited)

    # --- callbacks (called by PjAccount on this thread) -------------------------------------

    def on_reg_state(self, code: int, active: bool) -> None:
        self._reg_reports += 1
        if self._unregistering:
            # The account is going (sign-out, another account, quit): a REGISTER that was in
            # flight or the un-REGISTER answered. Reporting it would tell the app about an
            # account it no longer has, or fail the sign-in of the next one.
            log.info("registrar answered %d while the account is being removed", code)
            return
        reg = mapping.registration(code, active, self._unregistering)
        tls_error = registration_error(self.current.last_reason if self.current else "")
        if tls_error is not None and reg.state is RegistrationState.FAILED:
            reg = Registration(RegistrationState.FAILED, tls_error, code)
        self._report(reg)
        self._pbx_addresses.refresh()  # follow the registrar's DNS name to a new address
        registered = reg.state is RegistrationState.REGISTERED
        self._transports.tls.on_registrar_answer(code, tls_error)
        if registered and self.watcher is not None:
            self.watcher.on_registered()
        if registered and not self._was_registered:
            # First registration, or back after an outage (PBX restart, network): the PBX may
            # have forgotten our subscriptions, so make them again.
            self._blf.on_registered()
        self._was_registered = registered

    def _report(self, registration: Registration) -> None:
        self._emit(RegistrationReported(registration, self._generation))

    def on_reg_challenge(self, realms: list[str]) -> bool:
        """A 401/407 to our REGISTER; True when it is handled (signing in again, or failed
        with its own reason) and the generic failure must not be reported."""
        if self._unregistering:
            return False  # leaving: nothing to learn, the failure is reported as it is
        outcome = self._auth.on_registrar_challenge(realms)
        if outcome is ChallengeOutcome.FOREIGN_REALM:
            self._report(Registration(RegistrationState.FAILED, ErrorKey.FOREIGN_REALM, 401))
        return outcome is not ChallengeOutcome.FAILED

    def on_incoming_call(self, pj_call_id: int, whole_msg: str) -> None:
        self._calls.on_incoming_call(pj_call_id, whole_msg)

    def on_mwi_info(self, whole_msg: str) -> None:
        body = whole_msg.replace("\r\n", "\n").partition("\n\n")[2]
        summary = parse_message_summary(body)
        if summary is None:
            log.info("message-summary NOTIFY without a valid body: ignored")
            return
        self._emit(VoicemailReported(summary))
