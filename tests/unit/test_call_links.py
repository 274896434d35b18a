"""Call links are hostile text: what is refused, why, and what a good link puts in the keypad."""

from __future__ import annotations

import pytest

from softphone.__main__ import link_in
from softphone.bus import EventBus
from softphone.domain.account import AccountConfig
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event
from softphone.domain.links import (
    BadLinkError,
    DialRequested,
    LinkRefusal,
    LinkRefused,
    parse_link,
)
from softphone.domain.settings import Settings
from softphone.phone.links import PENDING_SECONDS, CallLinks
from softphone.web.link_commands import link_commands


@pytest.mark.parametrize(
    ("link", "number"),
    [
        ("tel:+41441234567", "+41441234567"),
        ("tel:+41-44-123-45-67", "+41441234567"),
        ("TEL:+41%2044%20123%2045%2067", "+41441234567"),
        ("tel:1002", "1002"),
        ("callto:+41441234567", "+41441234567"),
        ("callto://+41441234567", "+41441234567"),
        ("sip:1002@pbx.example.com", "1002@pbx.example.com"),
        ("sip:alice@127.0.0.1:5060", "alice@127.0.0.1:5060"),
        ("SIP:bob@[::1]:5070", "bob@[::1]:5070"),
        ("sips:carol@pbx.example.com", "sips:carol@pbx.example.com"),
    ],
)
def test_good_links_give_the_number_the_keypad_shows(link: str, number: str) -> None:
    assert parse_link(link).number == number


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("javascript:alert(1)", LinkRefusal.UNSUPPORTED_SCHEME),
        ("http://example.com/tel:+41441234567", LinkRefusal.UNSUPPORTED_SCHEME),
        ("https://evil.example/", LinkRefusal.UNSUPPORTED_SCHEME),
        ("file:///etc/passwd", LinkRefusal.UNSUPPORTED_SCHEME),
        ("data:text/html,<script>", LinkRefusal.UNSUPPORTED_SCHEME),
        ("+41441234567", LinkRefusal.UNSUPPORTED_SCHEME),
        ("", LinkRefusal.UNSUPPORTED_SCHEME),
        ("tel:+41441234567\n", LinkRefusal.HIDDEN_CHARACTERS),
        ("tel:+4144\x001234567", LinkRefusal.HIDDEN_CHARACTERS),
        ("tel:\x1b[2J+41441234567", LinkRefusal.HIDDEN_CHARACTERS),
        ("tel:+41\u202e7654321", LinkRefusal.HIDDEN_CHARACTERS),  # right-to-left override
        ("tel:+41\u2066900\u2069123", LinkRefusal.HIDDEN_CHARACTERS),  # isolates
        ("tel:+41\u200b441234567", LinkRefusal.HIDDEN_CHARACTERS),  # zero-width space
        ("tel:+41%0A441234567", LinkRefusal.HIDDEN_CHARACTERS),  # encoded newline
        ("tel:+41%E2%80%AE441234567", LinkRefusal.HIDDEN_CHARACTERS),  # encoded RLO
        ("tel:" + "1" * 300, LinkRefusal.TOO_LONG),
        ("sip:" + "a" * 5_000_000 + "@h", LinkRefusal.TOO_LONG),
        ("sip:x@h?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2", LinkRefusal.URI_PARAMETERS),
        ("sip:1002@pbx.example.com;transport=tcp", LinkRefusal.URI_PARAMETERS),
        ("sip:1002;user=phone@pbx.example.com", LinkRefusal.URI_PARAMETERS),
        ("sip:1002@pbx.example.com?Subject=x&Priority=emergency", LinkRefusal.URI_PARAMETERS),
        ("sip:1002%3Btransport%3Dtcp@pbx", LinkRefusal.URI_PARAMETERS),  # encoded ';'
        ("tel:+41441234567;phone-context=example.com", LinkRefusal.URI_PARAMETERS),
        ("tel:+41441234567;ext=12", LinkRefusal.URI_PARAMETERS),
        ("tel:", LinkRefusal.NOT_A_NUMBER),
        ("tel:+41abc", LinkRefusal.NOT_A_NUMBER),
        ("tel:+41%25300", LinkRefusal.NOT_A_NUMBER),  # double-encoded
        ("tel:%FF%FE", LinkRefusal.NOT_A_NUMBER),  # not UTF-8
        ("callto:skype.user", LinkRefusal.NOT_A_NUMBER),
        ("sip:@pbx.example.com", LinkRefusal.NOT_A_NUMBER),
        ("sip:1002", LinkRefusal.NOT_A_NUMBER),
        ("sip:1002@", LinkRefusal.NOT_A_NUMBER),
        ("sip:1002@bad host", LinkRefusal.NOT_A_NUMBER),
        ("sip:a<b>@pbx", LinkRefusal.NOT_A_NUMBER),
        ("sip:1002@-evil.example", LinkRefusal.NOT_A_NUMBER),
        ("sip:1002@pbx:99999999", LinkRefusal.NOT_A_NUMBER),
    ],
)
def test_hostile_links_are_refused_with_a_reason(link: str, reason: LinkRefusal) -> None:
    with pytest.raises(BadLinkError) as info:
        parse_link(link)
    assert info.value.reason is reason


