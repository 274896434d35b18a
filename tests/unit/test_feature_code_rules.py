"""PBX feature codes: templates checked, the codes a forwarding change dials, and the settings."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from softphone.bus import EventBus
from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CallChanged, SettingsChanged
from softphone.domain.feature_code_outcome import FeatureCodeOutcome, FeatureCodeReported
from softphone.domain.feature_codes import (
    FeatureCodes,
    ForwardingMode,
    codes_for_change,
    expand,
    feature_codes_from_json,
)
from softphone.domain.policy import Forwarding
from softphone.domain.settings import Settings
from softphone.phone.feature_code_calls import FeatureCodeCalls
from softphone.phone.pbx_forwarding import PbxForwarding
from softphone.settings.schema import from_json, to_json

GSM = FeatureCodes(
    forwarding_mode=ForwardingMode.PBX,
    unconditional_on="*21*{number}#",
    unconditional_off="#21#",
    busy_on="*67*{number}#",
    busy_off="##67#",
    no_answer_on="*61*{number}#",
    no_answer_off="#61#",
)


def test_expand_puts_the_number_without_separators() -> None:
    assert expand("*72{number}", "044 123 45 67") == "*720441234567"
    assert expand(GSM.unconditional_on, "+41 79 000 00 00") == "*21*+41790000000#"


def test_codes_for_each_kind_of_change() -> None:
    off = Forwarding()
    always = Forwarding(unconditional=True, unconditional_to="1004")
    assert codes_for_change(off, always, GSM) == ["*21*1004#"]
    assert codes_for_change(always, always, GSM) == []
    assert codes_for_change(
        always, Forwarding(unconditional=True, unconditional_to="1005"), GSM
    ) == ["*21*1005#"]
    assert codes_for_change(always, off, GSM) == ["#21#"]
    # A rule on without a target is not active: nothing to tell the PBX.
    assert codes_for_change(off, Forwarding(busy=True), GSM) == []
    both = Forwarding(busy=True, busy_to="1", no_answer=True, no_answer_to="2")
    assert codes_for_change(off, both, GSM) == ["*67*1#", "*61*2#"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unconditional_on", "*72"),  # no {number}: the target would be lost
        ("busy_off", "*9a"),
        ("no_answer_on", "*52{number}{number}"),
        ("unconditional_off", "*" * 33),
        ("pickup_prefix", "**x"),
        ("pickup_prefix", "*" * 9),
    ],
)
def test_bad_templates_are_refused_with_their_field(field: str, value: str) -> None:
    with pytest.raises(SoftphoneError) as exc:
        feature_codes_from_json({field: value})
    assert exc.value.key is ErrorKey.INVALID_ARGUMENT
    assert exc.value.field == f"feature_codes.{field}"


def test_partial_update_and_settings_round_trip() -> None:
    settings = Settings().with_changes(
        feature_codes={"forwarding_mode": "pbx", "pickup_prefix": "**"}
    )
    assert settings.feature_codes.forwarding_mode is ForwardingMode.PBX
    assert settings.feature_codes.unconditional_on == "*72{number}"  # default kept
    again = from_json(json.loads(json.dumps(to_json(settings))))
    assert again.feature_codes == settings.feature_codes
    with pytest.raises(SoftphoneError):
        Settings().with_changes(feature_codes={"forwarding_mode": "fax"})
    assert from_json({}).feature_codes == FeatureCodes()  # files from before the setting


class FakePhone:
    def __init__(self, fail: bool = False) -> None:
        self.dialled: list[str] = []
        self.call_ids: list[str] = []
        self.fail = fail

    def dial(self, number: str, call_id: str | None = None) -> str:
        if self.fail:
            raise SoftphoneError(ErrorKey.NOT_REGISTERED)
        self.dialled.append(number)
        self.call_ids.append(call_id or "id")
        return call_id or "id"

    def hangup(self, call_id: str) -> None:
        raise SoftphoneError(ErrorKey.CALL_NOT_FOUND)


class FakeStore:
    """The settings store's update() and settings, in memory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def update(self, **changes: Any) -> Settings:
        self.settings = self.settings.with_changes(**changes)
        return self.settings


class Ui:
    """The settings.update path: review, store, publish; and the reports it pushes."""

    def __init__(self, settings: Settings, phone: FakePhone) -> None:
        self.bus, self.phone, self.store = EventBus(), phone, FakeStore(settings)
        self.reports: list[FeatureCodeReported] = []
        self.bus.subscribe(FeatureCodeReported, self.reports.append)
        calls = FeatureCodeCalls(self.bus, phone.hangup)
        self.pbx = PbxForwarding(phone, self.bus, self.store, calls, run=lambda work: work())

    def update(self, **changes: Any) -> None:
        changes = self.pbx.review(self.store.settings, changes)
        self.bus.publish(SettingsChanged(self.store.update(**changes)))

    def pbx_answers(self, *, connected: bool, end: EndReason, sip_code: int) -> None:
        """The last code call ends as a PBX would end it."""
        snap = CallSnapshot(
            id=self.phone.call_ids[-1], direction=CallDirection.OUTGOING, state=CallState.ENDED,
            number=self.phone.dialled[-1], display_name="", remote_uri="", created_at=1.0,
            connected_at=2.0 if connected else None, end_reason=end, sip_code=sip_code,
        )  # fmt: skip
        self.bus.publish(CallChanged(snap, CallState.DIALING))

    @property
    def forwarding(self) -> Forwarding:
        return cast(Forwarding, self.store.settings.forwarding)


ALWAYS = {"unconditional": True, "unconditional_to": "1004"}


