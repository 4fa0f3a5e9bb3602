"""Telnet from a real TCP stack: a socketserver login responder (Python has no Telnet server) and a raw
socket client typing in character mode, on 127.0.0.1, captured with tcpdump, decoded and compared with
tshark. The server negotiates echo and terminal type, sends a banner, asks for a login and a password."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, tcpdump

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_telnet_tshark as oracle  # noqa: E402

IAC, SB, SE, WILL, DO = 255, 250, 240, 251, 253
USER, PASSWORD = "operator", "Hunter#22"
BANNER = b"\r\nPlantOS 2.1 (rtu-7)\r\nAuthorised access only\r\n\r\nrtu-7 login: "


def cmd(*b: int) -> bytes:
    return bytes((IAC, *b))


class LoginHandler(socketserver.BaseRequestHandler):
    """Negotiates, greets, reads a user name and a password (echoing the user name), then a command."""

    def _line(self, echo: bool) -> bytes:
        got = bytearray()
        while True:
            b = self.request.recv(1)
            if not b:
                return bytes(got)
            if b[0] == IAC:  # the client's negotiation: skip it (and a subnegotiation up to IAC SE)
                verb = self.request.recv(1)
                if verb[0] == SB:
                    while self.request.recv(1) != bytes([IAC]) or self.request.recv(1) != bytes([SE]):
                        pass
                else:
                    self.request.recv(1)
                continue
            if b in (b"\r", b"\n"):
                if got:
                    return bytes(got)
                continue
            if b != b"\x00":
                got += b
                if echo:
                    self.request.sendall(b)

    def handle(self) -> None:
        self.request.settimeout(10)
        self.request.sendall(cmd(DO, 24) + cmd(DO, 31) + cmd(WILL, 1) + cmd(WILL, 3))
        time.sleep(0.05)
        self.request.sendall(BANNER)
        self._line(echo=True)
        self.request.sendall(b"\r\nPassword: ")
        self._line(echo=False)
        self.request.sendall(b"\r\nLast login: never\r\n$ ")
        self._line(echo=True)
        self.request.sendall(b"\r\nlogout\r\n")


@pytest.fixture(scope="module")
def telnet_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    port = free_port()
    server = socketserver.TCPServer(("127.0.0.1", port), LoginHandler)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    path = tmp_path_factory.mktemp("telnet") / "telnet.pcap"
    try:
        with tcpdump(path, f"tcp port {port}"), socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            time.sleep(0.2)
            c.sendall(cmd(WILL, 24) + cmd(WILL, 31) + cmd(SB, 31, 0, 132, 0, 43) + cmd(SE)
                      + cmd(SB, 24, 0) + b"XTERM" + cmd(SE))
            time.sleep(0.2)
            for ch in USER.encode() + b"\r\x00":  # character mode: one keystroke per segment
                c.sendall(bytes([ch]))
                time.sleep(0.01)
            time.sleep(0.2)
            c.sendall(PASSWORD.encode() + b"\r\n")
            time.sleep(0.2)
            c.sendall(b"exit\r\n")
            c.settimeout(5)
            while c.recv(4096):
                pass
    finally:
        server.shutdown()
        server.server_close()
    return path, port


def test_telnet_events(telnet_capture: tuple[Path, int]) -> None:
    recs = [r for r in iter_records([telnet_capture[0]]) if r["proto"] == "telnet"]
    assert not [r for r in recs if r["event"] == "weird"], recs
    assert [r["event"] for r in recs] == ["telnet_negotiation", "telnet_banner", "telnet_negotiation",
                                          "telnet_login", "telnet_password_sent"]
    neg_s, banner, neg_c, login, pw = recs
    assert neg_s["commands"] == ["DO terminal-type", "DO window-size", "WILL echo", "WILL suppress-go-ahead"]
    assert (neg_c["window_width"], neg_c["window_height"], neg_c["terminal_type"]) == (132, 43, "XTERM")
    assert banner["identity"] == {"product_name": "PlantOS 2.1 (rtu-7)"} and banner["lines"] == 2
    assert login["user"] == USER and login["prompt"] == "rtu-7 login:" and login["is_orig"]
    assert pw["credentials_in_clear"] and pw["user"] == USER
    assert PASSWORD not in str(recs)


@pytest.mark.tshark
def test_telnet_matches_tshark(telnet_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = telnet_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},telnet",))
    assert sum(theirs.values()) >= 8
    oracle.compare(record_property, theirs, oracle.our_keys(path))
