"""The SIP instance id: made once per account, kept in the data dir, checked before use."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from softphone.domain.account import AccountConfig, Transport
from softphone.domain.network import NetworkSettings
from softphone.domain.sip_instance import new_instance_id, valid_instance_id
from softphone.engine.nat import apply_instance_id
from softphone.settings.instance_id import InstanceIds

ID = "urn:uuid:6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c"


def test_an_account_keeps_its_instance_id_across_launches(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sip-instance.json"
    first = InstanceIds(path).for_account("sip:1001@pbx.example")
    assert valid_instance_id(first)
    again = InstanceIds(path).for_account("sip:1001@pbx.example")  # the next launch
    other = InstanceIds(path).for_account("sip:1002@pbx.example")
    assert again == first
    assert other != first
    assert json.loads(path.read_text()) == {
        "sip:1001@pbx.example": first,
        "sip:1002@pbx.example": other,
    }


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '["a list"]',
        '{"sip:1001@pbx.example": "urn:uuid:x\\r\\nVia: evil"}',
        '{"sip:1001@pbx.example": 7}',
    ],
)
def test_a_damaged_or_hostile_file_gives_a_new_valid_id(tmp_path: Path, content: str) -> None:
    path = tmp_path / "sip-instance.json"
    path.write_text(content)
    made = InstanceIds(path).for_account("sip:1001@pbx.example")
    assert valid_instance_id(made)
    assert InstanceIds(path).for_account("sip:1001@pbx.example") == made


def test_an_unwritable_data_dir_still_gives_one_id_per_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    ids = InstanceIds(blocker / "sip-instance.json")  # its parent is a file: never saved
    assert ids.for_account("sip:1001@x") == ids.for_account("sip:1001@x")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "urn:uuid:",
        "urn:uuid:6F1C2B3A-0D4E-4F5A-8B6C-7D8E9F0A1B2C",  # not canonical
        "urn:uuid:6f1c2b3a0d4e4f5a8b6c7d8e9f0a1b2c",
        f'{ID}>";evil="1',
        "6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c",
        None,
    ],
)
def test_only_a_canonical_uuid_urn_is_an_instance_id(value: object) -> None:
    assert not valid_instance_id(value)
    assert valid_instance_id(ID)
    assert valid_instance_id(new_instance_id())


def _config(transport: Transport, outbound: bool, instance: str) -> SimpleNamespace:
    """The two fields of pjsua2's AccountConfig that the instance id sets (a fake)."""
    acfg = SimpleNamespace(
        natConfig=SimpleNamespace(sipOutboundInstanceId=""),
        regConfig=SimpleNamespace(contactParams=""),
    )
    account = AccountConfig(server="pbx.example", user="1001", transport=transport)
    apply_instance_id(acfg, account, NetworkSettings(sip_outbound=outbound), instance)
    return acfg


def test_over_udp_the_instance_goes_into_the_register_contact_without_reg_id() -> None:
    acfg = _config(Transport.UDP, True, ID)
    assert acfg.regConfig.contactParams == f';+sip.instance="<{ID}>"'
    assert "reg-id" not in acfg.regConfig.contactParams


def test_over_tcp_with_outbound_pjsua_sends_our_instance_with_its_reg_id() -> None:
    acfg = _config(Transport.TCP, True, ID)
    assert acfg.natConfig.sipOutboundInstanceId == f"<{ID}>"
    assert acfg.regConfig.contactParams == ""  # pjsua adds it: never twice


def test_over_tls_without_outbound_the_instance_is_a_plain_contact_parameter() -> None:
    acfg = _config(Transport.TLS, False, ID)
    assert acfg.regConfig.contactParams == f';+sip.instance="<{ID}>"'


@pytest.mark.parametrize("value", ["", f'{ID}>";q=1'])
def test_no_or_an_invalid_instance_id_changes_nothing(value: str) -> None:
    acfg = _config(Transport.UDP, True, value)
    assert acfg.regConfig.contactParams == ""
    assert acfg.natConfig.sipOutboundInstanceId == ""
