"""Which command a provisioning document's `locked` list refuses, and when the list is read."""

from __future__ import annotations

from softphone.web.locks import locked_setting


def test_commands_that_change_a_locked_setting_name_it() -> None:
    locked = lambda: ("account", "network", "voicemail")  # noqa: E731
    assert locked_setting("account.setup", {"server": "x"}, locked) == "account"
    assert locked_setting("network.update", {}, locked) == "network"
    assert locked_setting("directory.configure", {}, locked) is None
    update = {"feature_codes": {"voicemail": "*98"}}
    assert locked_setting("settings.update", update, locked) == "voicemail"
    assert locked_setting("settings.update", {"feature_codes": {"dnd_on": "*78"}}, locked) is None
    assert locked_setting("settings.update", {"language": "fr", "dnd": True}, locked) is None


def test_every_lockable_update_key_is_refused_when_locked() -> None:
    for key in ("forwarding", "feature_codes", "blf_users"):
        assert locked_setting("settings.update", {key: {}}, lambda k=key: (k,)) == key


def test_the_list_is_read_only_for_commands_that_change_a_lockable_setting() -> None:
    reads: list[int] = []

    def locked() -> tuple[str, ...]:
        reads.append(1)
        return ("account",)

    for name in ("call.dial", "call.hangup", "directory.search", "blf.states"):
        assert locked_setting(name, {"number": "1002"}, locked) is None
    assert locked_setting("settings.update", {"theme": "dark"}, locked) is None
    assert reads == []
