"""SSH decoder fed byte literals: banners, pre-banner lines, KEXINIT and HASSH, trouble."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.ssh import SshDecoder


def namelist(*names: str) -> bytes:
    raw = ",".join(names).encode()
    return len(raw).to_bytes(4, "big") + raw


def kexinit(kex: tuple[str, ...], enc: tuple[str, ...], mac: tuple[str, ...]) -> bytes:
    payload = (bytes([20]) + bytes(16) + namelist(*kex) + namelist("ssh-ed25519") + namelist(*enc) + namelist(*enc)
               + namelist(*mac) + namelist(*mac) + namelist("none") + namelist("none") + namelist() + namelist()
               + b"\x00" + bytes(4))
    pad = 8 - (len(payload) + 5) % 8 + 8
    return (len(payload) + pad + 1).to_bytes(4, "big") + bytes([pad]) + payload + bytes(pad)


CLIENT = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
KEX = kexinit(("curve25519-sha256", "diffie-hellman-group1-sha1"), ("aes128-ctr", "arcfour"), ("hmac-sha2-256",))


def test_banner_and_kexinit_in_pieces() -> None:
    d = SshDecoder()
    data = CLIENT + KEX
    evs: list[Event] = []
    for i in range(0, len(data), 9):
        evs += d.feed(data[i:i + 9], True, float(i), i)
    assert [e.name for e in evs] == ["ssh_banner", "ssh_kexinit"]
    b = evs[0].fields
    assert (b["protocol_version"], b["software"], b["comments"], b["role"], b["weak"]) == (
        "2.0", "OpenSSH_9.2p1", "Debian-2+deb12u3", "client", [])
    assert b["identity"] == {"application_version": "OpenSSH_9.2p1 Debian-2+deb12u3"}
    k = evs[1].fields
    algos = "curve25519-sha256,diffie-hellman-group1-sha1;aes128-ctr,arcfour;hmac-sha2-256;none"
    assert k["hassh_algorithms"] == algos and k["hassh"] == hashlib.md5(algos.encode()).hexdigest()
    assert k["weak_offered"] == ["arcfour", "diffie-hellman-group1-sha1"]
    assert d.feed(b"\x00\x00\x01\x00encrypted...", True, 9.0, 99) == []


def test_server_lines_before_banner_and_ssh1() -> None:
    d = SshDecoder()
    (ev,) = d.feed(b"Welcome to the RTU\r\nSSH-1.5-Cisco-1.25\r\n", False, 1.0, 1)
    assert ev.fields["software"] == "Cisco-1.25" and ev.fields["comments"] is None
    assert ev.fields["protocol_version"] == "1.5" and ev.fields["weak"] == ["ssh1"]
    assert d.feed(b"\x00\x00\x00\x10binary", False, 2.0, 2) == []


def test_trouble() -> None:
    d = SshDecoder()
    (ev,) = d.feed(b"GET / HTTP/1.1\r\n", True, 1.0, 1)
    assert ev.fields["name"] == "ssh_protocol_violation" and d.violated
    d = SshDecoder()
    d.feed(CLIENT, True, 1.0, 1)
    (ev,) = d.feed(b"\xff\xff\xff\xff\x00\x00", True, 1.0, 2)
    assert ev.fields["name"] == "ssh_bad_packet"
    d = SshDecoder()
    d.feed(CLIENT, True, 1.0, 1)
    (ev,) = d.feed(b"\x00\x00\x00\x0c\x04\x15" + bytes(10), True, 1.0, 2)
    assert ev.fields["name"] == "ssh_no_kexinit"
    d = SshDecoder()
    d.feed(b"SSH-2.0-x\r\n", True, 1.0, 1)
    assert d.gap(10, True, 1.0, 2) == [] and d.feed(KEX, True, 1.0, 3) == []
    (ev,) = d.feed(b"SSH-2.0-\x1b[31mevil\r\n", False, 1.0, 4)
    assert ev.fields["software"] == "\\x1b[31mevil"


def test_probe() -> None:
    assert SshDecoder.probe(CLIENT, True) > 0.5
    assert SshDecoder.probe(b"SSH-x", True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=200)), max_size=8), st.booleans())
def test_never_raises(chunks: list[tuple[bool, bytes]], banner: bool) -> None:
    d = SshDecoder()
    if banner:
        d.feed(CLIENT, True, 0.0, 0)
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed(data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
    assert isinstance(d.finish(9.0, 99), list)
