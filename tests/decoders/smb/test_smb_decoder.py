"""SMB decoder fed byte literals built from [MS-SMB2], [MS-CIFS] and [MS-NLMP]: negotiation, NTLMSSP
session setup, tree connect, compounding, NetBIOS session packets, large messages, trouble."""

from __future__ import annotations

import re
import struct
import uuid
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.smb import SmbDecoder

GUID = uuid.UUID("11223344-5566-7788-99aa-bbccddeeff00")


def nb(msg: bytes, t: int = 0) -> bytes:
    return bytes([t]) + len(msg).to_bytes(3, "big") + msg


def smb2(cmd: int, body: bytes, resp: bool = False, status: int = 0, mid: int = 1, nxt: int = 0) -> bytes:
    hdr = (b"\xfeSMB" + struct.pack("<HHIHHII", 64, 0, status, cmd, 1, 1 if resp else 0, nxt)
           + struct.pack("<Q", mid) + bytes(4) + struct.pack("<I", 0) + bytes(8) + bytes(16))
    assert len(hdr) == 64
    return hdr + body


def ntlm_challenge() -> bytes:
    def av(i: int, s: str) -> bytes:
        raw = s.encode("utf-16-le")
        return struct.pack("<HH", i, len(raw)) + raw

    info = av(2, "PLANT") + av(1, "HIST01") + av(4, "plant.local") + av(3, "hist01.plant.local") + bytes(4)
    target = "PLANT".encode("utf-16-le")
    base = 56
    return (b"NTLMSSP\x00" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), base)
            + struct.pack("<I", 0x02000001) + b"C" * 8 + bytes(8)
            + struct.pack("<HHI", len(info), len(info), base + len(target)) + bytes([10, 0]) + struct.pack("<H", 17763)
            + bytes([0, 0, 0, 15]) + target + info)


def ntlm_auth(user: str, domain: str, ws: str, ntlen: int = 48) -> bytes:
    u, d, w = (x.encode("utf-16-le") for x in (user, domain, ws))
    nt = b"N" * ntlen
    base = 72
    fields, payload = b"", b""
    for raw in (b"L" * 24, nt, d, u, w, b"K" * 16):
        fields += struct.pack("<HHI", len(raw), len(raw), base + len(payload))
        payload += raw
    return b"NTLMSSP\x00" + struct.pack("<I", 3) + fields + struct.pack("<I", 0x02000001) + bytes(8) + payload


def negotiate_request() -> bytes:
    dialects = (0x0202, 0x0210, 0x0300, 0x0302, 0x0311)
    body = struct.pack("<HHHHI", 36, len(dialects), 1, 0, 0x7F) + GUID.bytes_le + bytes(8)
    return smb2(0, body + b"".join(struct.pack("<H", d) for d in dialects))


def negotiate_response(mode: int = 1) -> bytes:
    body = (struct.pack("<HHHH", 65, mode, 0x0311, 0) + GUID.bytes_le + struct.pack("<IIII", 0x2F, 8 << 20, 8 << 20, 8 << 20)
            + bytes(16) + struct.pack("<HHI", 0, 0, 0))
    return smb2(0, body, resp=True)


def session_setup(blob: bytes, resp: bool = False, status: int = 0, flags: int = 0) -> bytes:
    if resp:
        return smb2(1, struct.pack("<HHHH", 9, flags, 72, len(blob)) + blob, resp=True, status=status, mid=2)
    return smb2(1, struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, len(blob), 0) + blob, mid=2)


def tree_connect(path: str, mid: int = 3) -> bytes:
    raw = path.encode("utf-16-le")
    return smb2(3, struct.pack("<HHHH", 9, 0, 72, len(raw)) + raw, mid=mid)


def tree_response(share_type: int = 1, status: int = 0, mid: int = 3) -> bytes:
    body = struct.pack("<HBBIII", 16, share_type, 0, 0, 0, 0x1F01FF) if not status else struct.pack("<HBBI", 9, 0, 0, 0) + b"\x00"
    return smb2(3, body, resp=True, status=status, mid=mid)


def run(d: SmbDecoder, chunks: list[tuple[bool, bytes]]) -> list[Event]:
    out: list[Event] = []
    for i, (o, data) in enumerate(chunks):
        evs = d.feed(data, o, float(i), i + 1)
        assert all(isinstance(e, Event) for e in evs)
        out += evs
    return out


