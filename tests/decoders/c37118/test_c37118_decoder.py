"""C37.118 decoder: byte-literal frames (command, config 1/2/3, data, header), CRC, TCP framing,
UDP datagrams, gaps, violations and fuzzing."""

from __future__ import annotations

import json
import re
import struct
from binascii import crc_hqx
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.c37118 import C37118Decoder, C37118UdpDecoder
from plantwarden.decoders.registry import DECODERS

ROOT = Path(__file__).resolve().parents[3]


def frame(ftype: int, payload: bytes, idcode: int = 7, soc: int = 1_600_000_000, fracsec: int = 500_000,
          tq: int = 0, version: int = 1, bad_crc: bool = False) -> bytes:
    body = struct.pack(">BBHHII", 0xAA, (ftype << 4) | version, 16 + len(payload), idcode, soc,
                       (tq << 24) | fracsec) + payload
    crc = crc_hqx(body, 0xFFFF) ^ (1 if bad_crc else 0)
    return body + crc.to_bytes(2, "big")


def name16(s: str) -> bytes:
    return s.encode().ljust(16)


def cfg2_payload(fmt: int = 0x0000, rate: int = 30, ftype_ph: int = 2, an: int = 1, dg: int = 1) -> bytes:
    pmu = name16("STATION A") + struct.pack(">5H", 7, fmt, ftype_ph, an, dg)
    pmu += b"".join(name16(f"PH{i}") for i in range(ftype_ph)) + name16("AN0")
    pmu += b"".join(name16(f"D{i}") for i in range(16 * dg))
    pmu += struct.pack(">I", 915527) * ftype_ph + struct.pack(">I", 1) * an + struct.pack(">I", 0xFFFF) * dg
    pmu += struct.pack(">HH", 1, 89)
    return struct.pack(">IH", 1_000_000, 1) + pmu + struct.pack(">h", rate)


def feed(dec: C37118Decoder, *chunks: bytes, is_orig: bool = False) -> list[Event]:
    out: list[Event] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, is_orig, float(i), i + 1)
    return out


def names(evs: list[Event]) -> list[str]:
    return [e.name if not e.is_weird else "weird:" + e.fields["name"] for e in evs]


def test_registered() -> None:
    assert C37118Decoder in DECODERS and C37118UdpDecoder in DECODERS
    assert C37118Decoder.default_ports == (4712,) and C37118UdpDecoder.default_ports == (4713,)
    assert C37118UdpDecoder.transport == "udp"


def test_command_frames() -> None:
    evs = feed(C37118Decoder(), frame(4, b"\x00\x05"), frame(4, b"\x00\x02"), frame(4, b"\x00\x01"),
               frame(4, b"\x00\x08\x01\x02"), frame(4, b"\x01\x23"), frame(4, b"\x00\x63"), is_orig=True)
    assert [e.fields["command"] for e in evs] == ["send_config2", "turn_on_transmission", "turn_off_transmission",
                                                  "extended_frame", "user-291", "unknown-99"]
    assert evs[3].fields["extended_data"] == "0102"
    f = evs[0].fields
    assert (f["frame_type"], f["version"], f["frame_size"], f["idcode"], f["soc"], f["fracsec"]) == (
        "command", 1, 18, 7, 1_600_000_000, 500_000)
    assert evs[0].name == "c37118_command"


