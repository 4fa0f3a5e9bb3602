"""SMB2 from a real stack: impacket's SMBConnection (NTLM login, tree connect, a file read) against
impacket's SimpleSMBServer on 127.0.0.1, captured with tcpdump, decoded and compared with tshark.
(The shared captures only carry SMB1; this covers SMB2 negotiation and NTLMSSP inside SPNEGO.)"""

from __future__ import annotations

import io
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, tcpdump

pytest.importorskip("impacket")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_smb_tshark as oracle  # noqa: E402

USER, DOMAIN, PASSWORD, CLIENT = "engineer", "PLANT", "password", "EWS-07"
NT_HASH = "8846f7eaee8fb117ad06bdd830b7586c"  # MD4 of "password" (UTF-16LE)


@pytest.fixture(scope="module")
def smb_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    from impacket import smbserver
    from impacket.smbconnection import SMBConnection

    share = tmp_path_factory.mktemp("share")
    (share / "recipe.txt").write_text("batch 42\n")
    port = free_port()
    srv = smbserver.SimpleSMBServer(listenAddress="127.0.0.1", listenPort=port)
    srv.addShare("RECIPES", str(share), "")
    srv.setSMB2Support(True)
    srv.addCredential(USER, 1000, "aad3b435b51404eeaad3b435b51404ee", NT_HASH)
    threading.Thread(target=srv.start, daemon=True).start()
    time.sleep(0.5)
    path = tmp_path_factory.mktemp("smb") / "smb.pcap"
    with tcpdump(path, f"tcp port {port}"):
        c = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port, myName=CLIENT, timeout=10)
        c.login(USER, PASSWORD, DOMAIN)
        buf = io.BytesIO()
        c.getFile("RECIPES", "recipe.txt", buf.write)
        c.logoff()
        c.close()
        assert buf.getvalue() == b"batch 42\n"
    srv.stop()
    return path, port


def test_smb_events(smb_capture: tuple[Path, int]) -> None:
    recs = [r for r in iter_records([smb_capture[0]]) if r["proto"] == "smb"]
    assert not [r for r in recs if r["event"] == "weird"], recs
    by = {r["event"]: r for r in recs}
    # the client asks in SMB1 for SMB2 dialects; the server answers in SMB2: not SMB1 use
    assert by["smb_negotiate_request"]["version"] == "SMB1" and "SMB 2.002" in by["smb_negotiate_request"]["dialects"]
    assert by["smb_negotiate_response"]["version"] == "SMB2" and by["smb_negotiate_response"]["dialect"] == "2.0.2"
    auth = [r for r in recs if r["event"] == "smb_session_setup_request" and r["ntlmssp"] == "authenticate"]
    assert [(a["user"], a["domain"], a["workstation"]) for a in auth] == [(USER, DOMAIN, CLIENT)]
    ch = [r for r in recs if r.get("ntlmssp") == "challenge"]
    assert ch and ch[0]["status"] == "STATUS_MORE_PROCESSING_REQUIRED" and ch[0]["identity"]["name"]
    assert by["smb_tree_connect_request"]["path"].endswith("\\RECIPES")
    assert by["smb_tree_connect_response"]["share_type"] == "disk"
    s = by["smb_summary"]
    assert s["commands"]["read"] == 2 and s["commands"]["create"] == 2 and s["user"] == USER
    assert "smb1" not in s["weak"] and s["versions"] == ["SMB1", "SMB2"]
    assert PASSWORD not in str(recs) and NT_HASH not in str(recs)


@pytest.mark.tshark
def test_smb_matches_tshark(smb_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = smb_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},nbss",))
    assert sum(theirs.values()) >= 30
    oracle.compare(record_property, theirs, oracle.our_keys(path))
