"""IEC 60870-5-104 decoder, fed byte literals (several taken from the shared captures, see comments)."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.iec104 import Iec104Decoder
from plantwarden.decoders.iec104 import constants as C
from plantwarden.decoders.iec104.elements import ELEMENTS, SEGMENT_TYPE

H = bytes.fromhex
STARTDT_ACT = H("680407000000")
STARTDT_CON = H("68040b000000")
TESTFR_ACT = H("680443000000")
STOPDT_ACT = H("680413000000")
S_FRAME = H("680401000600")  # recv_seq 3
# 090813_diverse.pcap frame 1: M_ME_NC_1, 2 objects, periodic
ME_NC = H("681a9a0028000d02010003001405000000f041001505000000314400")
# TestDissectIec104.pcap frame 110: S, C_IC_NA_1 actcon, M_SP_NA_1 (SQ, 10 objects), M_DP_NA_1 (SQ, 3)
COALESCED = H("680401000200680e02000200640107000d9100000014681604000200018914000d911a2700d0808080c0"
              "80808080681006000200038314000d912a4e00808080")


def apdu(ctrl: bytes, asdu: bytes = b"") -> bytes:
    return bytes([0x68, 4 + len(asdu)]) + ctrl + asdu


def i_frame(send: int, recv: int, asdu: bytes) -> bytes:
    return apdu(struct.pack("<HH", send << 1, recv << 1), asdu)


def asdu(type_id: int, objects: bytes, count: int = 1, sq: bool = False, cot: int = 6, oa: int = 0,
         ca: int = 1) -> bytes:
    return bytes([type_id, count | (0x80 if sq else 0), cot, oa]) + ca.to_bytes(2, "little") + objects


def ioa(n: int) -> bytes:
    return n.to_bytes(3, "little")


CP56 = H("e803" "05" "0e" "0d" "08" "09")  # 2009-08-13 14:05:01.000


def feed(*chunks: bytes, is_orig: bool = True, dec: Iec104Decoder | None = None) -> list[Event]:
    dec = dec or Iec104Decoder()
    out: list[Event] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, is_orig, float(i), i + 1)
    return out


def events(*chunks: bytes, **kw: Any) -> list[Event]:
    return [e for e in feed(*chunks, **kw) if not e.is_weird]


def weirds(evs: list[Event]) -> list[str]:
    return [e.fields["name"] for e in evs if e.is_weird]


def confirmed() -> Iec104Decoder:
    """A decoder that has seen one APDU (before that, only plausible APDUs are accepted)."""
    dec = Iec104Decoder()
    assert len(dec.feed(STARTDT_ACT, True, 0.0, 1)) == 1
    return dec


def one(data: bytes) -> dict[str, Any]:
    evs = feed(data, dec=confirmed())
    assert len(evs) == 1, evs
    return {"event": evs[0].name, **evs[0].fields}


def test_class_attributes() -> None:
    assert Iec104Decoder.name == "iec104"
    assert Iec104Decoder.transport == "tcp"
    assert Iec104Decoder.default_ports == (2404,)


def test_probe() -> None:
    assert Iec104Decoder.probe(STARTDT_ACT, True) == 0.9
    assert Iec104Decoder.probe(COALESCED, False) == 0.9
    assert Iec104Decoder.probe(ME_NC + ME_NC[:5], False) == 0.7
    assert Iec104Decoder.probe(ME_NC[:12], False) == 0.4
    assert Iec104Decoder.probe(b"\x68", True) == 0.0
    assert Iec104Decoder.probe(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", True) < 0  # TLS
    assert Iec104Decoder.probe(b"GET / HTTP/1.1\r\n", True) < 0
    assert Iec104Decoder.probe(H("680443000001"), True) < 0  # U frame with non-zero bytes
    assert Iec104Decoder.probe(asdu(13, ioa(1) + bytes(5), count=2), True) < 0  # not an APDU


def test_u_frames() -> None:
    for data, fn in ((STARTDT_ACT, "startdt_act"), (STARTDT_CON, "startdt_con"), (STOPDT_ACT, "stopdt_act"),
                     (H("680423000000"), "stopdt_con"), (TESTFR_ACT, "testfr_act"),
                     (H("680483000000"), "testfr_con")):
        assert one(data) == {"event": f"iec104_{fn}", "frame_type": "U", "send_seq": None, "recv_seq": None,
                             "u_function": fn}


def test_s_frame() -> None:
    assert one(S_FRAME) == {"event": "iec104_s_frame", "frame_type": "S", "send_seq": None, "recv_seq": 3,
                            "u_function": None}


def test_measured_float() -> None:
    r = one(ME_NC)
    assert r["event"] == "iec104_m_me_nc_1"
    assert (r["frame_type"], r["send_seq"], r["recv_seq"]) == ("I", 77, 20)
    assert (r["type_id"], r["type_name"], r["sq"], r["num_objects"]) == (13, "M_ME_NC_1", False, 2)
    assert (r["cause"], r["cause_name"], r["negative"], r["test"]) == (1, "periodic", False, False)
    assert (r["originator_address"], r["common_address"], r["ioa"]) == (0, 3, 1300)
    assert r["objects"] == [{"ioa": 1300, "value": 30.0, "quality": ()}, {"ioa": 1301, "value": 708.0, "quality": ()}]
    json.dumps(r)


def test_coalesced_apdus_in_one_segment() -> None:
    evs = events(COALESCED, is_orig=False)
    assert [e.name for e in evs] == ["iec104_s_frame", "iec104_c_ic_na_1", "iec104_m_sp_na_1", "iec104_m_dp_na_1"]
    ic, sp, dp = (e.fields for e in evs[1:])
    assert ic["objects"] == [{"ioa": 0, "value": 20, "value_name": "station"}] and ic["cause_name"] == "activation_con"
    assert sp["sq"] and [o["ioa"] for o in sp["objects"]] == list(range(10010, 10019))
    assert [o["value"] for o in sp["objects"]] == [0] * 9
    assert sp["objects"][0]["quality"] == ("bl", "nt", "iv") and sp["objects"][4]["quality"] == ("nt", "iv")
    assert sp["cause_name"] == "interrogated_station" and sp["common_address"] == 37133
    assert [(o["ioa"], o["value"], o["state"]) for o in dp["objects"]] == [
        (20010, 0, "intermediate"), (20011, 0, "intermediate"), (20012, 0, "intermediate")]


def test_split_byte_by_byte() -> None:
    dec = Iec104Decoder()
    out: list[Event] = []
    for i, b in enumerate(COALESCED):
        out += dec.feed(bytes([b]), False, float(i), i + 1)
    assert [e.frame for e in out] == [6, 22, 46, 64]
    assert not weirds(out)
    assert dec.finish(99.0, 99) == []


def test_incomplete_at_finish() -> None:
    dec = Iec104Decoder()
    assert feed(ME_NC[:10], dec=dec) == []
    assert weirds(dec.finish(1.0, 2)) == ["iec104_incomplete_apdu"]


def test_commands() -> None:
    sc = one(i_frame(20, 78, asdu(58, ioa(4501) + b"\x81" + CP56)))
    assert sc["event"] == "iec104_c_sc_ta_1"
    assert sc["objects"] == [{"ioa": 4501, "value": 1, "select": True, "qualifier": 0, "qualifier_name": "default",
                              "time": "2009-08-13T14:05:01.000", "time_invalid": False, "summer_time": False}]
    dc = one(i_frame(0, 0, asdu(46, ioa(7) + b"\x06")))["objects"][0]
    assert (dc["value"], dc["state"], dc["select"], dc["qualifier_name"]) == (2, "on", False, "short_pulse")
    rc = one(i_frame(0, 0, asdu(47, ioa(7) + b"\x89")))["objects"][0]
    assert (rc["value"], rc["state"], rc["select"], rc["qualifier_name"]) == (1, "lower", True, "long_pulse")
    se_a = one(i_frame(0, 0, asdu(48, ioa(9) + struct.pack("<h", -16384) + b"\x80")))["objects"][0]
    assert (se_a["value"], se_a["select"], se_a["qualifier"]) == (-0.5, True, 0)
    se_b = one(i_frame(0, 0, asdu(49, ioa(9) + struct.pack("<h", -1234) + b"\x00")))["objects"][0]
    assert (se_b["value"], se_b["select"]) == (-1234, False)
    se_c = one(i_frame(0, 0, asdu(50, ioa(5020) + struct.pack("<f", 12.0) + b"\x00")))
    assert se_c["event"] == "iec104_c_se_nc_1" and se_c["objects"][0]["value"] == 12.0
    bo = one(i_frame(0, 0, asdu(51, ioa(3) + struct.pack("<I", 0xDEADBEEF))))["objects"][0]
    assert bo["value"] == 0xDEADBEEF


def test_system_commands() -> None:
    ic = one(i_frame(0, 0, asdu(100, ioa(0) + bytes([22]))))["objects"][0]
    assert ic["value_name"] == "group_2"
    ci = one(i_frame(0, 0, asdu(101, ioa(0) + bytes([0x45]))))["objects"][0]
    assert (ci["value"], ci["value_name"], ci["freeze"]) == (0x45, "general", "freeze_no_reset")
    rd = one(i_frame(0, 0, asdu(102, ioa(77), cot=5)))
    assert rd["event"] == "iec104_c_rd_na_1" and rd["objects"] == [{"ioa": 77}] and rd["cause_name"] == "request"
    cs = one(i_frame(0, 0, asdu(103, ioa(0) + CP56)))
    assert cs["event"] == "iec104_c_cs_na_1" and cs["objects"][0]["time"] == "2009-08-13T14:05:01.000"
    rp = one(i_frame(0, 0, asdu(105, ioa(0) + b"\x01")))["objects"][0]
    assert rp["value_name"] == "general_reset"
    ts = one(i_frame(0, 0, asdu(104, ioa(0) + H("aa55"))))["objects"][0]
    assert ts["value"] == 0x55AA
    tt = one(i_frame(0, 0, asdu(107, ioa(0) + H("0100") + CP56)))
    assert tt["event"] == "iec104_c_ts_ta_1" and tt["objects"][0]["value"] == 1
    ei = one(i_frame(0, 0, asdu(70, ioa(0) + b"\x82", cot=4)))["objects"][0]
    assert (ei["value_name"], ei["parameters_changed"]) == ("remote_reset", True)


def test_monitoring_values() -> None:
    st_ = one(i_frame(0, 0, asdu(5, ioa(1) + b"\xfe\x01")))["objects"][0]  # VTI -2, transient, overflow
    assert (st_["value"], st_["transient"], st_["quality"]) == (-2, True, ("ov",))
    bo = one(i_frame(0, 0, asdu(7, ioa(1) + H("01000080") + b"\x00")))["objects"][0]
    assert bo["value"] == 0x80000001
    nva = one(i_frame(0, 0, asdu(9, ioa(1) + H("0040") + b"\x10")))["objects"][0]
    assert (nva["value"], nva["quality"]) == (0.5, ("bl",))
    sva = one(i_frame(0, 0, asdu(11, ioa(39999) + struct.pack("<h", 2) + b"\x00")))["objects"][0]
    assert sva["value"] == 2
    it = one(i_frame(0, 0, asdu(37, ioa(4) + struct.pack("<i", -5) + bytes([0x23]) + CP56, cot=37)))
    o = it["objects"][0]
    assert (o["value"], o["sequence"], o["quality"], it["cause_name"]) == (-5, 3, ("cy",), "counter_interrogated_general")
    sp_t = one(i_frame(0, 0, asdu(2, ioa(1) + b"\x01" + H("e80385"), cot=3)))["objects"][0]
    assert (sp_t["value"], sp_t["time"], sp_t["time_invalid"]) == (1, "05:01.000", True)
    nan = one(i_frame(0, 0, asdu(13, ioa(1) + H("0000c07f") + b"\x00")))["objects"][0]
    assert nan["value"] is None
    ps = one(i_frame(0, 0, asdu(20, ioa(1) + H("0f00f000") + b"\x00")))["objects"][0]
    assert (ps["value"], ps["changed"]) == (0x0F, 0xF0)
    ep = one(i_frame(0, 0, asdu(38, ioa(1) + b"\x0a" + H("6400") + CP56)))["objects"][0]
    assert (ep["state"], ep["quality"], ep["elapsed_ms"]) == ("on", ("ei",), 100)


def test_parameters_and_files() -> None:
    pm = one(i_frame(0, 0, asdu(112, ioa(1) + struct.pack("<f", 1.5) + b"\x43")))["objects"][0]
    assert (pm["value"], pm["kind"], pm["local_change"], pm["in_operation"]) == (1.5, "low_limit", True, True)
    seg = one(i_frame(0, 0, asdu(SEGMENT_TYPE, ioa(1) + H("0100" "02" "03") + b"abc", cot=13)))
    assert seg["objects"] == [{"ioa": 1, "file": 1, "section": 2, "length": 3, "segment": "616263"}]
    fr = one(i_frame(0, 0, asdu(120, ioa(1) + H("0200" "001000" "80"), cot=13)))["objects"][0]
    assert (fr["file"], fr["length"], fr["qualifier"]) == (2, 4096, 0x80)


def test_every_standard_type_decodes_one_object() -> None:
    assert len(ELEMENTS) == len(C.TYPE_IDS)
    for t, (size, _) in ELEMENTS.items():
        evs = feed(i_frame(1, 1, asdu(t, ioa(5) + bytes(size))), dec=confirmed())
        assert [e.name for e in evs] == [f"iec104_{C.TYPE_IDS[t].lower()}"], t
        assert evs[0].fields["ioa"] == 5 and len(evs[0].fields["objects"]) == 1
        json.dumps(evs[0].fields)


def test_unknown_type_and_names() -> None:
    r = one(i_frame(0, 0, asdu(200, ioa(9) + b"\x01\x02", cot=63)))
    assert (r["event"], r["type_name"], r["cause_name"], r["ioa"]) == ("iec104_unknown_asdu", "unknown-200", "unknown-63", 9)
    assert r["data"] == "0900000102" and r["objects"] == []
    assert C.name_of(C.CAUSES, 0) == "unknown-0"


def test_negative_and_test_bits() -> None:
    r = one(i_frame(0, 0, asdu(45, ioa(1) + b"\x00", cot=0xC7)))
    assert (r["cause"], r["cause_name"], r["negative"], r["test"]) == (7, "activation_con", True, True)


def test_odd_frames_give_weirds() -> None:
    evs = feed(STARTDT_ACT, H("68051717171717"))  # U frame, two functions, length 5
    assert [e.name for e in evs[1:]] == ["iec104_u_unknown", "weird", "weird"]
    assert evs[1].fields["u_function"] == "unknown-23"
    assert weirds(evs) == ["iec104_bad_u_function", "iec104_bad_length"]
    short = feed(STARTDT_ACT, i_frame(1, 1, H("1a1a1a1a")))
    assert short[1].fields["type_id"] == 26 and short[1].fields["originator_address"] == 0x1A
    assert weirds(short) == ["iec104_short_asdu"]
    mism = feed(i_frame(0, 0, asdu(1, ioa(1) + b"\x00", count=3)), dec=confirmed())
    assert len(mism[0].fields["objects"]) == 1 and weirds(mism) == ["iec104_asdu_length_mismatch"]


def test_send_sequence_gap() -> None:
    dec = Iec104Decoder()
    a = i_frame(5, 0, asdu(100, ioa(0) + b"\x14"))
    assert weirds(feed(a, i_frame(6, 0, asdu(100, ioa(0) + b"\x14")), dec=dec)) == []
    evs = feed(i_frame(9, 0, asdu(100, ioa(0) + b"\x14")), dec=dec)
    assert weirds(evs) == ["iec104_send_seq_gap"] and evs[-1].fields["detail"] == "expected 7, got 9"


def test_junk_on_a_confirmed_flow_resyncs_like_wireshark() -> None:
    # TestDissectIec104.pcap frames 4-13: junk and impossible lengths between APDUs
    evs = feed(STARTDT_ACT, H("00"), H("0168"), H("020268001212"), TESTFR_ACT)
    assert [e.name for e in evs if not e.is_weird] == ["iec104_startdt_act", "iec104_testfr_act"]
    assert evs[-1].frame == 5
    assert "iec104_resync" in weirds(evs) and "iec104_bad_length" in weirds(evs)


def test_not_iec104_is_a_violation() -> None:
    dec = Iec104Decoder()
    evs = feed(b"\x16\x03\x01" + bytes(range(256)) * 3, dec=dec)
    assert weirds(evs) == ["iec104_protocol_violation"] and dec.violated
    assert dec.feed(STARTDT_ACT, True, 1.0, 2) == [] and dec.finish(2.0, 3) == []


def test_mid_stream_start_finds_the_first_plausible_apdu() -> None:
    evs = feed(ME_NC[7:] + STARTDT_CON + ME_NC)
    assert [e.name for e in evs if not e.is_weird] == ["iec104_startdt_con", "iec104_m_me_nc_1"]
    assert weirds(evs) == ["iec104_resync"]


def test_gap_drops_the_partial_apdu_and_resyncs_strictly() -> None:
    dec = Iec104Decoder()
    feed(STARTDT_ACT, ME_NC[:10], dec=dec)
    assert dec.gap(100, True, 1.0, 3) == []
    # the bytes after the gap start inside a value that holds 0x68: not taken for a start byte
    evs = feed(H("6805aabb") + ME_NC, dec=dec)
    assert [e.name for e in evs if not e.is_weird] == ["iec104_m_me_nc_1"]
    assert weirds(evs) == ["iec104_resync"]


def test_buffers_stay_bounded() -> None:
    dec = Iec104Decoder()
    feed(STARTDT_ACT, dec=dec)
    for i in range(100):
        dec.feed(b"\x00" * 1000, True, float(i), i)
    assert all(len(b) <= 255 for b in dec._buf)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=300)), max_size=12),
       st.booleans())
def test_never_raises(ops: list[tuple[str, bool, bytes]], prefix: bool) -> None:
    dec = Iec104Decoder()
    if prefix:
        dec.feed(STARTDT_ACT, True, 0.0, 1)
    for i, (op, is_orig, data) in enumerate(ops):
        out = dec.feed(data, is_orig, float(i), i) if op == "feed" else dec.gap(len(data), is_orig, float(i), i)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields)
    assert isinstance(dec.finish(99.0, 99), list)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=240))
def test_any_asdu_never_raises(t: int, vsq: int, cot: int, body: bytes) -> None:
    evs = feed(STARTDT_ACT, i_frame(0, 0, bytes([t, vsq, cot]) + body[:240]))
    assert evs[0].name == "iec104_startdt_act" and len(evs) >= 2
    json.dumps([e.fields for e in evs])


# -- documentation ----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "protocols" / "iec104.md").read_text()


def test_every_weird_is_documented() -> None:
    src = (ROOT / "plantwarden" / "decoders" / "iec104" / "decoder.py").read_text()
    names = set(re.findall(r'"(iec104_[a-z_]+)"', src)) - {"iec104_unknown_asdu"}
    assert len(names) >= 8
    assert sorted(n for n in names if f"`{n}`" not in DOC) == []


def test_every_field_and_name_is_documented() -> None:
    fields: set[str] = set()
    for t, (size, _) in ELEMENTS.items():
        for e in feed(i_frame(1, 1, asdu(t, ioa(5) + bytes(size))), dec=confirmed()):
            fields |= set(e.fields)
            for o in e.fields["objects"]:
                fields |= set(o)
    fields |= {"data"}
    assert sorted(f for f in fields if f"`{f}`" not in DOC) == []
    for table in (C.U_FUNCTIONS, C.CAUSES, C.COI_NAMES, C.QRP_NAMES, C.QU_NAMES, C.KPA_NAMES, C.RQT_NAMES,
                  C.FRZ_NAMES, C.QPA_NAMES):
        # numbered ranges (group_2 ... group_15) are documented by their ends
        assert sorted(n for n in table.values() if n not in DOC and not re.search(r"group_([2-9]|1[0-5])$", n)) == []
    for name in C.TYPE_IDS.values():
        assert name in DOC, name
    for event in ("iec104_s_frame", "iec104_u_unknown", "iec104_unknown_asdu", "iec104_startdt_act"):
        assert f"`{event}`" in DOC
