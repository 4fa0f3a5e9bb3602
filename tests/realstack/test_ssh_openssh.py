"""SSH from a real stack: Debian's OpenSSH client connecting to a minimal server on 127.0.0.1 that
sends its own banner and a KEXINIT, captured with tcpdump, decoded and compared with tshark.
(No sshd is installed; the client's banner and KEXINIT are OpenSSH's own.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from ..conftest import need_tool
from .capture import free_port, tcpdump

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_ssh_tshark as oracle  # noqa: E402

SERVER_BANNER = b"SSH-2.0-PlantSSH_1.0 RTU-gateway\r\n"


def _namelist(*names: str) -> bytes:
    raw = ",".join(names).encode()
    return len(raw).to_bytes(4, "big") + raw


KEXINIT = (bytes([20]) + bytes(16) + _namelist("curve25519-sha256", "diffie-hellman-group1-sha1")
           + _namelist("ssh-ed25519", "ssh-dss") + _namelist("aes128-ctr") + _namelist("aes128-ctr", "3des-cbc")
           + _namelist("hmac-sha2-256") + _namelist("hmac-sha2-256") + _namelist("none") + _namelist("none")
           + _namelist() + _namelist() + b"\x00" + bytes(4))


def _packet(payload: bytes) -> bytes:
    pad = 8 - (len(payload) + 5) % 8 + 8
    return (len(payload) + pad + 1).to_bytes(4, "big") + bytes([pad]) + payload + bytes(pad)


@pytest.fixture(scope="module")
def ssh_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    ssh = need_tool("ssh")
    port = free_port()
    srv = socket.create_server(("127.0.0.1", port))

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.sendall(SERVER_BANNER)
            conn.settimeout(5)
            got = b""
            try:
                while b"\n" not in got or len(got) < 200:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            except OSError:
                pass
            conn.sendall(_packet(KEXINIT))
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    path = tmp_path_factory.mktemp("ssh") / "ssh.pcap"
    with tcpdump(path, f"tcp port {port}"):
        subprocess.run([ssh, "-p", str(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "operator@127.0.0.1", "true"],
                       capture_output=True, timeout=30, env={**os.environ, "HOME": str(path.parent)})
        t.join(10)
    srv.close()
    return path, port


def test_ssh_events(ssh_capture: tuple[Path, int]) -> None:
    recs = [r for r in iter_records([ssh_capture[0]]) if r["proto"] == "ssh"]
    banners = {r["role"]: r for r in recs if r["event"] == "ssh_banner"}
    assert banners["client"]["software"].startswith("OpenSSH_")
    assert banners["client"]["identity"]["application_version"].startswith("OpenSSH_")
    assert banners["server"]["identity"] == {"application_version": "PlantSSH_1.0 RTU-gateway"}
    kex = {r["role"]: r for r in recs if r["event"] == "ssh_kexinit"}
    assert "curve25519-sha256" in kex["client"]["kex_algorithms"] or kex["client"]["kex_algorithms"]
    assert kex["server"]["weak_offered"] == ["3des-cbc", "diffie-hellman-group1-sha1", "ssh-dss"]


@pytest.mark.tshark
def test_ssh_matches_tshark(ssh_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = ssh_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},ssh",))
    assert sum(theirs.values()) >= 4
    oracle.compare(record_property, theirs, oracle.our_keys(path))
