"""SLMP / MC protocol decoder: byte literals from the public SLMP description, requests produced by a
real client stack (pymcprotocol, its socket replaced by a recorder: nothing leaves the process), and
MELSOFT frames from ICS-Security-Tools melsoft_UDP_clean_2.pcap."""

from __future__ import annotations

import contextlib
import json
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.slmp import SlmpDecoder, SlmpUdpDecoder
from plantwarden.decoders.slmp.constants import END_CODES, name_of

H = bytes.fromhex
# melsoft_UDP_clean_2.pcap frames 5/6 (read CPU model) and 1/2 (discovery)
MELSOFT_REQ = H("57010000001111070000ffff030000fe03000020001c0a161400000000000000000000000000000000000000000121010000000001")
MELSOFT_RESP = H("d70100000011117f000000a80300ffff03000038009c0a181400000000000000000000000000000000000000000000012101000000"
                 "465835552d33324d542f455300000000294a000800000000")
DISC_REQ = H("5a000001")
DISC_RESP = H("da0000011400c0a80365c0a80365")


def req3e(cmd: int, sub: int, data: bytes = b"") -> bytes:
    body = struct.pack("<HHH", 0x10, cmd, sub) + data
    return H("5000") + bytes([0, 0xFF]) + struct.pack("<HB", 0x03FF, 0) + struct.pack("<H", len(body)) + body


def resp3e(end: int, data: bytes = b"") -> bytes:
    body = struct.pack("<H", end) + data
    return H("d000") + bytes([0, 0xFF]) + struct.pack("<HB", 0x03FF, 0) + struct.pack("<H", len(body)) + body


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else "weird:" + e.fields["name"] for e in evs]


def test_slmp_3e_batch_read_words_paired() -> None:
    d = SlmpDecoder()
    (r,) = d.feed(req3e(0x0401, 0, H("640000a8") + struct.pack("<H", 3)), True, 1.0, 1)
    assert r.name == "slmp_device_read_request" and r.fields["frame_type"] == "3e"
    assert (r.fields["device"], r.fields["device_number"], r.fields["head_device"], r.fields["points"]) == ("D", 100, "D100", 3)
    assert (r.fields["network"], r.fields["station"], r.fields["module_io"], r.fields["monitoring_timer"]) == (0, 255, 0x3FF, 16)
    assert r.fields["subcommand_name"] == "word_units" and not r.fields["is_write"]
    (a,) = d.feed(resp3e(0, struct.pack("<HHH", 1, 2, 0xFFFF)), False, 1.0, 2)
    assert a.name == "slmp_device_read_response" and a.fields["values"] == [1, 2, 65535]
    assert a.fields["end_code_name"] == "normal_completion"


def test_slmp_bits_hex_devices_write_and_errors() -> None:
    d = SlmpUdpDecoder()
    (w,) = d.feed(req3e(0x1401, 1, H("1f00009d") + struct.pack("<H", 3) + H("1010")), True, 1.0, 1)
    assert w.name == "slmp_device_write_request" and w.fields["head_device"] == "Y1F"
    assert w.fields["values"] == [1, 0, 1] and w.fields["is_write"]
    (e,) = d.feed(resp3e(0xC059, H("00ff ff03 00 0114 0100".replace(" ", ""))), False, 1.0, 2)
    assert e.fields["end_code_name"] == "command_not_supported" and e.fields["error_command"] == "device_write"
    assert name_of(END_CODES, 0x1234) == "unknown-4660"


def test_slmp_4e_serial_pairing_and_unknowns() -> None:
    d = SlmpDecoder()
    body = struct.pack("<HHH", 0x10, 0x0101, 0)
    req = H("5400") + struct.pack("<H", 0x1234) + H("0000") + bytes([0, 0xFF]) + struct.pack("<HB", 0x3FF, 0) + \
        struct.pack("<H", len(body)) + body
    (r,) = d.feed(req, True, 1.0, 1)
    assert r.fields["frame_type"] == "4e" and r.fields["serial"] == 0x1234
    rb = struct.pack("<H", 0) + b"Q03UDECPU       " + struct.pack("<H", 0x0268)
    resp = H("d400") + struct.pack("<H", 0x1234) + H("0000") + bytes([0, 0xFF]) + struct.pack("<HB", 0x3FF, 0) + \
        struct.pack("<H", len(rb)) + rb
    (a,) = d.feed(resp, False, 1.0, 2)
    assert a.name == "slmp_read_cpu_model_response"
    assert a.fields["identity"] == {"model": "Q03UDECPU", "product_code": "0x0268"}
    (u,) = d.feed(req3e(0x7777, 5), True, 1.0, 3)
    assert u.name == "slmp_unknown_command_request" and u.fields["command"] == "unknown-30583"


