"""The engine's account: what pjsua is told, what a registrar's answer is reported as, and a
sign-out that waits (bounded) for the un-REGISTER to be answered."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pjsua2 as pj  # noqa: TID251 (pjsua2's config structs and errors, as the account meets them)
import pytest

from softphone.domain import commands as cmd
from softphone.domain.account import (
    AccountConfig,
    Registration,
    RegistrationState,
    SrtpMode,
    Transport,
)
from softphone.domain.errors import ErrorKey
from softphone.domain.events import Event, RegistrationReported
from softphone.domain.network import NetworkSettings
from softphone.domain.voicemail import VoicemailReported, VoicemailSummary
from softphone.engine.account import EngineAccount
from softphone.engine.account_config import account_config, presence_status
from softphone.engine.blf import EngineBlf
from softphone.engine.calls import EngineCalls
from softphone.engine.config import EngineConfig
from softphone.engine.nat import StunServers
from softphone.engine.pbx_addresses import PbxAddresses
from softphone.engine.pj_adapters import PjAccount
from softphone.engine.request_filter import SourcePolicy
from softphone.engine.router import CommandRouter
from softphone.engine.sip_transports import SipTransports

_EBUSY = 171001  # PJSIP_EBUSY: a REGISTER is still in flight


def _pj_error(status: int) -> pj.Error:
    error = pj.Error()
    error.status = status
    error.title = "pjsua_acc_set_registration"
    error.reason = "refused"
    return error


@dataclass
class FakePjAccount:
    """Stands in for PjAccount (a pj.Account) at the library boundary."""

    refusals: list[int] = field(default_factory=list)  # statuses setRegistration raises first
    registrations: list[bool] = field(default_factory=list)
    statuses: list[pj.PresenceStatus] = field(default_factory=list)
    last_reason: str = ""
    srtp: SrtpMode | None = None
    deleted: bool = False

    def setRegistration(self, renew: bool) -> None:  # noqa: N802 (pjsua2 API)
        if self.refusals:
            raise _pj_error(self.refusals.pop(0))
        self.registrations.append(renew)

    def setOnlineStatus(self, status: pj.PresenceStatus) -> None:  # noqa: N802
        self.statuses.append(status)

    def shutdown(self) -> None:
        self.deleted = True


@dataclass
class FakeCalls:
    policy: cmd.SetIncomingPolicy = field(default_factory=cmd.SetIncomingPolicy)
    listeners: list[Callable[[cmd.SetIncomingPolicy], None]] = field(default_factory=list)
    hung_up: int = 0

    def on_policy(self, listener: Callable[[cmd.SetIncomingPolicy], None]) -> None:
        self.listeners.append(listener)

    def hangup_all(self) -> None:
        self.hung_up += 1


@dataclass
class FakeBlf:
    subscribed: int = 0
    released: list[bool] = field(default_factory=list)

    def on_registered(self) -> None:
        self.subscribed += 1

    def release_all(self, *, keep_list: bool = False) -> None:
        self.released.append(keep_list)


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.events: list[Event] = []
        self.calls, self.blf, self.pbx = FakeCalls(), FakeBlf(), PbxAddresses()
        self.pumps = 0
        config = EngineConfig(tls_ca_file=tmp_path / "ca.pem")
        ep = cast(pj.Endpoint, object())  # no transport is opened by these tests
        self.account = EngineAccount(
            emit=self.events.append,
            bind_address="",
            transports=SipTransports(ep, config),
            calls=cast(EngineCalls, self.calls),
            blf=cast(EngineBlf, self.blf),
            pbx_addresses=self.pbx,
            source_policy=SourcePolicy(self.pbx),
            stun=StunServers(ep),
            pump=self._pump,
        )
        self.pj = FakePjAccount()
        self.account.current = cast(PjAccount, self.pj)
        self.router = CommandRouter()
        self.account.register(self.router)
        self.answer_on_pump: tuple[int, bool] | None = None

    def _pump(self) -> None:
        time.sleep(0.02)  # as pjsip's libHandleEvents(20) with nothing to do
        self.pumps += 1
        if self.answer_on_pump is not None and self.pj.registrations:
            self.account.on_reg_state(*self.answer_on_pump)  # the registrar's answer arrives

    def states(self) -> list[Registration]:
        return [e.registration for e in self.events if isinstance(e, RegistrationReported)]


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def _command(**account: object) -> cmd.ConfigureAccount:
    network = cast(NetworkSettings, account.pop("network", NetworkSettings()))
    config = AccountConfig(**{"server": "pbx.example.com", "user": "1001", **account})  # type: ignore[arg-type]
    return cmd.ConfigureAccount(config, "secret", network=network)


def test_pjsua_is_told_who_we_are_where_to_register_and_to_route_through_the_pbx() -> None:
    acfg = account_config(_command(display_name="Alice Smith", transport=Transport.TLS), 7)
    assert acfg.idUri == '"Alice Smith" <sip:1001@pbx.example.com>'
    assert acfg.regConfig.registrarUri == "sips:pbx.example.com;transport=tls"
    assert acfg.sipConfig.transportId == 7
    assert list(acfg.sipConfig.proxies) == ["sips:pbx.example.com;transport=tls;lr"]
    assert acfg.presConfig.publishEnabled and acfg.mwiConfig.enabled
    assert len(acfg.sipConfig.authCreds) == 0  # credentials are AccountAuth's, bound to a realm


def test_without_a_display_name_the_identity_is_the_bare_address() -> None:
    assert account_config(_command(), 0).idUri == "sip:1001@pbx.example.com"


def test_an_outbound_proxy_is_the_first_hop_before_the_pbx() -> None:
    network = NetworkSettings(outbound_proxy="proxy.example.com:5080")
    acfg = account_config(_command(network=network), 0)
    assert list(acfg.sipConfig.proxies) == [
        "sip:proxy.example.com:5080;lr",
        "sip:pbx.example.com;lr",
    ]


def test_dnd_is_published_as_busy_with_a_note_other_phones_show() -> None:
    dnd, online = presence_status(True), presence_status(False)
    assert (dnd.activity, dnd.note) == (pj.PJRPID_ACTIVITY_BUSY, "dnd")
    assert (online.activity, online.note) == (pj.PJRPID_ACTIVITY_UNKNOWN, "online")
    assert dnd.status == online.status == pj.PJSUA_BUDDY_STATUS_ONLINE


def test_a_dnd_change_is_published_at_once(harness: Harness) -> None:
    [listener] = harness.calls.listeners
    harness.calls.policy = cmd.SetIncomingPolicy(dnd=True)
    listener(harness.calls.policy)
    assert [s.note for s in harness.pj.statuses] == ["dnd"]


def test_blf_subscribes_on_the_first_registration_and_again_after_an_outage(
    harness: Harness,
) -> None:
    harness.account.on_reg_state(200, True)
    harness.account.on_reg_state(200, True)  # a refresh: the subscriptions still stand
    assert harness.blf.subscribed == 1
    harness.account.on_reg_state(503, False)  # the PBX is gone: it may forget them
    harness.account.on_reg_state(200, True)
    assert harness.blf.subscribed == 2
    harness.router.run(cmd.Reregister(outage=True))  # the app saw the PBX come back
    assert harness.pj.registrations == [True]
    harness.account.on_reg_state(200, True)
    assert harness.blf.subscribed == 3
    assert [r.state for r in harness.states()] == [
        RegistrationState.REGISTERED,
        RegistrationState.REGISTERED,
        RegistrationState.FAILED,
        RegistrationState.REGISTERED,
        RegistrationState.REGISTERED,
    ]


def test_a_tls_failure_behind_an_unanswered_register_is_reported_as_such(
    harness: Harness,
) -> None:
    harness.pj.last_reason = "Connection failed (PJSIP_TLS_ECERTVERIF)"
    harness.account.on_reg_state(503, False)
    harness.pj.last_reason = "Service Unavailable"
    harness.account.on_reg_state(503, False)
    assert harness.states() == [
        Registration(RegistrationState.FAILED, ErrorKey.TLS_UNTRUSTED, 503),
        Registration(RegistrationState.FAILED, ErrorKey.SERVER_UNREACHABLE, 503),
    ]


def test_sign_out_waits_for_the_register_in_flight_then_for_the_unregisters_answer(
    harness: Harness,
) -> None:
    harness.pj.refusals = [_EBUSY, _EBUSY]
    harness.answer_on_pump = (200, False)
    harness.router.run(cmd.RemoveAccount())
    assert harness.pj.registrations == [False]  # sent once the REGISTER in flight ended
    assert harness.pumps == 3  # two turns for the REGISTER, one for the answer
    assert harness.calls.hung_up == 1 and harness.blf.released == [True]  # the list is kept
    assert harness.pj.deleted and harness.account.current is None
    # The un-REGISTER's 200 is not reported: only that no account is configured any more.
    assert harness.states() == [Registration(RegistrationState.UNCONFIGURED)]


def test_a_registrar_that_never_answers_holds_sign_out_two_seconds_at_most(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        harness.router.run(cmd.RemoveAccount())
    assert 1.9 < time.monotonic() - started < 3.0
    assert harness.pj.registrations == [False] and harness.pj.deleted
    assert "did not answer the un-REGISTER" in caplog.text


def test_an_account_that_is_not_registered_goes_without_an_unregister(harness: Harness) -> None:
    harness.pj.refusals = [70004]  # not PJSIP_EBUSY: nothing to remove at the registrar
    harness.router.run(cmd.RemoveAccount())
    assert harness.pj.registrations == [] and harness.pumps == 0 and harness.pj.deleted


def test_the_srtp_mode_that_explains_a_refused_call_is_the_accounts(harness: Harness) -> None:
    harness.pj.srtp = SrtpMode.MANDATORY
    assert harness.account.srtp is SrtpMode.MANDATORY
    harness.account.current = None
    assert harness.account.srtp is None


def test_removing_when_there_is_no_account_reports_nothing(harness: Harness) -> None:
    harness.account.current = None
    harness.router.run(cmd.RemoveAccount())
    assert harness.events == [] and harness.calls.hung_up == 0


def test_a_voicemail_notify_is_reported_and_a_body_that_is_not_a_summary_is_not(
    harness: Harness,
) -> None:
    head = "NOTIFY sip:1001@10.0.0.5 SIP/2.0\r\nEvent: message-summary\r\n\r\n"
    harness.account.on_mwi_info(head + "Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/0)\r\n")
    harness.account.on_mwi_info(head + "<html>not a summary</html>")
    assert harness.events == [VoicemailReported(VoicemailSummary(waiting=True, new=2, old=8))]


def test_no_address_change_is_followed_without_an_account(harness: Harness) -> None:
    assert not harness.account.follow_pbx_route()
