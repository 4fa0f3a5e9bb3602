"""IEC 61850 GOOSE and Sampled Values decoders fed with byte literals."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.goose import GooseDecoder, SvDecoder
from plantwarden.decoders.registry import DECODERS


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    if n < 0x100:
        return bytes([tag, 0x81, n]) + value
    return bytes([tag, 0x82]) + struct.pack(">H", n) + value


def goose(st_num: int = 3, sq_num: int = 7, values: bytes | None = None, entries: int = 9, appid: int = 0x3001,
          simulated: bool = False, length: int | None = None) -> bytes:
    if values is None:
        values = (tlv(0x83, b"\x01") + tlv(0x85, b"\xff\x85") + tlv(0x86, b"\x01\x00")
                  + tlv(0x87, b"\x08" + struct.pack(">f", 1.5)) + tlv(0x84, b"\x03\xa8")
                  + tlv(0x89, b"\xde\xad") + tlv(0x8A, b"LD0/XCBR1")
                  + tlv(0x91, struct.pack(">I", 1216384359) + b"\x80\x00\x00\x0a")
                  + tlv(0xA2, tlv(0x83, b"\x00") + tlv(0xA1, tlv(0x86, b"\x05"))))
    pdu = (tlv(0x80, b"IED1LD0/LLN0$GO$gcb_A") + tlv(0x81, struct.pack(">H", 2000)) + tlv(0x82, b"IED1LD0/LLN0$DS1")
           + tlv(0x83, b"gcbA") + tlv(0x84, struct.pack(">I", 1216384359) + b"\x54\x00\x00\x0a")
           + tlv(0x85, st_num.to_bytes(4, "big")) + tlv(0x86, sq_num.to_bytes(4, "big")) + tlv(0x87, b"\x00")
           + tlv(0x88, b"\x01") + tlv(0x89, b"\x00") + tlv(0x8A, bytes([entries])) + tlv(0xAB, values))
    apdu = tlv(0x61, pdu)
    total = 8 + len(apdu) if length is None else length
    return struct.pack(">HHHH", appid, total, 0x8000 if simulated else 0, 0) + apdu


def feed(dec: GooseDecoder, data: bytes, frame: int = 1) -> list[Event]:
    evs = dec.feed(data, True, 4.0, frame)
    assert isinstance(evs, list)
    return evs


def test_registered() -> None:
    assert GooseDecoder in DECODERS and SvDecoder in DECODERS
    assert (GooseDecoder.ethertypes, SvDecoder.ethertypes) == ((0x88B8,), (0x88BA,))


def test_goose_message_fields() -> None:
    (ev,) = feed(GooseDecoder(), goose())
    f = ev.fields
    assert ev.name == "goose_message"
    assert (f["appid"], f["simulated"], f["gocb_ref"], f["dat_set"], f["go_id"]) == (
        0x3001, False, "IED1LD0/LLN0$GO$gcb_A", "IED1LD0/LLN0$DS1", "gcbA")
    assert (f["time_allowed_to_live"], f["st_num"], f["sq_num"], f["simulation"], f["conf_rev"], f["nds_com"]) == (
        2000, 3, 7, False, 1, False)
    assert f["t"] == "2008-07-18T12:32:39.328125Z" and f["t_quality"] == 10
    assert f["num_dat_set_entries"] == 9
    assert f["values"] == [True, -123, 256, 1.5, "10101", "dead", "LD0/XCBR1", "2008-07-18T12:32:39.500000Z",
                           [False, [5]]]
    assert "state_change" not in f


def test_long_form_lengths_and_doubles() -> None:
    vals = tlv(0x87, b"\x0b" + struct.pack(">d", -2.25)) + b"".join(tlv(0x86, bytes([i])) for i in range(60))
    (ev,) = feed(GooseDecoder(), goose(values=vals, entries=61))
    assert ev.fields["values"][0] == -2.25 and ev.fields["values"][-1] == 59


def test_state_and_sequence_tracking() -> None:
    dec = GooseDecoder()
    feed(dec, goose(3, 7))
    (ev,) = feed(dec, goose(3, 8))
    assert ev.fields["state_change"] is False
    (ev,) = feed(dec, goose(4, 0))
    assert ev.fields["state_change"] is True
    evs = feed(dec, goose(2, 0))
    assert [e.fields["name"] for e in evs if e.is_weird] == ["goose_sequence_regression"]


def test_simulated_bit_and_entry_mismatch() -> None:
    evs = feed(GooseDecoder(), goose(simulated=True, entries=4))
    assert evs[0].fields["simulated"] is True
    assert [e.fields["name"] for e in evs[1:]] == ["goose_entry_count_mismatch"]


def test_padding_after_the_pdu_is_ignored() -> None:
    evs = feed(GooseDecoder(), goose() + b"\x00" * 20)
    assert len(evs) == 1 and evs[0].fields["values"][0] is True


def test_odd_frames_are_weirds() -> None:
    assert feed(GooseDecoder(), b"\x30\x01")[0].fields["name"] == "goose_short_frame"
    evs = feed(GooseDecoder(), goose()[:60])
    assert evs[0].name == "goose_message" and [e.fields["name"] for e in evs[1:]] == [
        "goose_bad_length", "goose_malformed_pdu"]
    evs = feed(GooseDecoder(), struct.pack(">HHHH", 1, 12, 0, 0) + b"\x62\x02\x80\x00")
    assert evs[-1].fields["name"] == "goose_not_goose_pdu"
    nested = b"\x83\x01\x00"
    for _ in range(20):
        nested = tlv(0xA2, nested)
    evs = feed(GooseDecoder(), goose(values=nested, entries=1))
    assert evs[-1].fields["name"] == "goose_malformed_pdu"


def test_unknown_data_tags_render_as_hex() -> None:
    (ev,) = feed(GooseDecoder(), goose(values=tlv(0x9F, b"\x01\x02"), entries=1))
    assert ev.fields["values"] == [{"tag": 0x9F, "hex": "0102"}]


def test_sampled_values_are_counted() -> None:
    dec = SvDecoder()
    for i in range(50):
        assert dec.feed(struct.pack(">HHHH", 0x4000, 100, 0, 0) + b"\x60" * 92, True, 1.0 + i, i + 1) == []
    assert dec.feed(b"\x40", True, 1.0, 60)[0].fields["name"] == "sv_short_frame"
    (ev,) = dec.finish(99.0, 70)
    assert ev.name == "sv_summary"
    assert (ev.fields["appid"], ev.fields["frames"], ev.fields["bytes"], ev.fields["first_frame"]) == (
        0x4000, 50, 5000, 1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=6), st.integers(0, 400))
def test_arbitrary_bytes_never_raise(frames: list[bytes], cut: int) -> None:
    dec, sv = GooseDecoder(), SvDecoder()
    for i, raw in enumerate(frames):
        for data in (raw, goose()[:cut] + raw, goose(values=raw)):
            for d in (dec, sv):
                evs = d.feed(data, True, float(i), i + 1)
                assert isinstance(evs, list) and all(isinstance(e, Event) for e in evs)
    for d in (dec, sv):
        assert isinstance(d.gap(3, True, 1.0, 1), list)
        assert all(isinstance(e, Event) for e in d.finish(9.0, 9))


def test_repeated_all_data_is_decoded_once_and_changes_are_seen() -> None:
    dec = GooseDecoder()
    a, b = tlv(0x83, b"\x01"), tlv(0x83, b"\x00")
    first = feed(dec, goose(values=a, entries=1))[0].fields["values"]
    again = feed(dec, goose(values=a, entries=1))[0].fields["values"]
    assert first == [True] and again is first
    assert feed(dec, goose(values=b, entries=1))[0].fields["values"] == [False]
    assert feed(dec, goose(values=a, entries=1))[0].fields["values"] == [True]
