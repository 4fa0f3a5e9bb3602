"""FTP from a real stack: Python's ftplib against a pyftpdlib server on 127.0.0.1 (login, PASV
listing, STOR and RETR), captured with tcpdump, decoded and compared with tshark."""

from __future__ import annotations

import ftplib
import io
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, tcpdump

pytest.importorskip("pyftpdlib")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_ftp_tshark as oracle  # noqa: E402

USER, PASSWORD = "plc-backup", "Backup#2024!"


@pytest.fixture(scope="module")
def ftp_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    root = tmp_path_factory.mktemp("ftproot")
    auth = DummyAuthorizer()
    auth.add_user(USER, PASSWORD, str(root), perm="elradfmw")
    handler = type("Handler", (FTPHandler,), {"authorizer": auth, "banner": "PlantFTP 1.0 ready"})
    port = free_port()
    server = FTPServer(("127.0.0.1", port), handler)
    t = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2, "blocking": True}, daemon=True)
    t.start()
    path = tmp_path_factory.mktemp("ftp") / "ftp.pcap"
    try:
        with tcpdump(path, f"tcp port {port}"):
            c = ftplib.FTP()
            c.connect("127.0.0.1", port, timeout=10)
            c.login(USER, PASSWORD)
            c.storbinary("STOR program.s7p", io.BytesIO(b"\x00\x01" * 500))
            c.retrbinary("RETR program.s7p", lambda b: None)
            c.nlst()
            c.quit()
    finally:
        server.close_all()
    return path, port


def test_ftp_events(ftp_capture: tuple[Path, int]) -> None:
    recs = [r for r in iter_records([ftp_capture[0]]) if r["proto"] == "ftp"]
    assert not [r for r in recs if r["event"] == "weird"], recs
    cmds = [r for r in recs if r["event"] == "ftp_command"]
    assert [c["command"] for c in cmds][:2] == ["USER", "PASS"]
    assert cmds[0]["arg"] == USER and cmds[1]["credentials_in_clear"] and cmds[1]["arg"] is None
    assert PASSWORD not in str(recs)
    files = [(c["command"], c.get("filename")) for c in cmds if c["command"] in ("STOR", "RETR")]
    assert files == [("STOR", "program.s7p"), ("RETR", "program.s7p")]
    replies = [r for r in recs if r["event"] == "ftp_reply"]
    assert replies[0]["reply_code"] == 220 and replies[0]["identity"] == {"product_name": "PlantFTP 1.0 ready"}
    assert any(r["reply_code"] == 230 and r["logged_in"] and r["user"] == USER for r in replies)
    pasv = [r for r in replies if r["reply_code"] == 227]
    assert pasv and all(r["data_address"] == "127.0.0.1" and r["data_port"] > 0 for r in pasv)


@pytest.mark.tshark
def test_ftp_matches_tshark(ftp_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = ftp_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},ftp",))
    assert sum(theirs.values()) >= 20
    oracle.compare(record_property, theirs, oracle.our_keys(path))