def session() -> list[tuple[bool, bytes]]:
    return [(True, nb(negotiate_request())), (False, nb(negotiate_response())),
            (True, nb(session_setup(b"\x60\x48\x06\x06+\x06\x01\x05\x05\x02" + b"NTLMSSP\x00\x01\x00\x00\x00" + bytes(24)))),
            (False, nb(session_setup(b"\xa1\x81" + ntlm_challenge(), resp=True, status=0xC0000016))),
            (True, nb(session_setup(ntlm_auth("engineer", "PLANT", "EWS-07")))),
            (False, nb(session_setup(b"", resp=True))),
            (True, nb(tree_connect("\\\\hist01\\projects"))), (False, nb(tree_response()))]


def test_smb2_session() -> None:
    d = SmbDecoder()
    evs = run(d, session())
    assert [e.name for e in evs] == [
        "smb_negotiate_request", "smb_negotiate_response", "smb_session_setup_request", "smb_session_setup_response",
        "smb_session_setup_request", "smb_session_setup_response", "smb_tree_connect_request",
        "smb_tree_connect_response"]
    nq, nr, s1, ch, au, ok, tq, tr = (e.fields for e in evs)
    assert nq["dialects"] == ["2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"] and nq["client_guid"] == str(GUID)
    assert nq["capabilities"] == ["dfs", "leasing", "large_mtu", "multi_channel", "persistent_handles",
                                  "directory_leasing", "encryption"]
    assert (nr["dialect"], nr["server_guid"], nr["signing_enabled"], nr["signing_required"]) == ("3.1.1", str(GUID), True, False)
    assert nr["weak"] == ["signing_not_required"] and nr["status"] == "STATUS_SUCCESS"
    assert s1["ntlmssp"] == "negotiate"
    assert ch["status"] == "STATUS_MORE_PROCESSING_REQUIRED" and ch["target_name"] == "PLANT"
    assert (ch["netbios_computer"], ch["netbios_domain"], ch["dns_computer"], ch["dns_domain"]) == (
        "HIST01", "PLANT", "hist01.plant.local", "plant.local")
    assert ch["identity"] == {"name": "HIST01", "firmware": "10.0.17763"} and not evs[3].is_orig
    assert (au["user"], au["domain"], au["workstation"], au["ntlm_version"], au["anonymous"]) == (
        "engineer", "PLANT", "EWS-07", "v2", False)
    assert au["identity"] == {"name": "EWS-07"} and au["weak"] == [] and "NNNN" not in str(au)
    assert ok["status"] == "STATUS_SUCCESS" and ok["guest"] is False
    assert tq["path"] == "\\\\hist01\\projects" and (tr["path"], tr["share_type"]) == ("\\\\hist01\\projects", "disk")


def test_summary_counts_and_large_messages_are_skipped() -> None:
    d = SmbDecoder()
    run(d, session())
    big = smb2(8, struct.pack("<HBBI", 17, 0x50, 0, 200000) + bytes(200000 - 8), resp=True, mid=9)
    framed = nb(big)
    evs = run(d, [(True, nb(smb2(8, bytes(49), mid=9)))] + [(False, framed[i:i + 1460]) for i in range(0, len(framed), 1460)]
              + [(True, nb(smb2(6, bytes(24), mid=10)))])
    assert evs == [] and d._buf == [b"", b""] and d._skip == [0, 0]
    (s,) = d.finish(9.0, 99)
    assert s.name == "smb_summary"
    assert s.fields["commands"] == {"close": 1, "negotiate": 2, "read": 2, "session_setup": 4, "tree_connect": 2}
    assert (s.fields["messages"], s.fields["versions"], s.fields["user"], s.fields["domain"]) == (11, ["SMB2"], "engineer", "PLANT")
    assert s.fields["shares"] == ["\\\\hist01\\projects"] and s.fields["weak"] == ["signing_not_required"]


def test_coalesced_split_and_compounded() -> None:
    stream = b"".join(m for o, m in session() if o)
    d = SmbDecoder()
    evs = run(d, [(True, stream[i:i + 7]) for i in range(0, len(stream), 7)])
    assert [e.name for e in evs] == ["smb_negotiate_request", "smb_session_setup_request", "smb_session_setup_request",
                                     "smb_tree_connect_request"]
    first = tree_connect("\\\\a\\b", mid=5)
    first = first[:20] + struct.pack("<I", len(first)) + first[24:]
    evs = run(SmbDecoder(), [(True, nb(first + tree_connect("\\\\a\\c", mid=6)))])
    assert [e.fields["path"] for e in evs] == ["\\\\a\\b", "\\\\a\\c"]


