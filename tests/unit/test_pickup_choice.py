"""Which pickup a colleague's ringing line gets: INVITE/Replaces when the PBX's dialog-info
names the dialog (Kamailio), the directed-pickup code when it does not (Asterisk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.domain.dialoginfo import (
    LineState,
    PickupMethod,
    choose_pickup,
    line_state,
    merge,
    parse_dialog_info,
    pickup_method,
    ringing_dialog,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dialog_info"
ASTERISK_RINGING = [
    "07_asterisk_pjsip_early_minimal.xml",
    "08_asterisk_pjsip_early_with_caller.xml",
    "09_asterisk_chan_sip_early.xml",
]


def _dialogs(*names: str) -> dict:
    known: dict = {}
    for name in names:
        known = merge(known, parse_dialog_info((FIXTURES / name).read_bytes()))
    return known


@pytest.mark.parametrize("name", ASTERISK_RINGING)
def test_asterisk_ringing_is_ringing_without_a_named_dialog(name: str) -> None:
    dialogs = _dialogs(name)
    assert line_state(dialogs, dnd=False) is LineState.RINGING
    ringing = ringing_dialog(dialogs)
    assert ringing is not None and ringing.id == "201"
    assert not (ringing.call_id or ringing.local_tag or ringing.remote_tag)


def test_asterisk_names_the_caller_but_not_the_dialog() -> None:
    ringing = ringing_dialog(_dialogs("08_asterisk_pjsip_early_with_caller.xml"))
    assert ringing is not None and ringing.remote_identity == "sip:100@pbx.example.com"


@pytest.mark.parametrize("name", ASTERISK_RINGING)
def test_asterisk_ringing_is_picked_up_by_the_code_when_one_is_configured(name: str) -> None:
    assert pickup_method(_dialogs(name), code_configured=True) is PickupMethod.FEATURE_CODE
    assert pickup_method(_dialogs(name), code_configured=False) is PickupMethod.NONE


def test_a_named_dialog_is_picked_up_by_replaces_even_with_a_code() -> None:
    dialogs = _dialogs("01_early.xml")
    assert pickup_method(dialogs, code_configured=True) is PickupMethod.REPLACES
    assert pickup_method(dialogs, code_configured=False) is PickupMethod.REPLACES


def test_nothing_to_pick_up_when_asterisk_reports_the_line_idle() -> None:
    dialogs = _dialogs("07_asterisk_pjsip_early_minimal.xml", "10_asterisk_pjsip_idle.xml")
    assert line_state(dialogs, dnd=False) is LineState.FREE
    assert pickup_method(dialogs, code_configured=True) is PickupMethod.NONE


def test_a_named_dialog_whose_caller_is_no_sip_user_falls_back_to_the_code() -> None:
    body = (
        (FIXTURES / "01_early.xml")
        .read_text()
        .replace(
            "<identity>sip:1003@127.0.0.1</identity>", "<identity>sip:a b@127.0.0.1</identity>"
        )
    )
    dialogs = merge({}, parse_dialog_info(body))
    assert pickup_method(dialogs, code_configured=True) is PickupMethod.FEATURE_CODE


@pytest.mark.parametrize(
    ("replaces_known", "prefix", "method"),
    [
        (True, "**", PickupMethod.REPLACES),
        (True, "", PickupMethod.REPLACES),
        (False, "**", PickupMethod.FEATURE_CODE),
        (False, "", PickupMethod.REPLACES),  # the engine refuses: invalid_state
    ],
)
def test_the_click_uses_replaces_when_known_else_the_code(
    replaces_known: bool, prefix: str, method: PickupMethod
) -> None:
    assert choose_pickup(replaces_known, prefix) is method
