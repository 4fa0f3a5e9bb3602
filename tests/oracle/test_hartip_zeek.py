"""HART-IP against Zeek and the ICSNPP HART-IP plugin: its btest baselines, field for field.

Each test reads hart_ip_general.log beside a capture in ../shared/pcaps/hart-ip (the `_btest_*.zeek`
scripts cut the three link-id columns with `zeek-cut -n` and drop the header, so the columns are
named here) and rebuilds the same rows from our event log: header, session initiate, token-passing
PDU (address, command, byte count, check byte, response code, device status bits), direct PDU
device status and read audit log. Intended differences are documented in docs/protocols/hartip.md
("Differences from Zeek/ICSNPP") and encoded here exactly.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

pytestmark = pytest.mark.shared

BASELINES = {
    "icsnpp-hart-ip__hart-ip.pcap": "tests.hart_ip",
    "icsnpp-hart-ip__hart-ip_all_messageIDs.pcapng": "tests.all_message_ids",
    "icsnpp-hart-ip__hart-ip_all_types_and_commands_sent.pcapng": "tests.all_types_and_commands_sent",
    "icsnpp-hart-ip__hart-ip_publish_and_keepAlive.pcapng": "tests.publish_and_keepAlive_messages",
}
_STATUS = ["malfunction", "config_changed", "cold_start", "more_status", "current_fixed", "current_saturated",
           "non_pv_limits", "pv_limits"]
GENERAL_COLUMNS = [
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "message_packet_bytes", "version",
    "reserved", "message_type", "message_id", "status", "sequence_number", "length", "master_type", "timer",
    "address_type", "expansion_bytes", "physical_layer", "frame_type", "address_v4", "address_v6", "command",
    "byte_count", "check_byte", "data", "response_code", *(f"tp_{s}" for s in _STATUS),
    *(f"dp_{s}" for s in _STATUS), "ext_undefined", "ext_function_check", "ext_out_of_spec", "ext_failure",
    "ext_power", "ext_alert", "ext_maintenance", "audit_start", "audit_records", "audit_power_up",
    "audit_security_change", "audit_undefined", "audit_syslog_insecure", "audit_syslog_failed",
    "audit_syslog_missing", "audit_record_size",
]
MESSAGE_TYPES = {"request": "Request", "response": "Response", "publish": "Publish", "error": "Error", "nak": "NAK"}
MESSAGE_IDS = {"session_initiate": "Session Initiate", "session_close": "Session Close", "keep_alive": "Keep Alive",
               "token_passing_pdu": "Token Passing PDU", "direct_pdu": "Direct PDU", "read_audit_log": "Read Audit Log"}
STATUS = {"success": "Success", "set_to_nearest_possible_value": "Set to Nearest Possible Value Warning"}
FRAME_TYPES = {"stx": "STX Master to Field", "ack": "Acknowledgement Field to Master"}
#: ICSNPP's names of the HART commands in these captures -> command number
ZEEK_COMMANDS = {
    "Read Unique Identifier": 0, "Read Primary Variable": 1, "Read Loop Current": 2, "Read Dynamic Variable": 3,
    "Write Polling Address": 6, "Read Loop Configuration": 7, "Read Dynamic Variable Classifications": 8,
    "Read Device Variable": 9, "Read Unique Identifier Tag": 11, "Read Message": 12, "Read Tag": 13,
    "Read Primary Variable Transducer Information": 14, "Read Device Information": 15,
    "Read Final Assembly Number": 16, "Write Message": 17, "Write Tag Descriptor Date": 18,
    "Write Final Assembly Number": 19, "Read Long Tag": 20, "Read Unique Identifier Long Tag": 21,
    "Write Long Tag": 22, "Write Primary Variable Range Values": 35, "Reset Configuration Changed Flag": 38,
    "Read Additional Device Status": 48, "Write Device Variable Units": 53, "Read Device Variable Information": 54,
    "Write Device Variable": 79,
}
_FLAGS = ["device_malfunction", "configuration_changed", "cold_start", "more_status_available", "loop_current_fixed",
          "loop_current_saturated", "non_primary_variable_out_of_limits", "primary_variable_out_of_limits"]

Row = tuple[Any, ...]


def _capture(name: str) -> Path:
    path = PCAPS / "hart-ip" / name
    if not path.is_file():
        pytest.skip("../shared/pcaps is absent")
    return path


def _zeek_bytes(text: str) -> bytes:
    """A Zeek string with \\xNN escapes back to octets."""
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("latin-1"))


def _command(name: str) -> int | str:
    if name == "-":
        return "-"
    return int(name[8:], 16) if name.startswith("unknown-0x") else ZEEK_COMMANDS[name]


def zeek_rows(capture: str) -> Counter[Row]:
    path = PCAPS / "hart-ip" / f"{capture}.zeek-baseline" / BASELINES[capture] / "hart_ip_general.log"
    out: Counter[Row] = Counter()
    for r in read_zeek_log(path, GENERAL_COLUMNS):
        v6 = r["address_v6"]
        out[(r["id.orig_h"], int(r["id.orig_p"]), r["id.resp_h"], int(r["id.resp_p"]), r["version"], r["message_type"], r["message_id"], r["status"], r["sequence_number"], r["length"],
             r["master_type"], r["timer"], r["address_type"], r["expansion_bytes"], r["physical_layer"],
             r["frame_type"], r["address_v4"], "-" if v6 == "-" else _zeek_bytes(v6).hex(), _command(r["command"]),
             r["byte_count"], r["check_byte"], r["response_code"], tuple(r[f"tp_{s}"] for s in _STATUS),
             tuple(r[f"dp_{s}"] for s in _STATUS), r["audit_start"], r["audit_records"], r["audit_record_size"])] += 1
    return out


def _s(v: Any) -> str:
    return "-" if v is None else str(v)


def _flags(rec: dict[str, Any]) -> tuple[str, ...]:
    flags = rec.get("device_status_flags")
    if flags is None:
        return ("-",) * 8
    return tuple("T" if f in flags else "F" for f in _FLAGS)


def _polling_octet(rec: dict[str, Any]) -> str:
    """ICSNPP logs the whole short address octet (master and burst bits included); we split it."""
    if rec.get("polling_address") is None:
        return "-"
    return str(rec["primary_master"] << 7 | rec["burst_mode"] << 6 | rec["polling_address"])


def our_row(rec: dict[str, Any]) -> Row:
    if rec["is_orig"] is False:
        conn: Row = (rec["dst"], rec["dport"], rec["src"], rec["sport"])
    else:
        conn = (rec["src"], rec["sport"], rec["dst"], rec["dport"])
    mid = rec["message_id"]
    # ICSNPP does not parse the token-passing PDU of a publish (burst) message
    tp = mid == "token_passing_pdu" and "command" in rec and rec["message_type"] != "publish"
    at = rec.get("address_type")
    master = {"primary": 1, "secondary": 0}.get(rec.get("master_type", ""))
    answer = tp and rec.get("frame_type") == "ack"
    return (*conn, str(rec["version"]),
            MESSAGE_TYPES[rec["message_type"]], MESSAGE_IDS[mid], STATUS[rec["status"]], str(rec["sequence_number"]),
            str(rec["byte_count"]), _s(master), _s(rec.get("inactivity_close_timer")),
            {"unique": "Unique Address", "polling": "Polling Address"}.get(at or "", "-") if tp else "-",
            _s((rec["delimiter"] >> 5) & 3) if tp else "-", rec["physical_layer"].capitalize() if tp else "-",
            FRAME_TYPES.get(rec.get("frame_type", ""), "-"), _polling_octet(rec) if tp else "-",
            _s(rec.get("unique_address")) if tp else "-", rec["command"] if tp else "-",
            _s(rec.get("pdu_byte_count")) if tp else "-", _s(rec.get("check_byte")) if tp else "-", _s(rec.get("response_code")) if answer else "-",
            _flags(rec) if answer else ("-",) * 8, _flags(rec) if mid == "direct_pdu" else ("-",) * 8,
            _s(rec.get("start_record")), _s(rec.get("record_count")) if mid == "read_audit_log" else "-",
            _s(rec.get("session_record_size")))


@pytest.mark.parametrize("capture", list(BASELINES))
def test_hartip_general_log(capture: str) -> None:
    ours: Counter[Row] = Counter()
    for rec in records(_capture(capture), "hartip"):
        if rec["event"] != "weird":
            ours[our_row(rec)] += 1
    theirs = zeek_rows(capture)
    assert (theirs - ours, ours - theirs) == (Counter(), Counter())
    published = sum(1 for r in records(_capture(capture), "hartip") if r["event"] == "hartip_token_passing_pdu_publish"
                    and r.get("frame_type") == "back" and r.get("check_byte_ok"))
    assert published == PUBLISHED.get(capture, 0)


#: publish messages whose token-passing PDU (a burst frame) we decode and ICSNPP leaves unparsed
PUBLISHED = {"icsnpp-hart-ip__hart-ip_publish_and_keepAlive.pcapng": 18}
