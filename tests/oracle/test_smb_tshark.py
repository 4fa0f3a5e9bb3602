"""SMB against Wireshark: NetBIOS session requests, negotiation, NTLMSSP session setup and tree connects
frame for frame, and the per-command message counts of each capture.

Compared per frame: the decoded messages (negotiate, session setup, tree connect; request or response),
the SMB1 dialect list, SMB2 dialects, signing required, server GUID, native OS / LAN manager, share
path and service, NT status of the responses, the NTLMSSP message type, user, domain, workstation,
target name and the NetBIOS/DNS names of the target info, the NetBIOS called and calling names.
Per capture: how many messages carry each command (ours from ``smb_summary``).
Intended differences: docs/protocols/smb.md, encoded below.
"""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

from plantwarden.decoders.smb.constants import SMB1_COMMANDS, dialect_name, smb2_command, status_name

Key = tuple[Any, ...]
SMB1_DECODED = {0x72: "negotiate", 0x73: "session_setup", 0x75: "tree_connect"}
SMB2_DECODED = {0: "negotiate", 1: "session_setup", 3: "tree_connect"}
#: tshark field -> our field, compared as strings wherever they appear
STRINGS = {
    "smb.native_os": "native_os", "smb.native_lanman": "native_lanman", "smb.service": "service",
    "smb.server_guid": "server_guid", "smb2.server_guid": "server_guid", "smb.path": "path", "smb2.tree": "path",
    "ntlmssp.auth.username": "user", "ntlmssp.auth.domain": "domain", "ntlmssp.auth.hostname": "workstation",
    "ntlmssp.challenge.target_name": "target_name",
    "ntlmssp.challenge.target_info.nb_computer_name": "netbios_computer",
    "ntlmssp.challenge.target_info.nb_domain_name": "netbios_domain",
    "ntlmssp.challenge.target_info.dns_computer_name": "dns_computer",
    "ntlmssp.challenge.target_info.dns_domain_name": "dns_domain",
    "nbss.called_name": "called_name", "nbss.calling_name": "calling_name",
}
FIELDS = ["smb.cmd", "smb.flags.response", "smb.nt_status", "smb2.cmd", "smb2.flags.response", "smb2.nt_status",
          "smb.dialect.name", "smb2.dialect", "smb.sm.sig_required", "smb2.sec_mode.sign_required",
          "ntlmssp.messagetype", *STRINGS]
NTLM = {1: "negotiate", 2: "challenge", 3: "authenticate"}
COUNTED = {"encrypted", "compressed", "malformed"}


def _flag(v: str) -> bool:
    return v.lower() in ("1", "true")


def _theirs(field: str, v: str) -> str:
    """Wireshark's rendering -> ours: it prints an empty NTLMSSP name as "NULL", and the SMB1 server GUID
    in wire byte order where we (and Wireshark for SMB2) read the GUID's first three fields little-endian."""
    if field.startswith("ntlmssp.auth.") and v == "NULL":
        return ""
    if field == "smb.server_guid":
        return str(uuid.UUID(bytes_le=uuid.UUID(v).bytes))
    return v


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, FIELDS, decode_as=decode_as, display_filter="(smb || smb2 || nbss) && tcp"):
        c = dict(zip(FIELDS, cols, strict=True))
        decoded = False
        for cmd_f, resp_f, st_f, table, parse in (("smb.cmd", "smb.flags.response", "smb.nt_status", SMB1_DECODED,
                                                   lambda v: int(v, 16)),
                                                  ("smb2.cmd", "smb2.flags.response", "smb2.nt_status",
                                                   SMB2_DECODED, int)):
            cmds = [parse(v) for v in c[cmd_f]]
            for code in cmds:
                if cmd_f == "smb.cmd" and code == 0xFF:
                    continue
                out[("count", SMB1_COMMANDS[code] if cmd_f == "smb.cmd" else smb2_command(code))] += 1
            resp = [_flag(v) for v in c[resp_f]]
            for i, code in enumerate(cmds):
                if code in table:
                    decoded = True
                    r = resp[min(i, len(resp) - 1)] if resp else False
                    out[(frame, "event", f"smb_{table[code]}_{'response' if r else 'request'}")] += 1
                    if r and c[st_f]:
                        out[(frame, "status", status_name(int(c[st_f][min(i, len(c[st_f]) - 1)], 16)))] += 1
        if c["smb.dialect.name"]:
            out[(frame, "dialects", tuple(c["smb.dialect.name"]))] += 1
        if c["smb2.dialect"]:
            out[(frame, "dialects", tuple(dialect_name(int(v, 16)) for v in c["smb2.dialect"]))] += 1
        for f in ("smb.sm.sig_required", "smb2.sec_mode.sign_required"):
            out.update((frame, "signing_required", _flag(v)) for v in c[f])
        out.update((frame, "ntlmssp", NTLM.get(int(v, 16), v)) for v in c["ntlmssp.messagetype"])
        for f, ours in STRINGS.items():
            if f.startswith("nbss") or decoded:
                out.update((frame, ours, _theirs(f, v)) for v in c[f])
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "smb"):
        fr, ev = r["frame"], r["event"]
        if ev == "smb_summary":
            out.update({("count", k): v for k, v in r["commands"].items() if k not in COUNTED})
            continue
        if ev == "weird":
            continue
        if ev != "smb_session_request":
            out[(fr, "event", ev)] += 1
        if "status" in r:
            out[(fr, "status", r["status"])] += 1
        if "dialects" in r:
            out[(fr, "dialects", tuple(r["dialects"]))] += 1
        if r.get("version") == "SMB2" and ev == "smb_negotiate_response" and r.get("dialect"):
            out[(fr, "dialects", (r["dialect"],))] += 1
        if "signing_required" in r:
            out[(fr, "signing_required", r["signing_required"])] += 1
        if r.get("ntlmssp"):
            out[(fr, "ntlmssp", r["ntlmssp"])] += 1
        for ours in set(STRINGS.values()):
            v = r.get(ours)
            if ours == "path" and ev == "smb_tree_connect_response" and r["version"] == "SMB2":
                continue  # Wireshark names the tree in an SMB2 response only in its tree, not as smb2.tree
            if v is not None:
                out[(fr, ours, v)] += 1
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/smb.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("smb", "smb2", "nbss")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_smb_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