def test_smb1_negotiate_session_and_chained_tree_connect() -> None:
    def smb1(cmd: int, words: bytes, data: bytes, resp: bool = False, flags2: int = 0xC001) -> bytes:
        return (b"\xffSMB" + bytes([cmd]) + bytes(4) + bytes([0x98 if resp else 0x18]) + struct.pack("<H", flags2)
                + bytes(12) + struct.pack("<HHHH", 0, 0xFEFF, 100, 7) + bytes([len(words) // 2]) + words
                + struct.pack("<H", len(data)) + data)
    d = SmbDecoder()
    req = smb1(0x72, b"", b"\x02PC NETWORK PROGRAM 1.0\x00\x02NT LM 0.12\x00")
    words = (struct.pack("<HBHHIIIIQhB", 1, 0x03, 50, 1, 16644, 65536, 0, 0x8000F3FD, 0, 0, 0))
    resp = smb1(0x72, words, GUID.bytes_le, resp=True)
    # session setup without extended security (wc 13), account and domain in ASCII, chained tree connect
    pwd = b"P" * 24
    ss_data = pwd + b"operator\x00PLANT\x00Unix\x00Samba\x00"
    ss_words_len = 26
    andx_off = 32 + 1 + ss_words_len + 2 + len(ss_data)
    ss_words = struct.pack("<BBHHHHIHHII", 0x75, 0, andx_off, 4356, 10, 0, 0, 24, 0, 0, 0xD4)
    tc = bytes([4]) + struct.pack("<BBHHH", 0xFF, 0, 0, 0, 1) + struct.pack("<H", 1 + 14 + 6) + b"\x00" + b"\\\\PLC\\BACKUP\x00" + b"?????\x00"
    ss = smb1(0x73, ss_words, ss_data, flags2=0x4001) + tc
    evs = run(d, [(True, nb(req)), (False, nb(resp)), (True, nb(ss))])
    assert [e.name for e in evs] == ["smb_negotiate_request", "smb_negotiate_response", "smb_session_setup_request",
                                     "smb_tree_connect_request"]
    nr = evs[1].fields
    assert (nr["dialect"], nr["server_guid"], nr["weak"]) == ("NT LM 0.12", str(GUID), ["smb1", "signing_not_required"])
    assert "extended_security" in nr["capabilities"] and nr["encrypted_passwords"]
    s = evs[2].fields
    assert (s["user"], s["domain"], s["native_os"], s["native_lanman"], s["ntlmssp"]) == ("operator", "PLANT", "Unix", "Samba", None)
    assert (evs[3].fields["path"], evs[3].fields["service"]) == ("\\\\PLC\\BACKUP", "?????")
    (summary,) = d.finish(9.0, 9)
    assert summary.fields["commands"] == {"negotiate": 2, "session_setup_andx": 1} and "smb1" in summary.fields["weak"]
    d = SmbDecoder()  # an SMB1 negotiate answered in SMB2 is the upgrade path, not SMB1 use
    run(d, [(True, nb(req)), (False, nb(negotiate_response(mode=3)))])
    (summary,) = d.finish(9.0, 9)
    assert summary.fields["versions"] == ["SMB1", "SMB2"] and summary.fields["weak"] == []


def test_netbios_session_request_and_refusal() -> None:
    def enc(name: str, suffix: int) -> bytes:
        raw = name.ljust(15).encode() + bytes([suffix])
        return b"\x20" + bytes(c for b in raw for c in (0x41 + (b >> 4), 0x41 + (b & 15))) + b"\x00"
    d = SmbDecoder()
    (e,) = d.feed(nb(enc("HIST01", 0x20) + enc("EWS-07", 0), 0x81), True, 1.0, 1)
    assert (e.name, e.fields["called_name"], e.fields["calling_name"]) == ("smb_session_request", "HIST01<20>", "EWS-07<00>")
    assert e.fields["identity"] == {"name": "EWS-07"}
    (r,) = d.feed(nb(b"", 0x82) + nb(b"\x80", 0x83) + nb(b"", 0x85), False, 1.0, 2)
    assert r.name == "smb_session_refused" and r.fields["error"] == "not_listening_on_called_name"
    (w,) = d.feed(nb(b"\x12", 0x81), True, 1.0, 3)
    assert w.fields["name"] == "smb_malformed_session_request"


def test_trouble_and_gap() -> None:
    d = SmbDecoder()
    (e,) = d.feed(b"GET / HTTP/1.1\r\n\r\n", True, 1.0, 1)
    assert e.fields["name"] == "smb_protocol_violation" and d.violated
    d = SmbDecoder()
    run(d, [(True, nb(negotiate_request()))])
    (e,) = d.feed(b"\x00\x00\x00\x10garbage.........", True, 1.0, 2)
    assert e.fields["name"] == "smb_bad_frame" and not d.violated
    assert d.feed(b"more garbage", True, 1.0, 3) == []  # waiting for a segment that starts a frame
    assert [e.name for e in d.feed(nb(tree_connect("\\\\x\\y")), True, 1.0, 4)] == ["smb_tree_connect_request"]
    d.feed(nb(negotiate_request())[:30], True, 1.0, 5)
    assert d.gap(100, True, 1.0, 6) == [] and d._buf[1] == b""
    assert d.feed(b"\x00\x01\x02 mid-message", True, 1.0, 7) == []
    assert [e.name for e in d.feed(nb(tree_connect("\\\\x\\z")), True, 1.0, 8)] == ["smb_tree_connect_request"]
    d.feed(nb(negotiate_request())[:30], False, 1.0, 9)
    assert [e.fields.get("name", e.name) for e in d.finish(9.0, 9)] == ["smb_incomplete_message", "smb_summary"]
    (e,) = SmbDecoder().feed(nb(b"\xfeSMB" + bytes(10)), True, 1.0, 1)
    assert e.fields["name"] == "smb_malformed_header"


def test_weak_logins_and_strings_escaped() -> None:
    d = SmbDecoder()
    (e,) = d.feed(nb(session_setup(ntlm_auth("", "", "X\x1b[31m", ntlen=0))), True, 1.0, 1)
    assert e.fields["anonymous"] and e.fields["weak"] == ["anonymous_login"] and e.fields["workstation"] == "X\\x1b[31m"
    (e,) = d.feed(nb(session_setup(ntlm_auth("op", "D", "W", ntlen=24))), True, 1.0, 2)
    assert e.fields["ntlm_version"] == "v1" and e.fields["weak"] == ["ntlmv1"]
    (e,) = d.feed(nb(session_setup(b"", resp=True, flags=1)), False, 1.0, 3)
    assert e.fields["guest"] and e.fields["weak"] == ["guest_login"]
    (e,) = d.feed(nb(tree_response(status=0xC00000CC, mid=77)), False, 1.0, 4)
    assert e.fields["status"] == "STATUS_BAD_NETWORK_NAME" and e.fields["path"] is None
    (e,) = d.feed(nb(tree_response(status=0xC0FFEE00, mid=78)), False, 1.0, 5)
    assert e.fields["status"] == f"unknown-{0xC0FFEE00}"


def test_probe() -> None:
    assert SmbDecoder.probe(nb(negotiate_request()), True) > 0.5
    assert SmbDecoder.probe(b"\x00\x00\x00\x10abcdefgh", True) < 0


def test_docs_complete() -> None:
    root = Path(__file__).resolve().parents[3]
    doc = (root / "docs" / "protocols" / "smb.md").read_text()
    src = "".join(p.read_text() for p in (root / "plantwarden" / "decoders" / "smb").glob("*.py"))
    weirds = set(re.findall(r'weird\(\s*"(smb_[a-z_]+)"', src))
    assert len(weirds) >= 6 and sorted(w for w in weirds if f"`{w}`" not in doc) == []
    d = SmbDecoder()
    evs = run(d, session()) + d.finish(9.0, 9)
    keys = {e.name for e in evs} | {k for e in evs for k in e.fields} | {k for e in evs for k in e.fields.get("identity", {})}
    keys |= set(re.findall(r'f\["([a-z_]+)"\] =', src)) | set(re.findall(r'"([a-z_]+)": ', src.split("def smb1_negotiate_request")[1]))
    keys |= set(re.findall(r'\("(?:native_os|native_lanman|primary_domain)", "([a-z_]+)"', src))
    assert sorted(f"`{k}`" for k in keys if f"`{k}`" not in doc) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=8), st.booleans())
def test_never_raises(chunks: list[tuple[bool, bytes]], framed: bool) -> None:
    d = SmbDecoder()
    d.feed(nb(negotiate_request()), True, 0.0, 0)
    for i, (is_orig, data) in enumerate(chunks):
        if framed:
            data = nb(data[:1] and (b"\xfeSMB" if data[0] & 1 else b"\xffSMB") + data)
        out = d.feed(data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        if i == 3:
            assert isinstance(d.gap(7, is_orig, 1.0, 1), list)
    assert isinstance(d.finish(9.0, 99), list)
