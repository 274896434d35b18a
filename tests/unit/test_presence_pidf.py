"""PIDF presence bodies (as pjsua publishes them, as Kamailio relays them) read for DND."""

from __future__ import annotations

import pytest

from softphone.domain.presence import PresenceError, parse_pidf_dnd

# The shape pjsua 2.15 PUBLISHes for PJRPID_ACTIVITY_BUSY with note "dnd" (pjsip's
# pjsip_pres_create_pidf + pjrpid_add_element): a tuple note and an RPID person.
PJSUA_DND = """<?xml version="1.0" encoding="UTF-8"?>
<presence entity="sip:1001@127.0.0.1" xmlns="urn:ietf:params:xml:ns:pidf" \
xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid">
 <tuple id="pj7dd3c8d1">
  <status>
   <basic>open</basic>
  </status>
  <timestamp>2026-12-01T10:00:00.000Z</timestamp>
  <note>dnd</note>
 </tuple>
 <dm:person id="pj1c0a5e12">
  <rpid:activities>
   <rpid:busy />
  </rpid:activities>
  <dm:note>dnd</dm:note>
 </dm:person>
</presence>"""

ONLINE = (
    PJSUA_DND.replace("<note>dnd</note>", "<note>Online</note>")
    .replace("<rpid:busy />", "<rpid:unknown />")
    .replace("<dm:note>dnd</dm:note>", "<dm:note>Online</dm:note>")
)


def test_pjsua_dnd_is_dnd_and_online_is_not() -> None:
    assert parse_pidf_dnd(PJSUA_DND) is True
    assert parse_pidf_dnd(ONLINE) is False


def test_an_rpid_busy_activity_alone_is_dnd() -> None:
    body = ONLINE.replace("<rpid:unknown />", "<rpid:busy />")
    assert parse_pidf_dnd(body) is True


def test_a_note_spelling_out_do_not_disturb_is_dnd() -> None:
    body = ONLINE.replace("<note>Online</note>", "<note>Do Not Disturb</note>")
    assert parse_pidf_dnd(body) is True


def test_an_empty_body_is_nothing_published() -> None:
    assert parse_pidf_dnd("") is False


@pytest.mark.parametrize(
    "body",
    [
        "<presence",  # not XML
        '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"/>',  # another package
        '<!DOCTYPE x [<!ENTITY a "dnd">]><presence xmlns="urn:ietf:params:xml:ns:pidf"/>',
        '<presence xmlns="urn:ietf:params:xml:ns:pidf">' + "<note>x</note>" * 70000 + "</presence>",
    ],
)
def test_hostile_or_foreign_bodies_are_refused(body: str) -> None:
    with pytest.raises(PresenceError):
        parse_pidf_dnd(body)
