"""BACnet/IP against Zeek and the ICSNPP BACnet plugin: its btest baselines, field for field.

Each test reads the logs beside a capture in ../shared/pcaps/bacnet (the `_btest_*.zeek` scripts
keep every column; timestamps are masked, and the masking also ate digits of some values, which
are therefore compared only where unmasked) and rebuilds the same rows from our event log, using
only the fields our events carry. Intended differences are documented in docs/protocols/bacnet.md
("Differences from Zeek/ICSNPP") and encoded here exactly.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

pytestmark = pytest.mark.shared

BASELINES = {
    "icsnpp-bacnet__bacnet_error_reject_abort.pcap": "analyzer.error-reject-abort",
    "icsnpp-bacnet__bacnet_example.pcap": "analyzer.basic",
    "icsnpp-bacnet__bacnet_segmented_data.pcap": "analyzer.segmented_data",
    "icsnpp-bacnet__bacnet_services.pcap": "analyzer.services",
}
ZEEK_PDU_TYPES = {
    "confirmed_request": "CONFIRMED_REQUEST", "unconfirmed_request": "UNCONFIRMED_REQUEST",
    "simple_ack": "SIMPLE_ACK", "complex_ack": "COMPLEX_ACK", "segment_ack": "SEGMENT_ACK",
    "error": "ERROR_PDU", "reject": "REJECT_PDU", "abort": "ABORT_PDU",
}

Row = tuple[Any, ...]


def _capture(name: str) -> Path:
    path = PCAPS / "bacnet" / name
    if not path.is_file():
        pytest.skip("../shared/pcaps is absent")
    return path


def _log(capture: str, log: str) -> list[dict[str, str]]:
    return read_zeek_log(PCAPS / "bacnet" / f"{capture}.zeek-baseline" / BASELINES[capture] / log)


def _msgs(capture: str) -> list[dict[str, Any]]:
    return [r for r in records(_capture(capture), "bacnet") if r["event"] != "weird"]


def _zeek_head(r: dict[str, str]) -> Row:
    """Who sent the message: (source_h, source_p, destination_h, destination_p)."""
    return r["source_h"], int(r["source_p"]), r["destination_h"], int(r["destination_p"])


def _our_head(r: dict[str, Any]) -> Row:
    return r["src"], r["sport"], r["dst"], r["dport"]


def _hyphen(name: str | None) -> str:
    return "-" if name is None else name.replace("_", "-")


# -- bacnet.log -----------------------------------------------------------------------------------

ZEEK_BVLC = {
    "original_unicast_npdu": "Original_Unicast_NPDU", "original_broadcast_npdu": "Original_Broadcast_NPDU",
    "forwarded_npdu": "Forwarded_NPDU", "distribute_broadcast_to_network": "Distribute_Broadcast_to_Network",
}


def bacnet_log_row(r: dict[str, Any]) -> Row | None:
    kind = r.get("apdu_type")
    if r["event"] == "bacnet_segment":
        return None  # ICSNPP logs a segmented message once; we also report each non-final segment
    if kind is None:
        if "network_message" not in r:
            return None  # BVLC management messages: ICSNPP logs them in bacnet.log only with an NPDU
        pdu, svc = "NPDU", r["network_message"]
    else:
        pdu = ZEEK_PDU_TYPES[kind]
        svc = r.get("service") or "-"
        if kind in ("reject", "abort"):
            svc = kind
        elif kind == "segment_ack":
            svc = "-"
    result = "-"
    if kind == "error":
        result = _hyphen(r.get("error_code"))
    elif kind == "reject":
        result = _hyphen(r["reject_reason"])
    elif kind == "abort":
        result = _hyphen(r["abort_reason"])
    inv = r.get("invoke_id")
    return (*_our_head(r), ZEEK_BVLC[r["bvlc_function"]], pdu, svc, "-" if inv is None else str(inv), result)


def zeek_bacnet_log(capture: str) -> Counter[Row]:
    return Counter((*_zeek_head(r), r["bvlc_function"], r["pdu_type"], r["pdu_service"], r["invoke_id"],
                    r["result_code"]) for r in _log(capture, "bacnet.log"))


#: capture -> (rows only Zeek logs, rows only we log)
BACNET_LOG_DIFFERENCES: dict[str, tuple[Counter[Row], Counter[Row]]] = {}


@pytest.mark.parametrize("capture", list(BASELINES))
def test_bacnet_log(capture: str) -> None:
    ours = Counter(row for r in _msgs(capture) if (row := bacnet_log_row(r)) is not None)
    theirs = zeek_bacnet_log(capture)
    want = BACNET_LOG_DIFFERENCES.get(capture, (Counter(), Counter()))
    assert (theirs - ours, ours - theirs) == want


# -- bacnet_discovery.log -------------------------------------------------------------------------

def _range(r: dict[str, Any]) -> str:
    lo, hi = r.get("low_limit"), r.get("high_limit")
    return "All" if lo is None else f"{lo}-{hi}"


def _name(v: str | None) -> str:
    return "-" if v is None else (v if v else "(empty)")


def discovery_row(r: dict[str, Any], vendors: dict[int, str]) -> Row | None:
    svc = r.get("service")
    head = _our_head(r)
    if svc == "who_is":
        return (*head, "who-is", "-", "-", "-", "-", "-", _range(r), "-")
    if svc == "i_am":
        # ICSNPP's vendor names are Wireshark's without commas
        vendor = vendors.get(r["vendor_id"], (r["vendor"] or "-").replace(",", ""))
        return (*head, "i-am", "-", "-", _hyphen(r["object_type"]), str(r["instance"]), vendor, "-", "-")
    if svc == "i_have":
        return (*head, "i-have", "device", str(r["device_instance"]), _hyphen(r["object_type"]), str(r["instance"]),
                "-", "-", _name(r["object_name"]))
    if svc == "who_has":
        by_id = "object_type" in r
        return (*head, "who-has", "-", "-", _hyphen(r["object_type"]) if by_id else "-",
                str(r["instance"]) if by_id else "-", "-", _range(r), "N/A" if by_id else _name(r["object_name"]))
    return None


def zeek_discovery(capture: str) -> list[Row]:
    return [(*_zeek_head(r), r["pdu_service"], r["device_id_type"], r["device_id_number"], r["object_type"],
             r["instance_number"], r["vendor"], r["range"], r["object_name"])
            for r in _log(capture, "bacnet_discovery.log")]


_SEG_IHAVE = ("10.0.0.2", 47808, "10.0.0.255", 47808, "i-have", "device", "254", "accumulator")
#: capture -> (rows only Zeek logs, rows only we log)
DISCOVERY_DIFFERENCES: dict[str, tuple[Counter[Row], Counter[Row]]] = {
    # object names in character set 1 (IBM/Microsoft DBCS, code page 932): ICSNPP logs them empty,
    # we decode them as Shift-JIS
    "icsnpp-bacnet__bacnet_segmented_data.pcap": (
        Counter({(*_SEG_IHAVE, "4", "-", "-", "(empty)"): 1, (*_SEG_IHAVE, "5", "-", "-", "(empty)"): 1}),
        Counter({(*_SEG_IHAVE, "4", "-", "-", "温度２"): 1, (*_SEG_IHAVE, "5", "-", "-", "湿度２"): 1})),
}
#: ICSNPP's own vendor names where they differ from Wireshark's table (ours): vendor id -> its name
ZEEK_VENDOR_NAMES = {1337: "Unknown Vendor-0x539"}


@pytest.mark.parametrize("capture", list(BASELINES))
def test_bacnet_discovery_log(capture: str) -> None:
    theirs = Counter(zeek_discovery(capture))
    ours = Counter(row for r in _msgs(capture) if (row := discovery_row(r, ZEEK_VENDOR_NAMES)) is not None)
    assert (theirs - ours, ours - theirs) == DISCOVERY_DIFFERENCES.get(capture, (Counter(), Counter()))


# -- bacnet_property.log --------------------------------------------------------------------------

def _prop(r: dict[str, Any]) -> str:
    name = r["property"]
    if name.startswith("unknown-") and int(name[8:]) >= 512:
        return f"vendor specific ({name[8:]})"
    return name.replace("_", "-")


def _idx(v: int | None) -> str:
    return "-" if v is None else str(v)


REQUEST_ROWS = {"read_property": "read-property-request", "write_property": "write-property",
                "read_property_multiple": "read-property-multiple-request", "read_range": "read-range-request"}


def property_requests(r: dict[str, Any]) -> list[Row]:
    """The rows ICSNPP logs for a request: one per object property it names."""
    if r.get("apdu_type") != "confirmed_request" or r.get("service") not in REQUEST_ROWS:
        return []
    head = (*_our_head(r), str(r["invoke_id"]), REQUEST_ROWS[r["service"]])
    items = r.get("properties") or [r]
    return [(*head, _hyphen(i["object_type"]), str(i["instance"]), _prop(i), _idx(i["array_index"])) for i in items]


def property_acks(r: dict[str, Any]) -> list[tuple[Row, int]]:
    """(row key, rows) of each property a ReadProperty(Multiple) ack carries: one row per value (none
    for an empty list), one for a property error ("PropertyError")."""
    if r.get("apdu_type") != "complex_ack" or r["service"] not in ("read_property", "read_property_multiple"):
        return []
    svc = "read-property-ack" if r["service"] == "read_property" else "read-property-multiple-ack"
    head = (*_our_head(r), str(r["invoke_id"]), svc)
    items = r.get("properties") or [r]
    return [((*head, _hyphen(i["object_type"]), str(i["instance"]), _prop(i), _idx(i["array_index"])),
             len(i["values"]) if "values" in i else 1) for i in items if "values" in i or "error_code" in i]


def zeek_property(capture: str) -> list[tuple[Row, str]]:
    return [((*_zeek_head(r), r["invoke_id"], r["pdu_service"], r["object_type"], r["instance_number"],
              r["property"].lower(), r["array_index"]), r["value"]) for r in _log(capture, "bacnet_property.log")]


_RR = ("10.10.10.10", 47809, "192.168.3.100", 47808, "1", "read-range-request", "trend-log", "2", "log-buffer")
#: capture -> (rows only Zeek logs, rows only we log)
REQUEST_DIFFERENCES: dict[str, tuple[Counter[Row], Counter[Row]]] = {
    # a ReadRange request without array index (by position, reference index 1, count 10): ICSNPP
    # logs array index 0, Wireshark and we log none
    "icsnpp-bacnet__bacnet_error_reject_abort.pcap": (Counter({(*_RR, "0"): 1}), Counter({(*_RR, "-"): 1})),
}


@pytest.mark.parametrize("capture", list(BASELINES))
def test_bacnet_property_log_requests(capture: str) -> None:
    msgs = _msgs(capture)
    theirs = Counter(k for k, _ in zeek_property(capture) if not k[5].endswith("-ack") and not k[5].startswith("ERROR"))
    ours = Counter(row for r in msgs for row in property_requests(r))
    assert (theirs - ours, ours - theirs) == REQUEST_DIFFERENCES.get(capture, (Counter(), Counter()))
    assert sum(theirs.values()) > 0


#: properties whose value is a character string: object-name, description, vendor-name, model-name,
#: firmware-revision, application-software-version, location, profile-name, serial-number
CHARACTER_STRING_PROPERTIES = {77, 28, 121, 70, 44, 12, 58, 168, 372}


@pytest.mark.parametrize("capture", list(BASELINES))
def test_bacnet_property_log_acks(capture: str) -> None:
    """ICSNPP logs one row per value of a list or array (a single row for an empty one); character
    string values are compared where the baseline's timestamp masking left them intact."""
    msgs = _msgs(capture)
    theirs: Counter[Row] = Counter()
    values: dict[Row, list[str]] = {}
    for k, v in zeek_property(capture):
        if k[5].endswith("-ack"):
            theirs[k] += 1
            values.setdefault(k, []).append(v)
    ours: Counter[Row] = Counter()
    strings: dict[Row, list[str]] = {}
    for r in msgs:
        for k, n in property_acks(r):
            ours[k] += n
        vals = r.get("values") if r["event"] == "bacnet_read_property_ack" else None
        if vals and r["property_id"] in CHARACTER_STRING_PROPERTIES:
            strings.setdefault(property_acks(r)[0][0], []).extend(vals)
    assert (theirs - ours, ours - theirs) == (Counter(), Counter())
    compared = 0
    for k, vals in strings.items():
        zeek = values[k]
        for ours_v, zeek_v in zip(vals, zeek, strict=False):
            if "XXXXXX" not in zeek_v and ours_v and "\t" not in ours_v:
                assert ours_v == zeek_v, k
                compared += 1
    if capture == "icsnpp-bacnet__bacnet_example.pcap":
        assert compared > 100


