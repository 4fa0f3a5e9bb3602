"""MMS decoder: byte-literal PDUs through TPKT / COTP / session / presentation / ACSE, framing, pairing,
violations and fuzzing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from mms_bytes import (
    INITIATE_REQUEST,
    INITIATE_RESPONSE,
    aare,
    aarq,
    accept,
    confirmed_request,
    confirmed_response,
    connect,
    cr,
    domain_name,
    dt,
    events,
    feed_all,
    integer,
    session_dt,
    tlv,
    vstr,
)

from plantwarden.core.events import Event
from plantwarden.decoders.mms import MmsDecoder
from plantwarden.decoders.registry import DECODERS

ROOT = Path(__file__).resolve().parents[3]


def _assoc() -> tuple[MmsDecoder, list[Event]]:
    dec = MmsDecoder()
    evs = feed_all(dec, (cr(), True), (connect(aarq(INITIATE_REQUEST)), True),
                   (accept(aare(INITIATE_RESPONSE)), False))
    return dec, evs


def _one(dec: MmsDecoder, data: bytes, is_orig: bool) -> list[Event]:
    return dec.feed(data, is_orig, 9.0, 99)


def _names(evs: list[Event]) -> list[str]:
    return [e.name if not e.is_weird else "weird:" + e.fields["name"] for e in evs]


def test_registered_after_s7comm() -> None:
    names = [d.name for d in DECODERS]
    assert names.index("mms") == names.index("s7comm") + 1
    assert MmsDecoder.default_ports == (102,) and MmsDecoder.transport == "tcp"


def test_association_events_and_confirmation() -> None:
    dec, evs = _assoc()
    assert _names(evs) == ["mms_cotp_connect_request", "mms_associate_request", "mms_initiate_request",
                           "mms_associate_response", "mms_initiate_response"]
    assert dec.confirmed
    crq = evs[0].fields
    assert (crq["src_tsap"], crq["dst_tsap"], crq["tpdu_size"], crq["class"]) == ("0001", "0001", 1024, 0)
    rq = evs[1].fields
    assert rq["presentation_contexts"] == [{"id": 1, "abstract_syntax": "2.2.1.0.1", "name": "acse"},
                                           {"id": 3, "abstract_syntax": "1.0.9506.2.1", "name": "mms"}]
    assert rq["application_context"] == "1.0.9506.2.3"
    assert rq["application_context_name"] == "mms_application_context"
    assert (rq["called_ap_title"], rq["called_ae_qualifier"]) == ("1.1.1.999.1", 12)
    assert (rq["calling_ap_title"], rq["calling_ae_qualifier"]) == ("1.1.1.999.2", 22)
    assert rq["authentication"] == "password" and rq["authentication_mechanism"] == "2.2.3.1"
    assert "secret" not in json.dumps(rq)  # the password itself is never logged
    assert rq["calling_session_selector"] == "0001" and rq["called_presentation_selector"] == "00000001"
    ini = evs[2].fields
    assert (ini["max_outstanding_calling"], ini["max_nesting"], ini["version"]) == (5, 10, 1)
    assert "read" in ini["services_supported"] and "rename" not in ini["services_supported"]
    assert ini["parameter_cbb"] == ["str1", "str2", "vnam", "valt", "vlis"]
    rs = evs[3].fields
    assert rs["result"] == "accepted" and rs["presentation_results"] == ["acceptance", "acceptance"]
    assert rs["responding_ap_title"] == "1.1.1.999.1" and rs["diagnostic_source"] == "service_user"


def test_rejected_association() -> None:
    evs = events((accept(aare(INITIATE_RESPONSE, result=1)), False))
    assert evs[0].name == "mms_associate_response" and evs[0].fields["result"] == "rejected_permanent"


def test_bare_cotp_connect_does_not_confirm() -> None:
    dec = MmsDecoder()
    feed_all(dec, (cr(), True))
    assert not dec.confirmed and not dec.violated


def test_read_request_and_response_paired() -> None:
    dec, _ = _assoc()
    req = confirmed_request(7, tlv(0xA4, tlv(0xA1, tlv(0xA0, tlv(0x30, tlv(0xA0, domain_name("LD0", "LLN0$ST$Mod"))),
                                                         tlv(0x30, tlv(0xA0, vstr(0x80, "vmdvar")))))))
    (ev,) = _one(dec, session_dt(req), True)
    assert ev.name == "mms_read_request"
    f = ev.fields
    assert (f["pdu"], f["invoke_id"], f["service"], f["service_code"]) == ("confirmed_request", 7, "read", 4)
    assert f["variables"] == [{"domain": "LD0", "item": "LLN0$ST$Mod"}, {"item": "vmdvar"}]
    data = tlv(0xA1, integer(0x85, -3), tlv(0xA2, tlv(0x83, b"\x01"), tlv(0x87, bytes.fromhex("08 3fc00000")),
                                           tlv(0x84, bytes.fromhex("06 40")), vstr(0x8A, "txt"),
                                           tlv(0x91, bytes.fromhex("4b000000 80000000")),
                                           tlv(0x89, b"\x01\x02")),
               tlv(0x80, b"\x0a"))
    (ev,) = _one(dec, session_dt(confirmed_response(7, tlv(0xA4, data))), False)
    assert ev.name == "mms_read_response"
    assert ev.fields["values"] == [-3, [True, 1.5, "40/2", "txt", "2009-11-15T13:20:00.500Z", "0102"],
                                   {"failure": "object_non_existent"}]
    assert ev.fields["request_variables"] == [{"domain": "LD0", "item": "LLN0$ST$Mod"}, {"item": "vmdvar"}]


def test_read_of_a_named_variable_list() -> None:
    req = confirmed_request(1, tlv(0xA4, tlv(0x80, b"\x00"), tlv(0xA1, tlv(0xA1, domain_name("D", "DS1")))))
    (ev,) = events((dt(req), True))
    assert ev.fields["variable_list"] == {"domain": "D", "item": "DS1"}
    assert ev.fields["specification_with_result"] is False


def test_write_request_and_response() -> None:
    req = confirmed_request(2, tlv(0xA5, tlv(0xA0, tlv(0x30, tlv(0xA0, domain_name("LD", "CSWI1$CO$Pos$Oper")))),
                                   tlv(0xA0, tlv(0x83, b"\x01"))))
    resp = confirmed_response(2, tlv(0xA5, tlv(0x81, b""), integer(0x80, 3)))
    evs = events((dt(req), True), (dt(resp), False))
    assert _names(evs) == ["mms_write_request", "mms_write_response"]
    assert evs[0].fields["variables"] == [{"domain": "LD", "item": "CSWI1$CO$Pos$Oper"}]
    assert evs[0].fields["values"] == [True]
    assert evs[1].fields["results"] == ["success", "object_access_denied"]
    assert evs[1].fields["request_variables"] == evs[0].fields["variables"]


def test_identify_response_carries_identity() -> None:
    resp = confirmed_response(3, tlv(0xA2, vstr(0x80, "ACME"), vstr(0x81, "IED-9\x00"), vstr(0x82, "1.2.3")))
    evs = events((dt(confirmed_request(3, b"\x82\x00")), True), (dt(resp), False))
    assert _names(evs) == ["mms_identify_request", "mms_identify_response"]
    assert evs[1].fields["identity"] == {"vendor": "ACME", "model": "IED-9", "revision": "1.2.3"}


def test_get_name_list() -> None:
    req = confirmed_request(4, tlv(0xA1, tlv(0xA0, integer(0x80, 9)), tlv(0xA1, vstr(0x81, "LD0")),
                                   vstr(0x82, "after")))
    resp = confirmed_response(4, tlv(0xA1, tlv(0xA0, vstr(0x1A, "A"), vstr(0x1A, "B")), tlv(0x81, b"\x00")))
    evs = events((dt(req), True), (dt(resp), False))
    assert evs[0].fields["object_class"] == "domain" and evs[0].fields["object_scope"] == "domain"
    assert evs[0].fields["domain"] == "LD0" and evs[0].fields["continue_after"] == "after"
    assert evs[1].fields["identifiers"] == ["A", "B"] and evs[1].fields["more_follows"] is False


def test_variable_attributes_and_lists() -> None:
    gvaa = confirmed_request(5, tlv(0xA6, tlv(0xA0, domain_name("LD", "MMXU1$MX"))))
    gvaa_r = confirmed_response(5, tlv(0xA6, tlv(0x80, b"\x00"), tlv(0xA2, tlv(0xA2, tlv(0xA1, tlv(
        0x30, vstr(0x80, "TotW"), tlv(0xA1, tlv(0x83, b""))), tlv(0x30, vstr(0x80, "Hz"), tlv(0xA1, tlv(0x83, b""))))))))
    nvl = confirmed_request(6, tlv(0xAC, domain_name("LD", "LLN0$DS")))
    nvl_r = confirmed_response(6, tlv(0xAC, tlv(0x80, b"\x01"), tlv(0xA1, tlv(0x30, tlv(0xA0, domain_name("LD", "X"))))))
    define = confirmed_request(7, tlv(0xAB, domain_name("LD", "NEW"), tlv(0xA0, tlv(0x30, tlv(0xA0, domain_name("LD", "Y"))))))
    evs = events((dt(gvaa), True), (dt(gvaa_r), False), (dt(nvl), True), (dt(nvl_r), False), (dt(define), True))
    assert _names(evs) == ["mms_get_variable_access_attributes_request", "mms_get_variable_access_attributes_response",
                           "mms_get_named_variable_list_attributes_request",
                           "mms_get_named_variable_list_attributes_response", "mms_define_named_variable_list_request"]
    assert evs[0].fields["object"] == {"domain": "LD", "item": "MMXU1$MX"}
    assert evs[1].fields["type"] == "structure" and evs[1].fields["components"] == ["TotW", "Hz"]
    assert evs[1].fields["mms_deletable"] is False
    assert evs[2].fields["variable_list"] == {"domain": "LD", "item": "LLN0$DS"}
    assert evs[3].fields["variables"] == [{"domain": "LD", "item": "X"}] and evs[3].fields["mms_deletable"]
    assert evs[4].fields["variable_list"] == {"domain": "LD", "item": "NEW"}
    assert evs[4].fields["variables"] == [{"domain": "LD", "item": "Y"}]


def test_information_report() -> None:
    rpt = tlv(0xA3, tlv(0xA0, tlv(0xA1, vstr(0x80, "RPT")), tlv(0xA0, vstr(0x8A, "LD0/LLN0$rcb"), integer(0x86, 7))))
    (ev,) = events((session_dt(rpt), False))
    assert ev.name == "mms_information_report"
    assert ev.fields["variable_list"] == {"item": "RPT"} and ev.fields["values"] == ["LD0/LLN0$rcb", 7]
    assert ev.fields["service"] == "information_report"


def test_errors_are_paired_with_their_request() -> None:
    err = tlv(0xA2, integer(0x80, 8), tlv(0xA2, tlv(0xA0, integer(0x87, 2)), vstr(0x82, "no")))
    evs = events((dt(confirmed_request(8, b"\x82\x00")), True), (dt(err), False), (dt(err), False))
    assert _names(evs) == ["mms_identify_request", "mms_identify_error", "mms_confirmed_error"]
    f = evs[1].fields
    assert (f["service"], f["error_class"], f["error_code"], f["additional_description"]) == ("identify", "access", 2, "no")
    assert "service" not in evs[2].fields and evs[2].fields["invoke_id"] == 8


def test_reject_cancel_conclude_and_unknown_service() -> None:
    evs = events((dt(tlv(0xA4, integer(0x80, 5), integer(0x81, 1))), False),
                 (dt(integer(0x85, 9)), True), (dt(integer(0x86, 9)), False),
                 (dt(b"\x8b\x00"), True), (dt(b"\x8c\x00"), False),
                 (dt(confirmed_request(1, tlv(b"\x9f\x63", b""))), True))
    assert _names(evs) == ["mms_reject", "mms_cancel_request", "mms_cancel_response", "mms_conclude_request",
                           "mms_conclude_response", "mms_unknown_99_request"]
    assert evs[0].fields["rejected_pdu"] == "confirmed_request" and evs[0].fields["reject_code"] == 1
    assert evs[0].fields["invoke_id"] == 5 and evs[1].fields["invoke_id"] == 9
    assert evs[5].fields["service"] == "unknown-99"


def test_program_invocation_domain_semaphore_and_file_services() -> None:
    fname = tlv(0xA0, vstr(0x19, "dir"), vstr(0x19, "a.cfg"))
    cases = [
        (tlv(b"\xbf\x28", vstr(0x80, "P1"), vstr(0x81, "arg")), "mms_start_request",
         {"program_invocation": "P1", "execution_argument": "arg"}),
        (tlv(b"\xbf\x29", vstr(0x80, "P1")), "mms_stop_request", {"program_invocation": "P1"}),
        (tlv(b"\x9f\x27", b"P2"), "mms_delete_program_invocation_request", {"program_invocation": "P2"}),
        (tlv(b"\x9f\x25", b"DOM"), "mms_get_domain_attributes_request", {"domain": "DOM"}),
        (tlv(0x9D, b"DOM"), "mms_initiate_upload_sequence_request", {"domain": "DOM"}),
        (tlv(b"\x9f\x1f", b"\x05"), "mms_terminate_upload_sequence_request", {"ulsm_id": 5}),
        (tlv(0xBA, vstr(0x80, "DOM"), tlv(0xA1, vstr(0x1A, "cap"))), "mms_initiate_download_sequence_request",
         {"domain": "DOM", "capabilities": ["cap"]}),
        (tlv(0xB3, tlv(0xA0, vstr(0x80, "sem"))), "mms_take_control_request", {"object": {"item": "sem"}}),
        (tlv(0xB4, vstr(0x80, "sem")), "mms_relinquish_control_request", {"object": {"item": "sem"}}),
        (tlv(b"\xbf\x48", fname, integer(0x81, 0)), "mms_file_open_request", {"file": "dir/a.cfg", "initial_position": 0}),
        (tlv(b"\x9f\x49", b"\x01"), "mms_file_read_request", {"frsm_id": 1}),
        (tlv(b"\x9f\x4a", b"\x01"), "mms_file_close_request", {"frsm_id": 1}),
        (tlv(b"\xbf\x4c", vstr(0x19, "x.bin")), "mms_file_delete_request", {"file": "x.bin"}),
        (tlv(b"\xbf\x4d", fname), "mms_file_directory_request", {"file": "dir/a.cfg"}),
        (tlv(b"\xbf\x2e", tlv(0xA1, vstr(0x19, "src")), tlv(0xA2, vstr(0x19, "dst"))), "mms_obtain_file_request",
         {"file": "src", "destination_file": "dst"}),
        (tlv(0x80, b"\x01"), "mms_status_request", {"extended_derivation": True}),
        (tlv(b"\xbf\x3f", tlv(0x80, b"\x00")), "mms_get_alarm_summary_request", {}),
    ]
    for body, name, want in cases:
        (ev,) = events((dt(confirmed_request(1, body)), True))
        assert ev.name == name, body.hex()
        assert {k: ev.fields[k] for k in want} == want, name


def test_file_and_status_responses() -> None:
    dec = MmsDecoder()
    attrs = tlv(0xA1, integer(0x80, 1234), vstr(0x81, "20240101120000Z"))
    _one(dec, dt(confirmed_request(1, tlv(b"\xbf\x48", tlv(0xA0, vstr(0x19, "f"))))), True)
    (op,) = _one(dec, dt(confirmed_response(1, tlv(b"\xbf\x48", integer(0x80, 4), attrs))), False)
    assert (op.fields["frsm_id"], op.fields["file_size"], op.fields["last_modified"]) == (4, 1234, "20240101120000Z")
    entry = tlv(0x30, tlv(0xA0, vstr(0x19, "a.txt")), attrs)
    (dr,) = _one(dec, dt(confirmed_response(2, tlv(b"\xbf\x4d", tlv(0xA0, entry)))), False)
    assert dr.fields["files"] == [{"name": "a.txt", "file_size": 1234, "last_modified": "20240101120000Z"}]
    assert dr.fields["more_follows"] is False
    (rd,) = _one(dec, dt(confirmed_response(3, tlv(b"\xbf\x49", tlv(0x80, b"abc"), tlv(0x81, b"\x00")))), False)
    assert rd.fields["data_length"] == 3 and rd.fields["more_follows"] is False
    (st_,) = _one(dec, dt(confirmed_response(4, tlv(0xA0, integer(0x80, 0), integer(0x81, 2)))), False)
    assert st_.fields["logical_status"] == "state_changes_allowed" and st_.fields["physical_status"] == "inoperable"


def test_release_and_abort() -> None:
    rlrq = tlv(0x62, integer(0x80, 0))
    ud = tlv(0x61, tlv(0x30, integer(0x02, 1), tlv(0xA0, rlrq)))
    params = b"\xc1" + bytes([len(ud)]) + ud
    finish = dt(b"\x09" + bytes([len(params)]) + params)
    abort = dt(bytes.fromhex("1903 110109"))
    refuse = dt(bytes.fromhex("0c03 320102"))
    evs = events((finish, True), (abort, False), (refuse, False))
    assert _names(evs) == ["mms_release_request", "mms_session_abort", "mms_session_refuse"]
    assert evs[0].fields["reason"] == "normal"
    assert evs[1].fields["transport_disconnect"] == 9 and evs[2].fields["refuse_reason"] == 2


def test_bare_mms_on_cotp_decodes_without_confirming() -> None:
    dec = MmsDecoder()
    evs = feed_all(dec, (cr(), True), (dt(INITIATE_REQUEST), True))
    assert _names(evs) == ["mms_cotp_connect_request", "mms_initiate_request"]
    assert not dec.confirmed and not dec.violated


def test_s7comm_payload_is_a_violation() -> None:
    dec = MmsDecoder()
    evs = feed_all(dec, (cr(), True), (dt(bytes.fromhex("320100000000000800000f0001")), True))
    assert dec.violated and _names(evs)[-1] == "weird:mms_protocol_violation"
    assert dec.feed(b"\x03\x00", True, 1.0, 3) == [] or dec.violated


def test_not_tpkt_is_a_violation() -> None:
    dec = MmsDecoder()
    evs = feed_all(dec, (b"GET / HTTP/1.1\r\n", True))
    assert dec.violated and _names(evs) == ["weird:mms_protocol_violation"]


def test_unknown_payload_before_mms_is_a_violation_after_is_a_weird() -> None:
    dec = MmsDecoder()
    feed_all(dec, (dt(b"\x42\x00"), True))
    assert dec.violated
    dec, _ = _assoc()
    assert _names(_one(dec, dt(b"\x42\x00"), True)) == ["weird:mms_unknown_spdu"]
    assert not dec.violated


def test_split_byte_by_byte_and_coalesced() -> None:
    req = session_dt(confirmed_request(1, b"\x82\x00"))
    dec = MmsDecoder()
    out: list[Event] = []
    for i in range(len(req)):
        out += dec.feed(req[i:i + 1], True, float(i), i + 1)
    assert _names(out) == ["mms_identify_request"] and out[0].frame == len(req)
    two = events((req + session_dt(confirmed_request(2, b"\x82\x00")) + req[:5], True))
    assert [e.fields["invoke_id"] for e in two] == [1, 2]


def test_cotp_fragments_are_reassembled() -> None:
    body = b"\x01\x00\x01\x00" + tlv(0x61, tlv(0x30, integer(0x02, 3), tlv(0xA0, confirmed_request(4, b"\x82\x00"))))
    evs = events((dt(body[:7], eot=False), True), (dt(body[7:], eot=True), True))
    assert _names(evs) == ["mms_identify_request"] and evs[0].frame == 2


def test_gap_resyncs_on_the_next_tpkt() -> None:
    dec = MmsDecoder()
    req = session_dt(confirmed_request(1, b"\x82\x00"))
    feed_all(dec, (req, True))
    dec.feed(req[:9], True, 1.0, 2)
    dec.gap(100, True, 1.5, 3)
    evs = dec.feed(req[3:] + req, True, 2.0, 4)
    assert _names(evs) == ["weird:mms_resync", "mms_identify_request"]


def test_bad_tpkt_length_and_malformed_pdu_are_weirds() -> None:
    dec, _ = _assoc()
    evs = _one(dec, b"\x03\x00\x00\x05\x00", False)
    assert _names(evs)[0] == "weird:mms_tpkt_bad_length"
    dec, _ = _assoc()
    evs = _one(dec, session_dt(bytes.fromhex("a00502010182")), True)
    assert "weird:mms_malformed_pdu" in _names(evs) or "weird:mms_malformed_upper_layers" in _names(evs)
    evs = events((dt(bytes.fromhex("a003020101")), True))
    assert _names(evs) == ["mms_confirmed_request", "weird:mms_malformed_pdu"]


def test_strings_from_the_wire_are_decoded_safely() -> None:
    resp = confirmed_response(3, tlv(0xA2, tlv(0x80, b"\xff\xfeX"), vstr(0x81, "m"), vstr(0x82, "r")))
    (ev,) = events((dt(resp), False))
    json.dumps(ev.fields)
    assert ev.fields["identity"]["vendor"].endswith("X")


def test_pending_requests_are_bounded() -> None:
    dec = MmsDecoder()
    for i in range(3000):
        _one(dec, dt(confirmed_request(i, b"\x82\x00")), True)
    assert len(dec._pending) <= 1024


def test_probe() -> None:
    assert MmsDecoder.probe(session_dt(confirmed_request(1, b"\x82\x00")), True) > 0.5
    assert MmsDecoder.probe(dt(bytes.fromhex("32010000")), True) < 0
    assert MmsDecoder.probe(b"hello world", True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap", "finish"]), st.binary(max_size=80), st.booleans()),
                max_size=8), st.booleans())
def test_never_raises(ops: list[tuple[str, bytes, bool]], prefix: bool) -> None:
    dec = MmsDecoder()
    if prefix:
        feed_all(dec, (connect(aarq(INITIATE_REQUEST)), True))
    for op, data, is_orig in ops:
        if op == "feed":
            # half the time wrap the bytes so the fuzz reaches the upper layers
            payload = session_dt(data) if data[:1] == b"\x00" else (dt(data) if data[:1] == b"\x01" else data)
            res = dec.feed(payload, is_orig, 1.0, 1)
        elif op == "gap":
            res = dec.gap(len(data), is_orig, 1.0, 1)
        else:
            res = dec.finish(1.0, 1)
        assert isinstance(res, list) and all(isinstance(e, Event) for e in res)
        for e in res:
            json.dumps(e.fields)


def test_every_event_and_weird_is_documented() -> None:
    doc = (ROOT / "docs" / "protocols" / "mms.md").read_text()
    src = "".join(p.read_text() for p in (ROOT / "plantwarden" / "decoders" / "mms").glob("*.py"))
    for w in set(re.findall(r'weird\("(mms_[a-z_]+)"', src)):
        assert f"`{w}`" in doc, w
    seen: set[str] = set()
    fields: set[str] = set()
    _, evs = _assoc()
    for e in evs:
        seen.add(e.name)
        fields.update(_keys(e.fields))
    for name in seen:
        assert f"`{name}`" in doc or name.startswith("mms_cotp_"), name
    for k in fields:
        assert f"`{k}`" in doc, k


def _keys(d: dict[str, Any]) -> set[str]:
    out = set(d)
    for v in d.values():
        if isinstance(v, dict):
            out |= _keys(v)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    out |= _keys(x)
    return out