def test_config2_then_integer_data() -> None:
    dec = C37118Decoder()
    (cfg,) = feed(dec, frame(3, cfg2_payload()))
    f = cfg.fields
    assert cfg.name == "c37118_config2"
    assert (f["time_base"], f["num_pmu"], f["data_rate"]) == (1_000_000, 1, 30)
    (p,) = f["pmus"]
    assert (p["station"], p["idcode"], p["phnmr"], p["annmr"], p["dgnmr"]) == ("STATION A", 7, 2, 1, 1)
    assert p["phasor_names"] == ["PH0", "PH1"] and p["analog_names"] == ["AN0"]
    assert p["digital_names"] == [f"D{i}" for i in range(16)]
    assert p["nominal_frequency"] == 50 and p["config_count"] == 89 and p["phasor_units"] == [915527, 915527]
    assert (p["phasor_format"], p["phasor_notation"], p["freq_format"]) == ("integer", "rectangular", "integer")
    assert f["identity"] == {"name": "STATION A"}
    payload = struct.pack(">H hh hh hh h H", 0x0800 | 0x3, 100, -200, 300, 400, 25, -50, 7, 0xA5A5)
    (ev,) = feed(dec, frame(0, payload, fracsec=250_000))
    d = ev.fields["pmus"][0]
    assert ev.name == "c37118_data" and ev.fields["timestamp"] == 1_600_000_000.25
    assert d["phasors"] == [[100, -200], [300, 400]]
    assert d["frequency"] == 50.025 and d["rocof"] == -0.5
    assert d["analogs"] == [7] and d["digitals"] == [0xA5A5]
    assert d["trigger"] and d["trigger_reason"] == "phase_angle_diff" and d["data_error"] == "good"
    assert d["pmu_sync"] and d["sorting"] == "timestamp" and d["stat"] == 0x0803


def test_float_polar_data_and_nan() -> None:
    dec = C37118Decoder()
    feed(dec, frame(3, cfg2_payload(fmt=0x000F, ftype_ph=1, an=1, dg=0)))
    payload = struct.pack(">H ff ff f", 0xC000, 230.5, float("nan"), 59.98, 0.25, 1.5)
    (ev,) = feed(dec, frame(0, payload))
    d = ev.fields["pmus"][0]
    assert d["phasors"] == [[230.5, None]] and d["analogs"] == [1.5]
    assert abs(d["frequency"] - 59.98) < 1e-4 and d["rocof"] == 0.25 and d["data_error"] == "pmu_error_no_data"
    json.dumps(ev.fields, allow_nan=False)


def test_data_without_config_is_reported_once() -> None:
    evs = feed(C37118Decoder(), frame(0, b"\x00" * 10), frame(0, b"\x00" * 10))
    assert names(evs) == ["c37118_data", "weird:c37118_data_without_config", "c37118_data"]


def test_data_not_matching_config_is_a_weird() -> None:
    dec = C37118Decoder()
    feed(dec, frame(3, cfg2_payload()))
    assert names(feed(dec, frame(0, b"\x00" * 5))) == ["c37118_data", "weird:c37118_malformed_frame"]


def test_bad_crc_is_a_weird_and_the_frame_still_reported() -> None:
    evs = feed(C37118Decoder(), frame(4, b"\x00\x05", bad_crc=True))
    assert names(evs) == ["weird:c37118_bad_crc", "c37118_command"] and evs[1].fields["crc_ok"] is False


def test_header_and_config1_config3() -> None:
    dec = C37118Decoder()
    (h,) = feed(dec, frame(1, b"PMU at substation 9"))
    assert h.name == "c37118_header" and h.fields["text"] == "PMU at substation 9"
    (c1,) = feed(dec, frame(2, cfg2_payload()))
    assert c1.name == "c37118_config1" and c1.fields["pmus"][0]["station"] == "STATION A"
    pmu = b"\x04BUS1" + struct.pack(">H", 7) + bytes(range(16)) + struct.pack(">4H", 0x0002, 1, 0, 0)
    pmu += b"\x02VA" + struct.pack(">II", 1, 0) + struct.pack(">fff", 47.5, 8.25, 120.0) + b"M" + bytes(8)
    pmu += struct.pack(">HH", 0, 3)
    (c3,) = feed(dec, frame(5, struct.pack(">HIH", 0, 1_000_000, 1) + pmu + struct.pack(">h", 60), version=2))
    p = c3.fields["pmus"][0]
    assert c3.name == "c37118_config3" and c3.fields["cont_idx"] == 0 and c3.fields["data_rate"] == 60
    assert (p["station"], p["phasor_names"], p["svc_class"], p["latitude"], p["nominal_frequency"]) == (
        "BUS1", ["VA"], "M", 47.5, 60)
    assert p["global_pmuid"] == bytes(range(16)).hex() and c3.fields["identity"] == {"name": "BUS1"}


