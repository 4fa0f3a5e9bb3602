"""Telnet decoder fed byte literals: negotiation, banner, login dialogue (line and character mode), trouble."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.telnet import TelnetDecoder

IAC, SB, SE, WILL, WONT, DO, DONT = 255, 250, 240, 251, 252, 253, 254


def cmd(*b: int) -> bytes:
    return bytes((IAC, *b))


def feed(d: TelnetDecoder, data: bytes, is_orig: bool, frame: int = 1) -> list[Event]:
    out = d.feed(data, is_orig, float(frame), frame)
    assert all(isinstance(e, Event) for e in out)
    return out


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else e.fields["name"] for e in evs]


def test_negotiation_summary() -> None:
    d = TelnetDecoder()
    (e,) = feed(d, cmd(DO, 24) + cmd(DO, 32) + cmd(DO, 31) + cmd(WILL, 1) + cmd(DO, 200), False)
    assert e.name == "telnet_negotiation" and not e.is_orig
    assert e.fields["commands"] == ["DO terminal-type", "DO terminal-speed", "DO window-size", "WILL echo",
                                    "DO unknown-200"]
    assert e.fields["options"] == sorted(["terminal-type", "terminal-speed", "window-size", "echo", "unknown-200"])
    assert e.fields["role"] == "server" and e.fields["protection_offered"] is False
    naws = cmd(SB, 31, 0, 80, 0, 24) + cmd(SE)
    ttype = cmd(SB, 24, 0) + b"XTERM-256COLOR" + cmd(SE)
    (e,) = feed(d, cmd(WILL, 31) + naws + ttype, True, 2)
    assert e.fields["commands"] == ["WILL window-size", "SB window-size", "SB terminal-type"]
    assert (e.fields["window_width"], e.fields["window_height"], e.fields["terminal_type"]) == (80, 24, "XTERM-256COLOR")
    assert e.fields["role"] == "client"


def test_iac_split_across_segments_and_escaped_ff() -> None:
    d = TelnetDecoder()
    assert feed(d, b"\xff", False) == []
    assert feed(d, b"\xfb", False, 2) == []
    (e,) = feed(d, b"\x01", False, 3)
    assert e.fields["commands"] == ["WILL echo"] and e.frame == 3
    assert feed(d, cmd(SB, 31, 0, 0xFF), True, 4) == []
    (e,) = feed(d, b"\xff\x00\x19" + cmd(SE), True, 5)
    assert (e.fields["window_width"], e.fields["window_height"]) == (255, 25)


def test_new_environ_user_and_encryption() -> None:
    d = TelnetDecoder()
    env = cmd(SB, 39, 0) + b"\x00USER\x01operator\x03DISPLAY\x01:0" + cmd(SE)
    (e,) = feed(d, env + cmd(WILL, 38), True)
    assert e.fields["user"] == "operator" and e.fields["environment"] == {"USER": "operator", "DISPLAY": ":0"}
    assert e.fields["protection_offered"] is True and d.user == "operator"


def test_banner_login_password_line_mode() -> None:
    d = TelnetDecoder()
    evs = feed(d, cmd(DO, 1) + b"\r\nSIMATIC NET CP 343-1 Lean\r\nFirmware V3.2\r\n\r\nlogin: ", False)
    assert names(evs) == ["telnet_negotiation", "telnet_banner"]
    b = evs[1].fields
    assert b["banner"] == "SIMATIC NET CP 343-1 Lean\nFirmware V3.2" and b["lines"] == 2
    assert b["identity"] == {"product_name": "SIMATIC NET CP 343-1 Lean"} and not evs[1].is_orig
    (u,) = feed(d, b"admin\r\n", True, 2)
    assert u.name == "telnet_login" and u.fields == {"user": "admin", "prompt": "login:"} and u.is_orig
    assert feed(d, b"admin\r\nPassword: ", False, 3) == []
    (p,) = feed(d, b"s3cret!\r\x00", True, 4)
    assert p.name == "telnet_password_sent"
    assert p.fields == {"user": "admin", "prompt": "Password:", "credentials_in_clear": True}
    assert "s3cret" not in str(p.fields) and d._typed == bytearray()
    assert feed(d, b"ls -l\r\n", True, 5) == []  # shell input is not reported


def test_character_mode_with_echo_and_backspace() -> None:
    d = TelnetDecoder()
    feed(d, b"Welcome\r\nUsername: ", False)
    evs: list[Event] = []
    for i, ch in enumerate(b"opz\x7fr"):
        evs += feed(d, bytes([ch]), True, 10 + i)
        evs += feed(d, bytes([ch]) if ch != 0x7F else b"\x08 \x08", False, 10 + i)  # the server's echo
    evs += feed(d, b"\r\x00", True, 20)
    assert names(evs) == ["telnet_login"] and evs[0].fields["user"] == "opr" and evs[0].frame == 20
    feed(d, b"\r\nPassword: ", False, 21)
    evs = []
    for i, ch in enumerate(b"pw\r"):
        evs += feed(d, bytes([ch]), True, 22 + i)
    assert names(evs) == ["telnet_password_sent"] and evs[0].frame == 24 and evs[0].fields["user"] == "opr"


def test_no_banner_when_only_a_prompt_and_banner_at_finish() -> None:
    d = TelnetDecoder()
    assert feed(d, b"login: ", False) == []
    d = TelnetDecoder()
    assert feed(d, b"RTU-7 console ready\r\n", False) == []
    (e,) = d.finish(9.0, 9)
    assert e.name == "telnet_banner" and e.fields["identity"] == {"product_name": "RTU-7 console ready"}


def test_banner_closed_by_client_text() -> None:
    d = TelnetDecoder()
    feed(d, b"\x1b[2JHMI\x07 panel\r\n", False)
    (e,) = feed(d, b"help\r\n", True, 2)
    assert e.name == "telnet_banner" and e.fields["banner"] == "\\x1b[2JHMI\\x07 panel" and e.frame == 2


def test_trouble() -> None:
    d = TelnetDecoder()
    (e,) = feed(d, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40), True)
    assert e.fields["name"] == "telnet_protocol_violation" and d.violated
    assert feed(d, b"login: ", False) == []
    d = TelnetDecoder()
    (e,) = feed(d, b"\xff\x05", True)
    assert e.fields["name"] == "telnet_protocol_violation" and d.violated
    d = TelnetDecoder()
    feed(d, cmd(DO, 1), False)
    assert names(feed(d, b"x\xff\x05y", False)) == ["telnet_bad_command"]
    assert names(feed(d, cmd(SB, 24) + b"A" * 2000, True)) == ["telnet_subnegotiation_too_long"]
    feed(d, cmd(SB, 24, 0) + b"VT", True)
    assert names(d.finish(9.0, 9)) == ["telnet_banner", "telnet_incomplete_command"]  # "xy" was its text


def test_gap_forgets_the_prompt() -> None:
    d = TelnetDecoder()
    feed(d, b"login: ", False)
    assert d.gap(10, True, 1.0, 2) == []
    assert feed(d, b"root\r\n", True, 3) == []
    assert d.gap(5, False, 1.0, 4) == [] and d._tail == b""


def test_other_commands_named() -> None:
    d = TelnetDecoder()
    (e,) = feed(d, b"abc" + cmd(246) + cmd(241) + cmd(249), True)
    assert e.fields["commands"] == ["AYT", "NOP", "GA"] and e.fields["options"] == []


def test_probe() -> None:
    assert TelnetDecoder.probe(cmd(DO, 24), False) > 0.5
    assert TelnetDecoder.probe(b"login: ", False) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=200)), max_size=8), st.booleans())
def test_never_raises(chunks: list[tuple[bool, bytes]], negotiated: bool) -> None:
    d = TelnetDecoder()
    if negotiated:
        feed(d, cmd(DO, 1) + b"login: ", False)
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed(data, is_orig, float(i), i + 2)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        if i == 4:
            assert isinstance(d.gap(3, is_orig, 1.0, 1), list)
    assert isinstance(d.finish(9.0, 99), list)


def test_docs_complete() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    doc = (root / "docs" / "protocols" / "telnet.md").read_text()
    src = (root / "plantwarden" / "decoders" / "telnet" / "decoder.py").read_text()
    weirds = set(re.findall(r'weird\(\s*"(telnet_[a-z_]+)"', src))
    assert len(weirds) == 4 and sorted(w for w in weirds if f"`{w}`" not in doc) == []
    d = TelnetDecoder()
    env = cmd(SB, 39, 0) + b"\x00USER\x01op" + cmd(SE) + cmd(SB, 32, 0) + b"9600,9600" + cmd(SE)
    evs = feed(d, cmd(DO, 24) + b"Banner\r\nlogin: ", False) + feed(d, env + cmd(SB, 35, 0) + b"h:0" + cmd(SE), True)
    evs += feed(d, cmd(SB, 31, 0, 80, 0, 24) + cmd(SE) + cmd(SB, 24, 0) + b"vt" + cmd(SE) + b"op\r\n", True)
    evs += feed(d, b"Password:", False) + feed(d, b"x\r\n", True)
    assert {e.name for e in evs} == {"telnet_negotiation", "telnet_banner", "telnet_login", "telnet_password_sent"}
    fields = {k for e in evs for k in e.fields} | {k for e in evs for k in e.fields.get("identity", {})}
    assert sorted(f"`{x}`" for x in {e.name for e in evs} | fields if f"`{x}`" not in doc) == []
