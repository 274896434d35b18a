"""The tray host watch: a new StatusNotifierWatcher that does not list the icon gets it made
again (Qt registers once, and a watcher that takes its name before serving loses that call),
a bounded number of times; one that lists it is left alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from softphone.desktop import tray


class FakeSniBus:
    """The session bus's answers, set by the test (D-Bus is the library boundary here)."""

    def __init__(self) -> None:
        self.owner: str | None = ":1.5"
        self.listed: bool | None = True
        self.asked = 0

    def watcher(self) -> str | None:
        return self.owner

    def lists_this_process(self) -> bool | None:
        self.asked += 1
        return self.listed

    def close(self) -> None:
        pass


@pytest.fixture
def qt_app() -> Iterator[None]:
    from qtpy.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])
    yield
    del app


def _watch(bus: FakeSniBus, made: list[int], shown: bool = True) -> tray.TrayHostWatch:
    return tray.TrayHostWatch(
        lambda: made.append(1),
        icon_shown=lambda: shown,
        bus=bus,  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def host_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tray, "tray_available", lambda: True)


def test_a_new_watcher_that_lost_the_registration_gets_the_icon_again(qt_app: None) -> None:
    bus, made = FakeSniBus(), list[int]()
    watch = _watch(bus, made)
    watch.poll()  # the first watcher lists the icon
    assert made == [] and bus.asked == 1
    bus.owner, bus.listed = ":1.9", False  # the panel restarted; Qt's call to it failed
    watch.poll()  # Qt is given until the next poll
    assert made == []
    watch.poll()
    assert made == [1]
    bus.listed = True  # the icon made again registered
    watch.poll()
    watch.poll()
    assert made == [1]
    watch.stop()


def test_making_the_icon_again_is_tried_three_times_per_watcher(qt_app: None) -> None:
    bus, made = FakeSniBus(), list[int]()
    bus.listed = False
    watch = _watch(bus, made)
    for _ in range(10):
        watch.poll()
    assert made == [1, 1, 1]
    bus.owner = ":1.12"  # another watcher: tried again
    for _ in range(10):
        watch.poll()
    assert len(made) == 6
    watch.stop()


def test_a_listed_icon_is_not_asked_about_again(qt_app: None) -> None:
    bus, made = FakeSniBus(), list[int]()
    watch = _watch(bus, made)
    for _ in range(5):
        watch.poll()
    assert bus.asked == 1 and made == []
    watch.stop()


@pytest.mark.parametrize("case", ["no icon", "no watcher", "bus unusable"])
def test_nothing_is_made_when_there_is_nothing_to_check(qt_app: None, case: str) -> None:
    bus, made = FakeSniBus(), list[int]()
    bus.listed = False
    if case == "no watcher":
        bus.owner = None
    if case == "bus unusable":
        bus.listed = None
    watch = _watch(bus, made, shown=case != "no icon")
    for _ in range(5):
        watch.poll()
    assert made == []
    watch.stop()