def test_slmp_melsoft_frames_and_discovery() -> None:
    d = SlmpUdpDecoder()
    (q,) = d.feed(MELSOFT_REQ, True, 1.0, 5)
    assert q.name == "slmp_melsoft_request" and q.fields["command"] == "read_cpu_model"
    (a,) = d.feed(MELSOFT_RESP, False, 1.0, 6)
    assert a.name == "slmp_melsoft_response" and a.fields["end_code"] == 0
    assert a.fields["identity"] == {"model": "FX5U-32MT/ES", "product_code": "0x4A29"}
    assert names(d.feed(DISC_REQ, True, 1.0, 1)) == ["slmp_melsoft_discovery_request"]
    (dr,) = d.feed(DISC_RESP, False, 1.0, 2)
    assert dr.fields["discovery_command"] == 1 and dr.fields["data"] == "1400c0a80365c0a80365"


def test_slmp_split_coalesced_gap_violation() -> None:
    stream = req3e(0x0401, 0, H("640000a8") + struct.pack("<H", 1)) + MELSOFT_REQ + req3e(0x1002, 0, H("0100"))
    d = SlmpDecoder()
    out: list[Event] = []
    for i in range(len(stream)):
        out += d.feed(stream[i:i + 1], True, 1.0, i)
    assert names(out) == ["slmp_device_read_request", "slmp_melsoft_request", "slmp_remote_stop_request"]
    assert out[2].frame == len(stream) - 1 and out[2].fields["is_write"]
    assert names(SlmpDecoder().feed(stream, True, 1.0, 1)) == names(out)
    d.gap(5, True, 1.0, 2)
    assert names(d.feed(b"\x01\x02" + stream[:20], True, 1.0, 3))[0] == "weird:slmp_resync"
    v = SlmpDecoder()
    assert names(v.feed(b"SSH-2.0-OpenSSH_9.0\r\n", True, 1.0, 1)) == ["weird:slmp_protocol_violation"]
    assert v.violated
    assert names(SlmpUdpDecoder().feed(req3e(0x0401, 0, H("6400")), True, 1.0, 1)) == [
        "slmp_device_read_request", "weird:slmp_malformed_data"]


# -- a real client stack ---------------------------------------------------------------------------

class _Recorder:
    """Stands in for pymcprotocol's socket: records what the client sends, replays one answer."""

    def __init__(self, answer: bytes) -> None:
        self.sent: list[bytes] = []
        self.answer = answer


def _client(kind: str, answer: bytes) -> Any:
    pymc = pytest.importorskip("pymcprotocol")
    base = pymc.Type3E if kind == "3e" else pymc.Type4E
    rec = _Recorder(answer)

    class Recording(base):  # type: ignore[misc, valid-type]
        def _send(self, send_data: bytes) -> None:
            rec.sent.append(bytes(send_data))

        def _recv(self) -> bytes:
            return rec.answer

    c = Recording(plctype="Q")
    c._is_connected = True
    c.rec = rec
    return c


def _decode(data: bytes, is_orig: bool, d: SlmpDecoder | None = None) -> Event:
    d = d or SlmpDecoder()
    evs = [e for e in d.feed(data, is_orig, 1.0, 1) if e.name != "weird"]
    assert len(evs) == 1, evs
    return evs[0]


