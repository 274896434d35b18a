"""The account's DTMF method: default, round trip through settings.json, bad values refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from softphone.domain.account import AccountConfig, DtmfMethod
from softphone.domain.errors import SoftphoneError
from softphone.domain.settings import Settings
from softphone.settings.schema import from_json, to_json
from softphone.web.account_args import dtmf_method


def _file(settings: Settings) -> Any:
    """What settings.json holds (the store writes to_json through json.dumps)."""
    return json.loads(json.dumps(to_json(settings)))


def test_default_is_rfc4733_also_for_files_written_before_the_setting() -> None:
    data = _file(Settings(account=AccountConfig(server="pbx.example.com", user="1001")))
    assert data["account"]["dtmf_method"] == "rfc4733"
    del data["account"]["dtmf_method"]
    account = from_json(data).account
    assert account is not None and account.dtmf_method is DtmfMethod.RFC4733


def test_sip_info_survives_a_round_trip() -> None:
    config = AccountConfig(server="pbx.example.com", user="1001", dtmf_method=DtmfMethod.SIP_INFO)
    account = from_json(_file(Settings(account=config))).account
    assert account is not None and account.dtmf_method is DtmfMethod.SIP_INFO


def test_setup_argument() -> None:
    assert dtmf_method({}) is DtmfMethod.RFC4733
    assert dtmf_method({"dtmf_method": "SIP_INFO"}) is DtmfMethod.SIP_INFO
    with pytest.raises(SoftphoneError) as exc:
        dtmf_method({"dtmf_method": "inband"})
    assert exc.value.field == "dtmf_method"
    with pytest.raises(ValueError):
        data = _file(Settings(account=AccountConfig(server="pbx.example.com", user="1001")))
        data["account"]["dtmf_method"] = "inband"
        from_json(data)
