"""The engine's SIP guard: which requests it drops before pjsip's transaction layer."""

from __future__ import annotations

from softphone.engine.sip_guard import method_mismatch


def test_the_sip_guard_spots_a_cseq_method_that_is_not_the_request_method() -> None:
    ok = b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\nCSeq: 1 INVITE\r\n\r\n"
    assert not method_mismatch(ok)
    assert method_mismatch(ok.replace(b"CSeq: 1 INVITE", b"cseq:  7   ACK"))
    assert method_mismatch(b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\nCSeq: 1 OPTIONS")
    assert not method_mismatch(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n")  # pjsip's to refuse
