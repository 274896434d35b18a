"""The call state machine: one set_state, changes published only when something changed."""

from __future__ import annotations

from softphone.domain.calls import Call, CallDirection, CallSnapshot, CallState, EndReason


def make_call(
    state: CallState = CallState.DIALING,
) -> tuple[Call, list[tuple[CallSnapshot, CallState | None]]]:
    seen: list[tuple[CallSnapshot, CallState | None]] = []
    clock = iter(float(t) for t in range(100, 200))
    snap = CallSnapshot(
        id="c1",
        direction=CallDirection.OUTGOING,
        state=state,
        number="1002",
        display_name="",
        remote_uri="sip:1002@pbx",
        created_at=99.0,
    )
    return Call(snap, lambda s, old: seen.append((s, old)), lambda: next(clock)), seen


def test_state_change_is_published_with_the_old_state() -> None:
    call, seen = make_call()
    assert call.set_state(CallState.RINGING_OUT)
    assert [(s.state, old) for s, old in seen] == [(CallState.RINGING_OUT, CallState.DIALING)]


def test_same_state_again_publishes_nothing() -> None:
    call, seen = make_call()
    call.set_state(CallState.RINGING_OUT)
    assert not call.set_state(CallState.RINGING_OUT)
    assert len(seen) == 1


def test_connected_sets_the_connection_time_once() -> None:
    call, _ = make_call()
    call.set_state(CallState.CONNECTED)
    first = call.snapshot.connected_at
    call.set_state(CallState.HELD)
    call.set_state(CallState.CONNECTED)
    assert first is not None and call.snapshot.connected_at == first


def test_connecting_does_not_start_the_duration() -> None:
    call, _ = make_call()
    call.set_state(CallState.CONNECTING)
    assert call.snapshot.connected_at is None


def test_hold_flag_follows_the_held_state() -> None:
    call, _ = make_call(CallState.CONNECTED)
    call.set_state(CallState.HELD)
    assert call.snapshot.held
    call.set_state(CallState.CONNECTED)
    assert not call.snapshot.held


def test_ended_is_final_and_records_reason_and_time() -> None:
    call, seen = make_call(CallState.CONNECTED)
    call.set_state(CallState.ENDED, end_reason=EndReason.HANGUP_REMOTE, sip_code=200)
    assert call.snapshot.end_reason is EndReason.HANGUP_REMOTE
    assert call.snapshot.ended_at is not None
    assert not call.set_state(CallState.CONNECTED)
    assert not call.update(muted=True)
    assert len(seen) == 1


def test_ended_without_reason_is_failed() -> None:
    call, _ = make_call()
    call.set_state(CallState.ENDED)
    assert call.snapshot.end_reason is EndReason.FAILED


def test_update_publishes_only_real_changes() -> None:
    call, seen = make_call(CallState.CONNECTED)
    assert not call.update(muted=False)
    assert call.update(muted=True)
    assert seen[-1][1] is None and seen[-1][0].muted