def test_a_rule_changes_only_when_the_pbx_hangs_up_after_answering_its_code() -> None:
    ui = Ui(Settings(forwarding=Forwarding(**ALWAYS)), FakePhone())  # app mode, rule on
    ui.update(feature_codes={"forwarding_mode": "pbx"})  # the PBX takes over the active rule
    assert ui.phone.dialled == ["*721004"]
    assert ui.forwarding.unconditional_target == ""  # not yet: the PBX has not answered
    assert ui.forwarding.unconditional_to == "1004"  # the typed target is kept
    ui.pbx_answers(connected=True, end=EndReason.HANGUP_REMOTE, sip_code=200)
    assert ui.forwarding.unconditional_target == "1004"
    assert [r.outcome for r in ui.reports] == [
        FeatureCodeOutcome.DIALLING, FeatureCodeOutcome.ACCEPTED
    ]  # fmt: skip

    ui.update(forwarding={"unconditional": False})
    assert ui.phone.dialled == ["*721004", "*73"]
    assert ui.forwarding.unconditional_target == "1004"
    ui.pbx_answers(connected=False, end=EndReason.FAILED, sip_code=403)
    assert ui.forwarding.unconditional_target == "1004"  # refused: still forwarding
    last = ui.reports[-1]
    assert (last.code, last.outcome, last.sip_code, last.error) == (
        "*73", FeatureCodeOutcome.REFUSED, 403, ErrorKey.FEATURE_CODE_REFUSED
    )  # fmt: skip


@pytest.mark.parametrize(
    ("connected", "end", "sip_code", "outcome"),
    [
        (False, EndReason.NOT_FOUND, 404, FeatureCodeOutcome.REFUSED),
        (False, EndReason.FAILED, 488, FeatureCodeOutcome.REFUSED),
        (False, EndReason.UNAVAILABLE, 503, FeatureCodeOutcome.REFUSED),
        (False, EndReason.CANCELLED, 487, FeatureCodeOutcome.UNCONFIRMED),  # we hung up
        (False, EndReason.UNAVAILABLE, 408, FeatureCodeOutcome.UNCONFIRMED),  # no answer
        (True, EndReason.HANGUP_LOCAL, 200, FeatureCodeOutcome.UNCONFIRMED),  # PBX never hung up
        (True, EndReason.HANGUP_REMOTE, 200, FeatureCodeOutcome.ACCEPTED),
    ],
)
def test_how_each_pbx_answer_is_judged(
    connected: bool, end: EndReason, sip_code: int, outcome: FeatureCodeOutcome
) -> None:
    ui = Ui(Settings(feature_codes=FeatureCodes(forwarding_mode=ForwardingMode.PBX)), FakePhone())
    ui.update(forwarding={"busy": True, "busy_to": "1005"})
    ui.pbx_answers(connected=connected, end=end, sip_code=sip_code)
    assert ui.reports[-1].outcome is outcome
    assert ui.forwarding.busy_target == ("1005" if outcome is FeatureCodeOutcome.ACCEPTED else "")


def test_codes_are_dialled_one_at_a_time_and_a_change_waits_for_them() -> None:
    ui = Ui(Settings(feature_codes=FeatureCodes(forwarding_mode=ForwardingMode.PBX)), FakePhone())
    ui.update(forwarding={**ALWAYS, "busy": True, "busy_to": "1005"})
    assert ui.phone.dialled == ["*721004"]
    with pytest.raises(SoftphoneError) as caught:
        ui.update(forwarding={"no_answer": True, "no_answer_to": "1006"})
    assert caught.value.key is ErrorKey.FEATURE_CODE_PENDING
    ui.update(theme="dark")  # no code needed: never held up
    ui.pbx_answers(connected=False, end=EndReason.NOT_FOUND, sip_code=404)
    assert ui.phone.dialled == ["*721004", "*901005"]  # a refusal does not stop the next rule
    ui.pbx_answers(connected=True, end=EndReason.HANGUP_REMOTE, sip_code=200)
    assert (ui.forwarding.unconditional_target, ui.forwarding.busy_target) == ("", "1005")


def test_a_code_that_could_not_be_dialled_is_reported_and_dialled_on_the_next_save() -> None:
    pbx = Settings(feature_codes=FeatureCodes(forwarding_mode=ForwardingMode.PBX))
    ui = Ui(pbx, FakePhone(fail=True))
    ui.update(forwarding={"busy": True, "busy_to": "1005"})
    assert ui.reports[-1].outcome is FeatureCodeOutcome.NOT_DIALLED
    assert ui.reports[-1].error is ErrorKey.NOT_REGISTERED
    assert ui.forwarding.busy_target == ""
    ui.phone.fail = False
    ui.update(forwarding={"busy": True, "busy_to": "1005"})
    assert ui.phone.dialled == ["*901005"]


def test_back_to_app_mode_dials_the_off_codes_and_the_app_forwards_at_once() -> None:
    pbx = Settings(
        forwarding=Forwarding(**ALWAYS),
        feature_codes=FeatureCodes(forwarding_mode=ForwardingMode.PBX),
    )
    ui = Ui(pbx, FakePhone())
    ui.update(feature_codes={"forwarding_mode": "app"})
    assert ui.phone.dialled == ["*73"]
    assert ui.forwarding.unconditional_target == "1004"
    ui.pbx_answers(connected=False, end=EndReason.FAILED, sip_code=403)
    assert ui.reports[-1].outcome is FeatureCodeOutcome.REFUSED  # told: the PBX may forward
    assert ui.forwarding.unconditional_target == "1004"
