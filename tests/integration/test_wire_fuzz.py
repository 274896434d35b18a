"""Random and malformed Socket.IO commands get error acks, never a crash or a stuck engine.

`account.setup` is left out of the random names on purpose: a well-formed random host name
would make the app resolve it, i.e. send DNS traffic off this machine.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration

KNOWN = [
    "account.sign_out",
    "call.dial",
    "call.answer",
    "call.reject",
    "call.hangup",
    "call.dtmf",
    "call.hold",
    "call.resume",
    "call.mute",
    "call.transfer",
    "call.transfer_attended",
    "call.conference",
    "settings.update",
    "history.list",
    "history.mark_seen",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=20,
)
names = st.sampled_from(KNOWN) | st.text(max_size=40) | st.none() | st.integers()
arg_keys = st.sampled_from(
    [
        "number",
        "call_id",
        "digits",
        "muted",
        "target",
        "language",
        "theme",
        "filter",
        "before",
        "limit",
        "call_waiting",
        "to_call_id",
        "feature_codes",
        "dtmf_method",
    ]
) | st.text(max_size=10)
args = st.dictionaries(arg_keys, json_values, max_size=4) | json_values


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftphoneApp]:
    with running_app(Path(tmp_path_factory.mktemp("fuzz")) / "app") as running:
        yield running


@pytest.fixture(scope="module")
def ui(app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names, arguments=args)
def test_random_commands_get_an_ack(ui: UiClient, name: Any, arguments: Any) -> None:
    reply = ui.sio.call("command", {"name": name, "args": arguments}, timeout=10)
    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool)
    if not reply["ok"]:
        assert isinstance(reply["error"], str) and reply["error"].islower()
        assert reply["error"] != "internal_error", (name, arguments, reply)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=json_values)
def test_malformed_command_envelopes_get_an_ack(ui: UiClient, payload: Any) -> None:
    reply = ui.sio.call("command", payload, timeout=10)
    assert isinstance(reply, dict) and reply.get("ok") is False


def test_after_the_fuzzing_the_server_and_engine_still_answer(
    app: SoftphoneApp, ui: UiClient
) -> None:
    pid = app.engine.pid
    conn = http.client.HTTPConnection("127.0.0.1", app.web.port, timeout=5)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    assert ui.command("call.dial", number="1002") == {
        "ok": False,
        "error": "no_account",
        "field": None,
    }
    assert app.engine.pid == pid
    assert ui.command("no.such.command")["error"] == "invalid_command"
    assert ui.command("call.hangup", call_id=["not", "a", "string"])["error"] == "invalid_argument"
