"""VNC decoder fed byte literals built from RFC 6143: versions 3.3/3.7/3.8, security types, VNC
authentication, failures, ClientInit/ServerInit, message counting with skipped pixel data, trouble."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.vnc import VncDecoder

PIXEL = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)


def server_init(name: bytes = b"HMI-1 (WinCC)", w: int = 1280, h: int = 800) -> bytes:
    return struct.pack(">HH", w, h) + PIXEL + struct.pack(">I", len(name)) + name


def conversation(version: bytes = b"003.008", sec: int = 2) -> list[tuple[bool, bytes]]:
    """A full RFC 6143 session: (is_orig, bytes) in the order they cross the wire."""
    out = [(False, b"RFB " + version + b"\n"), (True, b"RFB " + version + b"\n")]
    if version == b"003.003":
        out.append((False, struct.pack(">I", sec)))
    else:
        out += [(False, bytes([2, 2, 1])), (True, bytes([sec]))]
    if sec == 2:
        out += [(False, b"C" * 16), (True, b"R" * 16)]
    if sec == 2 or version == b"003.008":
        out.append((False, struct.pack(">I", 0)))
    out += [(True, b"\x01"), (False, server_init())]
    return out


def run(d: VncDecoder, chunks: list[tuple[bool, bytes]]) -> list[Event]:
    out: list[Event] = []
    for i, (o, data) in enumerate(chunks):
        evs = d.feed(data, o, float(i), i + 1)
        assert all(isinstance(e, Event) for e in evs)
        out += evs
    return out


def test_handshake_38_with_vnc_authentication() -> None:
    d = VncDecoder()
    evs = run(d, conversation())
    assert [e.name for e in evs] == ["vnc_version", "vnc_version", "vnc_security_types", "vnc_security_selected",
                                     "vnc_auth_result", "vnc_client_init", "vnc_server_init"]
    sv, cv, types, sel, res, ci, si = evs
    assert (sv.fields["version"], sv.fields["role"], sv.fields["banner"], sv.is_orig) == ("3.8", "server", "RFB 003.008", False)
    assert types.fields["security_types"] == ["vnc_authentication", "none"] and types.fields["security_type_codes"] == [2, 1]
    assert types.fields["weak"] == ["no_authentication", "vnc_authentication_des"]
    assert sel.fields == {"security_type": "vnc_authentication", "security_type_code": 2, "weak": ["vnc_authentication_des"]}
    assert res.fields["success"] and res.fields["reason"] is None and res.fields["security_type"] == "vnc_authentication"
    assert ci.fields == {"shared": True} and ci.is_orig
    f = si.fields
    assert (f["width"], f["height"], f["bits_per_pixel"], f["depth"], f["true_colour"], f["big_endian"]) == (1280, 800, 32, 24, True, False)
    assert (f["red_max"], f["red_shift"], f["green_shift"], f["blue_shift"]) == (255, 16, 8, 0)
    assert f["name"] == "HMI-1 (WinCC)" and f["identity"] == {"name": "HMI-1 (WinCC)"}
    assert "RRRR" not in str(evs) and "CCCC" not in str(evs)


def test_33_server_chooses_none_and_37_no_result() -> None:
    d = VncDecoder()
    evs = run(d, conversation(b"003.003", sec=1))
    assert [e.name for e in evs] == ["vnc_version", "vnc_version", "vnc_security_types", "vnc_client_init", "vnc_server_init"]
    assert evs[2].fields["security_types"] == ["none"] and evs[2].fields["weak"] == ["no_authentication"]
    d = VncDecoder()
    evs = run(d, conversation(b"003.007", sec=1))
    assert [e.name for e in evs][-3:] == ["vnc_security_selected", "vnc_client_init", "vnc_server_init"]
    assert d.finish(9.0, 9)[0].fields["weak"] == ["no_authentication"]


def test_mixed_versions_use_the_lower() -> None:
    d = VncDecoder()
    evs = run(d, [(False, b"RFB 003.008\n"), (True, b"RFB 003.003\n"), (False, struct.pack(">I", 2)), (False, b"C" * 16),
                  (True, b"R" * 16), (False, struct.pack(">I", 0)), (True, b"\x00"), (False, server_init(b""))])
    assert [e.name for e in evs][-3:] == ["vnc_auth_result", "vnc_client_init", "vnc_server_init"]
    assert evs[-2].fields["shared"] is False and "identity" not in evs[-1].fields


def test_failures() -> None:
    d = VncDecoder()
    chunks = conversation()[:6] + [(False, struct.pack(">II", 1, 14) + b"Authenticatio")]
    evs = run(d, chunks)
    assert evs[-1].name == "vnc_security_selected"
    (r,) = d.feed(b"n", False, 9.0, 9)
    assert (r.name, r.fields["success"], r.fields["reason"], r.fields["result_code"]) == ("vnc_auth_result", False, "Authentication", 1)
    assert d.feed(b"\x01", True, 9.0, 10) == []
    d = VncDecoder()
    evs = run(d, [(False, b"RFB 003.008\n"), (True, b"RFB 003.008\n"), (False, b"\x00" + struct.pack(">I", 9) + b"Too many!")])
    assert evs[-1].fields["security_types"] == [] and evs[-1].fields["reason"] == "Too many!"


def test_messages_counted_and_pixels_skipped() -> None:
    d = VncDecoder()
    run(d, conversation())
    client = (b"\x02\x00\x00\x03" + struct.pack(">iii", 16, 0, -223) + b"\x03\x00" + bytes(8) + b"\x04\x01\x00\x00\x00\x00\xff\x0d"
              + b"\x05\x00\x00\x10\x00\x20" + b"\x06\x00\x00\x00" + struct.pack(">I", 5) + b"paste")
    evs = run(d, [(True, client[i:i + 5]) for i in range(0, len(client), 5)])
    assert evs == []
    raw = struct.pack(">HHHHi", 0, 0, 100, 50, 0) + bytes(100 * 50 * 4)
    zrle = struct.pack(">HHHHi", 0, 0, 8, 8, 16) + struct.pack(">I", 3) + b"zzz"
    fbu = b"\x00\x00\x00\x04" + raw + struct.pack(">HHHHi", 1, 1, 2, 2, 1) + b"\x00\x01\x00\x02" + zrle + struct.pack(">HHHHi", 0, 0, 0, 0, -224)
    server = fbu + b"\x02" + b"\x03\x00\x00\x00" + struct.pack(">I", 2) + b"hi" + b"\x01\x00\x00\x00\x00\x01" + bytes(6)
    assert run(d, [(False, server[i:i + 1460]) for i in range(0, len(server), 1460)]) == []
    assert d._buf == [b"", b""] and max(len(b) for b in d._buf) == 0
    (s,) = d.finish(9.0, 9)
    assert s.name == "vnc_summary" and s.fields["encodings"] == ["zrle", "raw", "desktop_size"]
    assert s.fields["client_messages"] == {"client_cut_text": 1, "framebuffer_update_request": 1, "key_event": 1,
                                           "pointer_event": 1, "set_encodings": 1}
    assert s.fields["server_messages"] == {"bell": 1, "framebuffer_update": 1, "server_cut_text": 1,
                                           "set_colour_map_entries": 1}
    assert (s.fields["rectangles"], s.fields["server_counting_stopped"], s.fields["authenticated"]) == (4, False, True)
    assert s.fields["security_type"] == "vnc_authentication" and "paste" not in str(s.fields)


def test_unknown_encoding_stops_server_counting() -> None:
    d = VncDecoder()
    run(d, conversation())
    assert d.feed(b"\x00\x00\x00\x01" + struct.pack(">HHHHi", 0, 0, 8, 8, 7) + b"tight...", False, 1.0, 20) == []
    assert d.feed(b"\x02", False, 1.0, 21) == []
    assert d.finish(9.0, 9)[0].fields["server_counting_stopped"] is True


def test_trouble() -> None:
    d = VncDecoder()
    (e,) = d.feed(b"SSH-2.0-OpenSSH_9.2\r\n", False, 1.0, 1)
    assert e.fields["name"] == "vnc_protocol_violation" and d.violated and d.finish(9.0, 9) == []
    d = VncDecoder()
    d.feed(b"RFB 003.008\n", False, 1.0, 1)
    (e,) = d.feed(b"HELLO WORLD!", True, 1.0, 2)
    assert e.fields["name"] == "vnc_bad_version" and not d.violated
    d = VncDecoder()
    run(d, conversation())
    assert d.feed(b"\x09junk", True, 1.0, 3)[0].fields["name"] == "vnc_unknown_client_message"
    assert d.feed(b"\x07junk", False, 1.0, 4)[0].fields["name"] == "vnc_unknown_server_message"
    d = VncDecoder()
    evs = run(d, conversation()[:-1] + [(False, struct.pack(">HH", 1, 1) + PIXEL + struct.pack(">I", 10**6))])
    assert evs[-1].fields["name"] == "vnc_bad_server_init"
    d = VncDecoder()
    run(d, conversation())
    assert d.feed(b"\x06\x00\x00\x00" + struct.pack(">I", 10**7), True, 1.0, 5) == [] and d._skip[1] > 0
    d = VncDecoder()
    run(d, conversation()[:4])
    assert d.gap(10, False, 1.0, 5) == [] and d.feed(b"\x00\x00\x00\x00", False, 1.0, 6) == []


def test_probe() -> None:
    assert VncDecoder.probe(b"RFB 003.008\n", False) > 0.5
    assert VncDecoder.probe(b"RFB 3.8\n", False) < 0


def test_docs_complete() -> None:
    root = Path(__file__).resolve().parents[3]
    doc = (root / "docs" / "protocols" / "vnc.md").read_text()
    src = (root / "plantwarden" / "decoders" / "vnc" / "decoder.py").read_text()
    weirds = set(re.findall(r'weird\(\s*"(vnc_[a-z_]+)"', src))
    assert len(weirds) == 6 and sorted(w for w in weirds if f"`{w}`" not in doc) == []
    d = VncDecoder()
    evs = run(d, conversation()) + d.feed(b"\x04" + bytes(7), True, 1.0, 30) + d.finish(9.0, 9)
    keys = {e.name for e in evs} | {k for e in evs for k in e.fields} | {k for e in evs for k in e.fields.get("identity", {})}
    from plantwarden.decoders.vnc import constants as C
    keys |= set(C.CLIENT_MESSAGES.values()) | set(C.SERVER_MESSAGES.values()) | set(C.WEAK_SECURITY.values())
    assert sorted(f"`{k}`" for k in keys if f"`{k}`" not in doc) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=200)), max_size=8), st.integers(0, 9))
def test_never_raises(chunks: list[tuple[bool, bytes]], prefix: int) -> None:
    d = VncDecoder()
    run(d, conversation()[:prefix])
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed(data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        if i == 3:
            assert isinstance(d.gap(5, is_orig, 1.0, 1), list)
    assert isinstance(d.finish(9.0, 99), list)