# -- bacnet_device_control.log --------------------------------------------------------------------

DEVICE_CONTROL = {"device_communication_control", "reinitialize_device"}


def device_control_row(r: dict[str, Any]) -> Row | None:
    if r.get("service") not in DEVICE_CONTROL:
        return None
    head = (*_our_head(r), str(r["invoke_id"]), r["service"])
    kind = r["apdu_type"]
    if kind == "confirmed_request":
        state = r.get("enable_disable") or r.get("reinitialized_state")
        duration = r.get("duration")
        return (*head, "-" if duration is None else str(duration), _hyphen(state), r["password_present"], "-", "-")
    if kind == "simple_ack":
        return (*head, "-", "-", "-", "SUCCESS", "-")
    if kind == "error":
        return (*head, "-", "-", "-", "ERROR", _hyphen(r["error_code"]))
    return None


def test_bacnet_device_control_log() -> None:
    """Zeek logs the password in clear text; we only say whether one was given."""
    capture = "icsnpp-bacnet__bacnet_services.pcap"
    theirs = Counter((*_zeek_head(r), r["invoke_id"], r["pdu_service"], r["time_duration"], r["device_state"],
                      r["password"] not in ("-", "(empty)") if r["password"] != "-" else "-", r["result"],
                      r["result_code"]) for r in _log(capture, "bacnet_device_control.log"))
    ours = Counter(row for r in _msgs(capture) if (row := device_control_row(r)) is not None)
    assert (theirs - ours, ours - theirs) == (Counter(), Counter())
    assert sum(ours.values()) == 16
