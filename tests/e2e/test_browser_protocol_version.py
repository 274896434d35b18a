"""A page built for another protocol version says so and sends the backend nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from softphone.app import SoftphoneApp
from softphone.web import wire
from support.app_harness import running_app
from support.waiting import until

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def commands_run() -> list[str]:
    return []


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    commands_run: list[str],
) -> Iterator[SoftphoneApp]:
    """The app, sending SCHEMA_VERSION + request.param, with every command it runs noted."""
    monkeypatch.setattr(wire, "SCHEMA_VERSION", wire.SCHEMA_VERSION + request.param)
    with running_app(tmp_path / "app") as running:
        run = running.commands.run

        def noted(name: Any, args: Any) -> Any:
            commands_run.append(str(name))
            return run(name, args)

        monkeypatch.setattr(running.commands, "run", noted)
        yield running


@pytest.mark.parametrize("app", [1], indirect=True)
def test_a_backend_of_another_version_gets_no_command_and_the_user_is_asked_to_restart(
    page: Page, commands_run: list[str], artifacts: Path
) -> None:
    title = page.get_by_role("heading", name="This window does not match the phone service")
    expect(title).to_be_visible(timeout=10_000)
    expect(page.get_by_role("alert")).to_contain_text("Quit the app and start it again")
    page.screenshot(path=str(artifacts / "e2e-protocol-version.png"))
    # The page closed its connection before showing this, and sends nothing before the check.
    assert commands_run == []


@pytest.mark.parametrize("app", [0], indirect=True)
def test_a_backend_of_the_same_version_gets_the_page_s_first_commands(
    page: Page, commands_run: list[str]
) -> None:
    """The control: the same page does send commands at once (the audio devices)."""
    until(lambda: "audio.devices" in commands_run, 10, "the page's audio.devices")
    expect(
        page.get_by_role("heading", name="This window does not match the phone service")
    ).to_have_count(0)
