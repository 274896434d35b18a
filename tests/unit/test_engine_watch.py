"""The harness's crash watch: an engine death fails the test unless the test caused it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from softphone.app import SoftphoneApp
from softphone.bus import EventBus
from softphone.domain.events import EngineFailed
from support.engine_watch import EngineWatch


def _app() -> SoftphoneApp:
    return cast(SoftphoneApp, SimpleNamespace(bus=EventBus()))


def test_an_engine_death_nobody_caused_is_reported_once() -> None:
    watch, app = EngineWatch(), _app()
    watch.watch(app)
    app.bus.publish(EngineFailed("engine process exited with code -11"))
    assert watch.unexpected() == ["engine process exited with code -11"]
    assert watch.unexpected() == []


def test_a_kill_the_test_announced_is_not_a_failure_but_a_second_death_is() -> None:
    watch, app = EngineWatch(), _app()
    watch.watch(app)
    watch.expect_failure(app)
    app.bus.publish(EngineFailed("engine process exited with code -9"))
    assert watch.unexpected() == []
    watch.expect_failure(app)
    app.bus.publish(EngineFailed("engine process exited with code -9"))
    app.bus.publish(EngineFailed("engine process exited with code -11"))
    assert watch.unexpected() == ["engine process exited with code -11"]


def test_unwatch_reports_what_was_left() -> None:
    watch, app = EngineWatch(), _app()
    watch.watch(app)
    app.bus.publish(EngineFailed("engine process exited with code -6"))
    assert watch.unwatch(app) == ["engine process exited with code -6"]
    assert watch.unexpected() == []