def test_split_and_coalesced_frames_over_tcp() -> None:
    stream = frame(4, b"\x00\x05") + frame(3, cfg2_payload()) + frame(4, b"\x00\x02")
    dec = C37118Decoder()
    evs = [e for i in range(len(stream)) for e in dec.feed(stream[i:i + 1], False, float(i), i + 1)]
    assert names(evs) == ["c37118_command", "c37118_config2", "c37118_command"]
    assert evs[0].frame == 18
    assert names(feed(C37118Decoder(), stream)) == names(evs)


def test_gap_resyncs_on_the_next_sync() -> None:
    dec = C37118Decoder()
    f = frame(4, b"\x00\x05")
    feed(dec, f)
    dec.feed(f[:7], False, 1.0, 2)
    dec.gap(10, False, 1.5, 3)
    evs = dec.feed(f[9:] + f, False, 2.0, 4)
    assert names(evs) == ["weird:c37118_resync", "c37118_command"]


def test_not_c37118_is_a_violation() -> None:
    dec = C37118Decoder()
    evs = feed(dec, b"GET / HTTP/1.1\r\n\r\n")
    assert dec.violated and names(evs) == ["weird:c37118_protocol_violation"]


def test_udp_datagrams() -> None:
    dec = C37118UdpDecoder()
    evs = feed(dec, frame(4, b"\x00\x05") + frame(4, b"\x00\x02"), frame(4, b"\x00\x01")[:10])
    assert names(evs) == ["c37118_command", "c37118_command", "weird:c37118_truncated_datagram"]


def test_probe() -> None:
    assert C37118Decoder.probe(frame(4, b"\x00\x05"), True) > 0.9
    assert C37118Decoder.probe(frame(4, b"\x00\x05", bad_crc=True), True) < 0.5
    assert C37118Decoder.probe(b"\x03\x00\x00\x16" + bytes(20), True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap", "finish"]), st.binary(max_size=120), st.booleans()),
                max_size=8), st.booleans())
def test_never_raises(ops: list[tuple[str, bytes, bool]], udp: bool) -> None:
    dec = C37118UdpDecoder() if udp else C37118Decoder()
    feed(dec, frame(3, cfg2_payload()))
    for op, data, is_orig in ops:
        if op == "feed":
            payload = frame(data[0] % 6, data[1:]) if data[:1] and data[0] < 128 else data
            res = dec.feed(payload, is_orig, 1.0, 1)
        elif op == "gap":
            res = dec.gap(len(data), is_orig, 1.0, 1)
        else:
            res = dec.finish(1.0, 1)
        assert isinstance(res, list) and all(isinstance(e, Event) for e in res)
        for e in res:
            json.dumps(e.fields, allow_nan=False)


def test_every_weird_event_and_field_is_documented() -> None:
    doc = (ROOT / "docs" / "protocols" / "c37118.md").read_text()
    src = "".join(p.read_text() for p in (ROOT / "plantwarden" / "decoders" / "c37118").glob("*.py"))
    for w in set(re.findall(r'weird\("(c37118_[a-z_]+)"', src)):
        assert f"`{w}`" in doc, w
    for ev in ("c37118_data", "c37118_header", "c37118_config1", "c37118_config2", "c37118_config3",
               "c37118_command"):
        assert f"`{ev}`" in doc, ev
    dec = C37118Decoder()
    evs = feed(dec, frame(3, cfg2_payload()), frame(0, struct.pack(">H hh hh hh h H", 0x0803, 1, 2, 3, 4, 5, 6, 7, 8)),
               frame(4, b"\x00\x08\x01"), frame(1, b"x"))
    keys: set[str] = set()
    for e in evs:
        for k, v in e.fields.items():
            keys.add(k)
            if isinstance(v, list):
                for x in v:
                    if isinstance(x, dict):
                        keys.update(x)
            elif isinstance(v, dict):
                keys.update(v)
    for k in keys:
        assert f"`{k}`" in doc, k
