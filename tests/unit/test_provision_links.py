"""softphone://provision?url=... links are hostile text: only one clean https URL gets through,
and it only fills the sign-in form (no fetch, no sign-in, nothing dialled)."""

from __future__ import annotations

import pytest

from softphone.__main__ import link_in
from softphone.bus import EventBus
from softphone.domain.account import AccountConfig
from softphone.domain.events import Event
from softphone.domain.links import (
    BadLinkError,
    LinkRefusal,
    LinkRefused,
    ProvisionRequested,
    parse_provision_link,
)
from softphone.domain.settings import Settings
from softphone.phone.links import CallLinks
from softphone.web import wire

GOOD = "https%3A%2F%2Fprov.example.com%2Fsoftphone%2F%7Bemail%7D.json"


@pytest.mark.parametrize(
    ("link", "url"),
    [
        (f"softphone://provision?url={GOOD}", "https://prov.example.com/softphone/{email}.json"),
        ("SOFTPHONE://Provision/?url=https://prov.example.com/a", "https://prov.example.com/a"),
        ("softphone://provision?url=https://127.0.0.1:8443/p", "https://127.0.0.1:8443/p"),
        (
            "softphone://provision?url=https://[::1]:8443/p?u={user}",
            "https://[::1]:8443/p?u={user}",
        ),
    ],
)
def test_a_clean_https_url_is_taken(link: str, url: str) -> None:
    assert parse_provision_link(link) == url


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        # Not https: the password would travel in clear, or go to a file or a script.
        ("softphone://provision?url=http://prov.example.com/a", "bad_provisioning_url"),
        ("softphone://provision?url=HTTPS://prov.example.com/a", "bad_provisioning_url"),
        ("softphone://provision?url=javascript:alert(1)", "bad_provisioning_url"),
        ("softphone://provision?url=file:///etc/passwd", "bad_provisioning_url"),
        ("softphone://provision?url=https:///no-host", "bad_provisioning_url"),
        ("softphone://provision?url=//prov.example.com/a", "bad_provisioning_url"),
        ("softphone://provision?url=", "bad_provisioning_url"),
        # Credentials in the link, or a host that hides another one.
        ("softphone://provision?url=https://admin:pw@prov.example.com/", "bad_provisioning_url"),
        ("softphone://provision?url=https%3A%2F%2Fgood.com%40evil.com%2F", "bad_provisioning_url"),
        ("softphone://provision?url=https://prov.example.com:99999/", "bad_provisioning_url"),
        ("softphone://provision?url=https://prov.example.com/#frag", "unsupported_scheme"),
        ("softphone://provision?url=https://prov.example.com/%23frag", "bad_provisioning_url"),
        ("softphone://provision?url=https://prov.example.com/a+b", "bad_provisioning_url"),
        ("softphone://provision?url=https://prov.example.com/<script>", "bad_provisioning_url"),
        # Control, bidi and zero-width characters, raw or percent-encoded.
        ("softphone://provision?url=https://prov.example.com/\n", "hidden_characters"),
        ("softphone://provision?url=https://prov.example.com/%0Aevil", "hidden_characters"),
        ("softphone://provision?url=https://prov.example.com/%00", "hidden_characters"),
        ("softphone://provision?url=https://evil.com%E2%80%AE/moc.doog", "hidden_characters"),
        ("softphone://provision?url=https://prov\u200b.example.com/", "hidden_characters"),
        ("softphone://provision?url=https://prov.example.com/%FF", "bad_provisioning_url"),
        # One url= only, nothing else (no password=, no auto-sign-in switch).
        (f"softphone://provision?url={GOOD}&url=https://evil.com/", "uri_parameters"),
        (f"softphone://provision?url={GOOD}&password=x", "uri_parameters"),
        (f"softphone://provision?url={GOOD}&signin=1", "uri_parameters"),
        ("softphone://provision?URL=https://prov.example.com/", "uri_parameters"),
        ("softphone://provision", "uri_parameters"),
        ("softphone://provision?url", "bad_provisioning_url"),
        # Another softphone:// action, or a provision link with a path, user or port.
        ("softphone://provisioning?url=https://prov.example.com/", "unsupported_scheme"),
        ("softphone://provision/evil?url=https://prov.example.com/", "unsupported_scheme"),
        ("softphone://x@provision?url=https://prov.example.com/", "unsupported_scheme"),
        ("softphone://provision:80?url=https://prov.example.com/", "unsupported_scheme"),
        # Too long, before or after decoding.
        ("softphone://provision?url=https://prov.example.com/" + "a" * 2100, "too_long"),
        ("softphone://provision?url=https://p.example.com/" + "%41" * 2100, "too_long"),
        ("softphone://provision?url=" + "a" * 100_000, "too_long"),
    ],
)
def test_hostile_provision_links_are_refused_with_the_reason(link: str, reason: str) -> None:
    with pytest.raises(BadLinkError) as caught:
        parse_provision_link(link)
    assert caught.value.reason.value == reason


def _links() -> tuple[CallLinks, list[Event], list[str]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    dialled: list[str] = []

    class Phone:
        def dial(self, number: str) -> str:
            dialled.append(number)
            return "call-1"

    links = CallLinks(
        bus,
        Phone(),  # type: ignore[arg-type]
        lambda: Settings(call_links_at_once=True),  # even then: a provision link dials nothing
        lambda: AccountConfig(server="pbx.example.com", user="1001"),
        clock=lambda: 1000.0,
    )
    return links, seen, dialled


def test_a_provision_link_only_offers_the_sign_in_form() -> None:
    links, seen, dialled = _links()
    links.handle(f"softphone://provision?url={GOOD}")
    url = "https://prov.example.com/softphone/{email}.json"
    assert seen == [ProvisionRequested(1, url, 1000.0)]
    assert dialled == []
    assert links.pending() == seen[0]  # the first launch's window gets it in the snapshot
    assert wire.to_wire(seen[0]) == {"type": "provision_requested", "id": 1, "url": url}
    links.dismiss(1)
    assert links.pending() is None


def test_a_hostile_provision_link_is_refused_without_its_text() -> None:
    links, seen, dialled = _links()
    links.handle("softphone://provision?url=http://evil.example.com/")
    assert seen == [LinkRefused(1, LinkRefusal.BAD_PROVISIONING_URL, 1000.0)]
    assert dialled == []
    assert "evil" not in str(wire.to_wire(seen[0]))


def test_a_second_launch_hands_the_provision_link_over() -> None:
    link = f"softphone://provision?url={GOOD}"
    assert link_in([link]) == link
