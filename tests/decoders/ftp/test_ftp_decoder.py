"""FTP decoder fed byte literals: banner, login, transfers, PORT/PASV, multi-line replies, trouble."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.ftp import FtpDecoder


def feed(d: FtpDecoder, data: bytes, is_orig: bool, frame: int = 1) -> list[Event]:
    out = d.feed(data, is_orig, float(frame), frame)
    assert all(isinstance(e, Event) for e in out)
    return out


def test_session() -> None:
    d = FtpDecoder()
    (b,) = feed(d, b"220 ProFTPD 1.3.5 Server (PLC backup) [10.0.0.5]\r\n", False)
    assert b.name == "ftp_reply" and b.fields["identity"] == {"product_name": "ProFTPD 1.3.5 Server (PLC backup) [10.0.0.5]"}
    (u,) = feed(d, b"USER anonymous\r\n", True, 2)
    assert (u.fields["command"], u.fields["arg"], u.fields["user"]) == ("USER", "anonymous", "anonymous")
    (r,) = feed(d, b"331 Password required\r\n", False, 3)
    assert r.fields["command"] == "USER" and "identity" not in r.fields
    (p,) = feed(d, b"PASS hunter2\r\n", True, 4)
    assert p.fields["credentials_in_clear"] and p.fields["arg"] is None and "hunter2" not in str(p.fields)
    (ok,) = feed(d, b"230 Logged in\r\n", False, 5)
    assert ok.fields["logged_in"] and ok.fields["user"] == "anonymous"
    evs = feed(d, b"PASV\r\nRETR /plc/prog.bin\r\n", True, 6)
    assert [e.fields["command"] for e in evs] == ["PASV", "RETR"] and evs[1].fields["filename"] == "/plc/prog.bin"
    evs = feed(d, b"227 Entering Passive Mode (10,0,0,5,195,80).\r\n150 Opening\r\n226 Done\r\n", False, 7)
    assert [(e.fields["reply_code"], e.fields["command"]) for e in evs] == [(227, "PASV"), (150, "RETR"), (226, "RETR")]
    assert (evs[0].fields["data_address"], evs[0].fields["data_port"]) == ("10.0.0.5", 50000)


def test_port_eprt_and_epsv() -> None:
    d = FtpDecoder()
    (e,) = feed(d, b"PORT 192,168,1,2,4,1\r\n", True)
    assert (e.fields["data_address"], e.fields["data_port"]) == ("192.168.1.2", 1025)
    (e,) = feed(d, b"EPRT |2|::1|6000|\r\n", True)
    assert (e.fields["data_address"], e.fields["data_port"]) == ("::1", 6000)
    feed(d, b"EPSV\r\n", True)
    evs = feed(d, b"200 ok\r\n200 ok\r\n229 Entering Extended Passive Mode (|||6446|)\r\n", False)
    assert evs[2].fields["data_port"] == 6446


def test_multiline_reply_split_across_segments() -> None:
    d = FtpDecoder()
    assert feed(d, b"220-Welcome\r\n220-Authorised users", False) == []
    (e,) = feed(d, b" only\r\n220 Siemens FTP\r\n", False, 2)
    assert (e.fields["reply_code"], e.fields["reply_msg"], e.fields["lines"], e.frame) == (220, "Welcome", 3, 2)


def test_auth_tls_stops() -> None:
    d = FtpDecoder()
    feed(d, b"220 x\r\n", False)
    feed(d, b"AUTH TLS\r\n", True)
    (e,) = feed(d, b"234 AUTH TLS successful\r\n", False)
    assert e.fields["encrypted"]
    assert feed(d, b"\x16\x03\x01\x02\x00garbage\r\n", True) == []


def test_trouble() -> None:
    d = FtpDecoder()
    (e,) = feed(d, b"\x00\x01binary\r\n", True)
    assert e.fields["name"] == "ftp_protocol_violation" and d.violated
    d = FtpDecoder()
    feed(d, b"220 x\r\n", False)
    assert feed(d, b"??? what\r\n", True)[0].fields["name"] == "ftp_bad_command"
    assert feed(d, b"hello\r\n", False)[0].fields["name"] == "ftp_bad_reply"
    assert feed(d, b"A" * 5000, True)[0].fields["name"] == "ftp_line_too_long"
    feed(d, b"NOOP", True)
    assert [e.fields["name"] for e in d.finish(9.0, 9)] == ["ftp_incomplete_line"]
    assert d.gap(10, True, 1.0, 1) == []


def test_name_escaped() -> None:
    (e,) = feed(FtpDecoder(), b"STOR evil\x1b[2Jname\r\n", True)
    assert e.fields["filename"] == "evil\\x1b[2Jname"


def test_probe() -> None:
    assert FtpDecoder.probe(b"220 FileZilla Server ready (FTP)\r\n", False) > 0.5
    assert FtpDecoder.probe(b"USER bob\r\n", True) > 0.5
    assert FtpDecoder.probe(b"220 ESMTP mail\r\n", False) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=200)), max_size=8))
def test_never_raises(chunks: list[tuple[bool, bytes]]) -> None:
    d = FtpDecoder()
    feed(d, b"220 x\r\n", False)
    for i, (is_orig, data) in enumerate(chunks):
        assert isinstance(d.feed(data, is_orig, float(i), i + 2), list)
        if i == 3:
            d.gap(5, is_orig, 1.0, 1)
    assert isinstance(d.finish(9.0, 99), list)
