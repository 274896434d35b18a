"""The remembered window geometry is brought back onto a screen that exists."""

from __future__ import annotations

import json

import pytest

from softphone.domain.settings import Settings
from softphone.domain.window import Rect, WindowGeometry, clamp_to_screens, geometry_from_json
from softphone.settings.schema import from_json, to_json

LAPTOP = Rect(0, 0, 1366, 768)
LEFT_MONITOR = Rect(-1920, 0, 1920, 1080)


def test_a_window_inside_its_screen_is_kept_as_saved() -> None:
    saved = WindowGeometry(100, 50, 800, 600)
    assert clamp_to_screens(saved, [LAPTOP]) == saved


def test_a_window_on_an_unplugged_monitor_is_centred_on_the_primary_screen() -> None:
    saved = WindowGeometry(-1500, 100, 800, 600)  # was on the left monitor, now gone
    fitted = clamp_to_screens(saved, [LAPTOP])
    assert fitted == WindowGeometry((1366 - 800) // 2, (768 - 600) // 2, 800, 600)


def test_a_window_on_a_second_monitor_stays_there() -> None:
    saved = WindowGeometry(-1500, 100, 800, 600)
    assert clamp_to_screens(saved, [LAPTOP, LEFT_MONITOR]) == saved


def test_a_window_hanging_off_the_edge_is_pulled_inside() -> None:
    fitted = clamp_to_screens(WindowGeometry(1200, 700, 800, 600), [LAPTOP])
    assert fitted == WindowGeometry(1366 - 800, 768 - 600, 800, 600)


def test_a_window_larger_than_the_screen_shrinks_to_it_but_not_below_the_minimum() -> None:
    fitted = clamp_to_screens(WindowGeometry(0, 0, 2560, 1440), [LAPTOP], (400, 560))
    assert (fitted.width, fitted.height) == (1366, 768)
    small = clamp_to_screens(WindowGeometry(10, 10, 100, 100), [LAPTOP], (400, 560))
    assert (small.width, small.height) == (400, 560)


def test_maximized_is_kept_and_no_screens_means_no_change() -> None:
    saved = WindowGeometry(5000, 5000, 900, 700, maximized=True)
    assert clamp_to_screens(saved, []) == saved
    assert clamp_to_screens(saved, [LAPTOP]).maximized


def test_the_geometry_round_trips_through_the_settings_file() -> None:
    prefs = Settings(window=WindowGeometry(-20, 30, 1024, 700, maximized=True))
    assert from_json(json.loads(json.dumps(to_json(prefs)))).window == prefs.window
    assert from_json(json.loads(json.dumps(to_json(Settings())))).window is None


@pytest.mark.parametrize(
    "bad",
    [
        {"x": 0, "y": 0, "width": 0, "height": 10},
        {"x": "0", "y": 0, "width": 10, "height": 10},
        {"x": 0, "y": 0, "width": 10},
        {"x": 0, "y": 0, "width": 10, "height": 10, "evil": 1},
        {"x": 10**9, "y": 0, "width": 10, "height": 10},
        [1, 2, 3, 4],
    ],
)
def test_a_malformed_geometry_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        geometry_from_json(bad)
