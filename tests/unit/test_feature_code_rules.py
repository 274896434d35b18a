"""PBX feature codes: templates checked, the codes a forwarding change dials, and the settings."""

from __future__ import annotations

import json

import pytest

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.domain.feature_codes import (
    FeatureCodes,
    ForwardingMode,
    codes_for_change,
    expand,
    feature_codes_from_json,
)
from softphone.domain.policy import Forwarding
from softphone.phone.pbx_forwarding import PbxForwarding
from softphone.settings.schema import Settings, from_json, to_json

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
        self.fail = fail

    def dial(self, number: str) -> str:
        if self.fail:
            raise SoftphoneError(ErrorKey.NOT_REGISTERED)
        self.dialled.append(number)
        return "id"


def test_pbx_forwarding_dials_on_mode_switches_and_rule_changes() -> None:
    bus, phone = EventBus(), FakePhone()
    always = Forwarding(unconditional=True, unconditional_to="1004")
    PbxForwarding(phone, bus, always, FeatureCodes())  # app mode: the PBX forwards nothing
    app_mode = Settings(forwarding=always)
    pbx_mode = app_mode.with_changes(feature_codes={"forwarding_mode": "pbx"})
    bus.publish(SettingsChanged(app_mode))
    assert phone.dialled == []
    bus.publish(SettingsChanged(pbx_mode))  # the PBX takes over the active rule
    assert phone.dialled == ["*721004"]
    bus.publish(SettingsChanged(pbx_mode.with_changes(forwarding=Forwarding())))
    assert phone.dialled == ["*721004", "*73"]
    bus.publish(SettingsChanged(app_mode))  # nothing active on the PBX: nothing to undo
    assert phone.dialled == ["*721004", "*73"]


def test_a_code_that_could_not_be_dialled_is_dialled_on_the_next_change() -> None:
    bus, phone = EventBus(), FakePhone(fail=True)
    PbxForwarding(phone, bus, Forwarding(), FeatureCodes(forwarding_mode=ForwardingMode.PBX))
    pbx = Settings().with_changes(feature_codes={"forwarding_mode": "pbx"})
    busy = pbx.with_changes(forwarding=Forwarding(busy=True, busy_to="1005"))
    bus.publish(SettingsChanged(busy))
    assert phone.dialled == []
    phone.fail = False
    bus.publish(SettingsChanged(busy))
    assert phone.dialled == ["*901005"]