@pytest.mark.parametrize("kind", ["3e", "4e"])
def test_slmp_requests_from_pymcprotocol(kind: str) -> None:
    c = _client(kind, b"")
    c.rec.answer = resp3e(0, struct.pack("<HH", 7, 9)) if kind == "3e" else b""
    calls: list[tuple[Any, str, dict[str, Any]]] = [
        (lambda: c.batchread_wordunits("D100", 2), "slmp_device_read_request", {"head_device": "D100", "points": 2}),
        (lambda: c.batchread_bitunits("X10", 4), "slmp_device_read_request", {"head_device": "X10", "points": 4}),
        (lambda: c.batchwrite_wordunits("D200", [5, 6]), "slmp_device_write_request", {"values": [5, 6]}),
        (lambda: c.batchwrite_bitunits("M10", [1, 0, 1]), "slmp_device_write_request", {"values": [1, 0, 1]}),
        (lambda: c.randomread(["D1", "D5"], ["D10"]), "slmp_device_read_random_request",
         {"devices": ["D1", "D5", "D10"], "word_points": 2, "dword_points": 1}),
        (lambda: c.randomwrite(["D1"], [11], ["D10"], [70000]), "slmp_device_write_random_request",
         {"devices": ["D1", "D10"], "values": [11, 70000]}),
        (lambda: c.randomwrite_bitunits(["M3", "Y2"], [1, 0]), "slmp_device_write_random_request",
         {"devices": ["M3", "Y2"], "values": [1, 0]}),
        (lambda: c.remote_run(clear_mode=2, force_exec=True), "slmp_remote_run_request",
         {"clear_mode_name": "clear_all", "force": True}),
        (lambda: c.remote_stop(), "slmp_remote_stop_request", {"is_write": True}),
        (lambda: c.remote_pause(), "slmp_remote_pause_request", {}),
        (lambda: c.remote_latchclear(), "slmp_remote_latch_clear_request", {}),
        (lambda: c.read_cputype(), "slmp_read_cpu_model_request", {}),
        (lambda: c.remote_unlock("s3cr"), "slmp_remote_password_unlock_request", {"password_length": 4}),
        (lambda: c.echo_test("ABCDEF"), "slmp_loopback_test_request", {"loopback_data": "ABCDEF"}),
    ]
    for call, event, fields in calls:
        c.rec.sent.clear()
        with contextlib.suppress(Exception):  # the canned answer need not fit every call: the request was sent
            call()
        assert c.rec.sent, event
        ev = _decode(c.rec.sent[0], True)
        assert ev.name == event
        assert ev.fields["frame_type"] == kind
        for k, v in fields.items():
            assert ev.fields[k] == v, (event, k)
        assert "s3cr" not in json.dumps(ev.fields) and "73336372" not in json.dumps(ev.fields)


def test_slmp_responses_parsed_alike_by_pymcprotocol() -> None:
    answer = resp3e(0, b"Q03UDVCPU       " + struct.pack("<H", 0x0366))
    c = _client("3e", answer)
    model, code = c.read_cputype()
    d = SlmpDecoder()
    _decode(c.rec.sent[0], True, d)
    ev = _decode(answer, False, d)
    assert ev.fields["identity"] == {"model": model, "product_code": "0x" + code.upper()}
    answer = resp3e(0, struct.pack("<HHH", 10, 20, 30))
    c = _client("3e", answer)
    values = c.batchread_wordunits("D0", 3)
    d = SlmpDecoder()
    _decode(c.rec.sent[0], True, d)
    assert _decode(answer, False, d).fields["values"] == values
    answer = resp3e(0, H("1001"))
    c = _client("3e", answer)
    bits = c.batchread_bitunits("M0", 4)
    d = SlmpDecoder()
    _decode(c.rec.sent[0], True, d)
    assert _decode(answer, False, d).fields["values"] == bits


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=80)), max_size=12),
       st.booleans())
def test_slmp_never_raises(ops: list[tuple[str, bool, bytes]], udp: bool) -> None:
    d = SlmpUdpDecoder() if udp else SlmpDecoder()
    d.feed(req3e(0x0401, 0, H("640000a80100")), True, 0.0, 0)
    for op, is_orig, data in ops:
        if op == "gap":
            out = d.gap(len(data), is_orig, 1.0, 1)
        else:
            if data[:1] == b"\x00" and len(data) > 4:
                cmd = data[1] | (data[2] << 8)
                data = req3e(cmd, data[3] & 3, data[4:]) if is_orig else resp3e(cmd & 1, data[3:])
            out = d.feed(data, is_orig, 1.0, 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields)
    assert isinstance(d.finish(2.0, 2), list)