class _FakePhone:
    """Records dials; `fail` makes dial refuse as Phone does when not registered."""

    def __init__(self, fail: ErrorKey | None = None) -> None:
        self.dialled: list[str] = []
        self.fail = fail

    def dial(self, number: str) -> str:
        if self.fail is not None:
            raise SoftphoneError(self.fail)
        self.dialled.append(number)
        return "call-1"


def _links(
    phone: _FakePhone, *, at_once: bool = False, clock: list[float] | None = None
) -> tuple[CallLinks, list[Event]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    now = clock if clock is not None else [1000.0]
    links = CallLinks(
        bus,
        phone,  # type: ignore[arg-type]
        lambda: Settings(call_links_at_once=at_once),
        lambda: AccountConfig(server="pbx.example.com", user="1001"),
        clock=lambda: now[0],
    )
    return links, seen


def test_a_link_is_offered_to_the_ui_and_not_dialled() -> None:
    phone = _FakePhone()
    links, seen = _links(phone)

    links.handle("tel:+41 44 123 45 67")

    assert phone.dialled == []
    assert seen == [DialRequested(1, "+41441234567", "tel", 1000.0)]
    assert links.pending() == seen[0]


def test_a_hostile_link_publishes_the_refusal_and_dials_nothing() -> None:
    phone = _FakePhone()
    links, seen = _links(phone, at_once=True)

    links.handle("sip:x@h?Replaces=abc")

    assert phone.dialled == []
    assert seen == [LinkRefused(1, LinkRefusal.URI_PARAMETERS, 1000.0)]


def test_a_sip_link_to_our_own_pbx_shows_the_extension() -> None:
    links, seen = _links(_FakePhone())

    links.handle("sip:1002@PBX.example.com")

    assert isinstance(seen[0], DialRequested) and seen[0].number == "1002"


def test_call_links_at_once_dials_without_an_offer() -> None:
    phone = _FakePhone()
    links, seen = _links(phone, at_once=True)

    links.handle("tel:+41441234567")

    assert phone.dialled == ["+41441234567"]
    assert seen == []


def test_call_links_at_once_that_cannot_dial_yet_offers_the_link_instead() -> None:
    links, seen = _links(_FakePhone(fail=ErrorKey.NOT_REGISTERED), at_once=True)

    links.handle("tel:+41441234567")

    assert [type(e) for e in seen] == [DialRequested]


def test_pending_link_is_dismissed_by_id_and_expires() -> None:
    clock = [1000.0]
    links, _seen = _links(_FakePhone(), clock=clock)
    links.handle("tel:1")
    links.handle("tel:2")

    links.dismiss(1)  # an older one: the newer stays
    pending = links.pending()
    assert isinstance(pending, DialRequested) and pending.number == "2"
    links.dismiss(2)
    assert links.pending() is None

    links.handle("tel:3")
    clock[0] += PENDING_SECONDS + 1
    assert links.pending() is None


@pytest.mark.parametrize(
    ("argv", "link"),
    [
        (["tel:+41441234567"], "tel:+41441234567"),
        (["--data-dir", "/tmp/x", "sip:1002@pbx"], "sip:1002@pbx"),
        (["--data-dir", "/tmp/x"], None),
        (["--help"], None),
        (["--version"], None),
        (["--port", "not-a-number", "tel:1"], None),
        (["--unknown-option", "javascript:alert(1)"], "javascript:alert(1)"),
    ],
)
def test_the_link_of_a_later_launch_is_its_positional_argument(
    argv: list[str], link: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert link_in(argv) == link
    assert capsys.readouterr() == ("", "")  # nothing printed into the running app's output


@pytest.mark.parametrize("bad", [True, "1", -1, None, 1.5])
def test_link_dismiss_takes_only_a_request_id(bad: object) -> None:
    links, _seen = _links(_FakePhone())
    links.handle("tel:1")
    dismiss = link_commands(links)["link.dismiss"]

    with pytest.raises(SoftphoneError) as info:
        dismiss({"id": bad})

    assert info.value.key is ErrorKey.INVALID_ARGUMENT
    assert links.pending() is not None
    dismiss({"id": 1})
    assert links.pending() is None
