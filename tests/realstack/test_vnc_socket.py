"""VNC over a real TCP stack: no VNC server is installed (x11vnc/Xvfb are not in the system deps), so
a socket server and a socket client on 127.0.0.1 replay an RFC 6143 conversation (3.8, VNC
authentication, ServerInit, a few viewer messages and a raw framebuffer update spread over many
segments); captured with tcpdump, decoded and compared with tshark."""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, tcpdump

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_vnc_tshark as oracle  # noqa: E402

NAME = b"WinCC RT Client - Line 3"
PIXEL = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
W, H = 320, 200


def _recv(c: socket.socket, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = c.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def _send_apart(c: socket.socket, *messages: bytes) -> None:
    for m in messages:
        c.sendall(m)
        time.sleep(0.05)


def _serve(srv: socket.socket) -> None:
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(10)
        conn.sendall(b"RFB 003.008\n")
        _recv(conn, 12)
        conn.sendall(bytes([2, 2, 1]))
        _recv(conn, 1)
        conn.sendall(bytes(range(16)))  # the challenge
        _recv(conn, 16)
        conn.sendall(struct.pack(">I", 0))
        _recv(conn, 1)
        conn.sendall(struct.pack(">HH", W, H) + PIXEL + struct.pack(">I", len(NAME)) + NAME)
        _recv(conn, 8 + 10)  # SetEncodings (one) and a FramebufferUpdateRequest
        rect = struct.pack(">HHHHi", 0, 0, W, H, 0) + bytes(W * H * 4)
        conn.sendall(b"\x00\x00\x00\x01" + rect + b"\x02")
        _recv(conn, 8 + 6 + 8)
        time.sleep(0.1)


@pytest.fixture(scope="module")
def vnc_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    port = free_port()
    srv = socket.create_server(("127.0.0.1", port))
    t = threading.Thread(target=_serve, args=(srv,), daemon=True)
    path = tmp_path_factory.mktemp("vnc") / "vnc.pcap"
    try:
        with tcpdump(path, f"tcp port {port}"), socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            t.start()
            _recv(c, 12)
            c.sendall(b"RFB 003.008\n")
            _recv(c, 3)
            c.sendall(b"\x02")
            _recv(c, 16)
            c.sendall(b"\xaa" * 16)
            _recv(c, 4)
            c.sendall(b"\x01")
            _recv(c, 24 + len(NAME))
            # one viewer message per segment: Wireshark 4.0 dissects only the first of a segment
            _send_apart(c, b"\x02\x00\x00\x01" + struct.pack(">i", 0), b"\x03\x00" + struct.pack(">HHHH", 0, 0, W, H))
            _recv(c, 4 + 12 + W * H * 4 + 1)
            _send_apart(c, b"\x04\x01\x00\x00\x00\x00\xff\x0d", b"\x05\x00\x00\x10\x00\x20",
                        b"\x04\x00\x00\x00\x00\x00\xff\x0d")
            t.join(10)
    finally:
        srv.close()
    return path, port


def test_vnc_events(vnc_capture: tuple[Path, int]) -> None:
    recs = [r for r in iter_records([vnc_capture[0]]) if r["proto"] == "vnc"]
    assert not [r for r in recs if r["event"] == "weird"], recs
    assert [r["event"] for r in recs] == ["vnc_version", "vnc_version", "vnc_security_types", "vnc_security_selected",
                                          "vnc_auth_result", "vnc_client_init", "vnc_server_init", "vnc_summary"]
    si, summary = recs[6], recs[7]
    assert (si["width"], si["height"], si["name"], si["identity"]) == (W, H, NAME.decode(), {"name": NAME.decode()})
    assert summary["server_messages"] == {"bell": 1, "framebuffer_update": 1} and summary["rectangles"] == 1
    assert summary["client_messages"] == {"framebuffer_update_request": 1, "key_event": 2, "pointer_event": 1,
                                          "set_encodings": 1}
    assert summary["weak"] == ["vnc_authentication_des"] and summary["authenticated"] is True


@pytest.mark.tshark
def test_vnc_matches_tshark(vnc_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = vnc_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},vnc",))
    assert sum(theirs.values()) >= 10
    oracle.compare(record_property, theirs, oracle.our_keys(path))
