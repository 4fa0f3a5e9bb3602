"""EtherNet/IP and CIP against Zeek + ICSNPP: the baselines beside the icsnpp-enip captures.

The btest scripts (``_btest_*.zeek``) run ``zeek-cut -n packet_correlation_id``, so the logs have no
header and lack that column; COLUMNS names the rest. We compare, as multisets of rows, the columns
our events carry too (see docs/protocols/enip.md, "Differences from Zeek/ICSNPP"):

* enip.log: direction and sender, command, length, session handle, status, sender context — one row
  per encapsulation message (our events that are not embedded in another CIP message).
* cip.log: direction and sender, connected sequence count, request/response, service code, general
  status, class, instance, attribute. ICSNPP logs class/instance/attribute on requests only and the
  status on responses only; so do we compare.
* cip_identity.log: ListIdentity replies, field for field with our ``identity``.
* cip_io.log (one row per I/O packet): summed per connection id and compared with our ``enip_io``
  summaries (packets, data bytes, first and last sequence number).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

ENIP = PCAPS / "enip-cip"
ID = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "is_orig", "source_h", "source_p",
      "destination_h", "destination_p"]
COLUMNS = {
    "enip.log": ID + ["enip_command_code", "enip_command", "length", "session_handle", "enip_status",
                      "sender_context", "options"],
    "cip.log": ID + ["cip_sequence_count", "direction", "cip_service_code", "cip_service", "cip_status_code",
                     "cip_status", "cip_extended_status_code", "cip_extended_status", "class_id", "class_name",
                     "instance_id", "attribute_id"],
    "cip_identity.log": ID + ["encapsulation_version", "socket_address", "socket_port", "vendor_id", "vendor_name",
                              "device_type_id", "device_type_name", "product_code", "revision", "device_status",
                              "serial_number", "product_name", "device_state"],
    "cip_io.log": ID + ["connection_id", "sequence_number", "data_length", "io_data"],
}
BASELINES = {
    "basic": ("icsnpp-enip__enip_cip_example.pcap", "analyzer.basic"),
    "multiple_service_request": ("icsnpp-enip__multiple_service_packet_cip.pcapng", "analyzer.multiple_service_request"),
    "set_attr_single_service": ("icsnpp-enip__set_attribute_single_service_cip.pcapng",
                                "analyzer.set_attr_single_service"),
}
ENCAP_STATUS = {"Success": 0}

Row = tuple[Any, ...]


def _n(v: str) -> int | None:
    return None if v == "-" else int(v, 0)


def _dir(r: dict[str, Any]) -> tuple[bool, str, int]:
    return r["is_orig"], r["src"], r["sport"]


def _zdir(z: dict[str, str]) -> tuple[bool, str, int]:
    return z["is_orig"] == "T", z["source_h"], int(z["source_p"])


def _ours(capture: str) -> list[dict[str, Any]]:
    return [r for r in records(ENIP / capture, "enip") if r["event"] != "weird"]


def _log(test: str, name: str) -> list[dict[str, str]]:
    capture, folder = BASELINES[test]
    path = ENIP / f"{capture}.zeek-baseline" / folder / name
    if not path.exists():
        pytest.skip(f"no {name} in this baseline")
    return read_zeek_log(path, COLUMNS[name])


@pytest.fixture(params=sorted(BASELINES))
def test_name(request: pytest.FixtureRequest) -> str:
    if not ENIP.is_dir():
        pytest.skip("../shared/pcaps is absent")
    return str(request.param)


@pytest.mark.shared
def test_enip_log(test_name: str) -> None:
    theirs = Counter(_zdir(z) + (int(z["enip_command_code"], 0), int(z["length"]), int(z["session_handle"], 0),
                                 ENCAP_STATUS[z["enip_status"]], z["sender_context"][2:])
                     for z in _log(test_name, "enip.log"))
    ours = Counter(_dir(r) + (r["command_code"], r["length"], r["session_handle"], r["enip_status_code"],
                              r["sender_context"])
                   for r in _ours(BASELINES[test_name][0]) if "embedded" not in r and r["event"] != "enip_io")
    assert ours == theirs


@pytest.mark.shared
def test_cip_log(test_name: str) -> None:
    theirs = Counter(_zdir(z) + (_n(z["cip_sequence_count"]), z["direction"], int(z["cip_service_code"], 0),
                                 _n(z["cip_status_code"]), _n(z["class_id"]), _n(z["instance_id"]),
                                 _n(z["attribute_id"]))
                     for z in _log(test_name, "cip.log"))
    ours: Counter[Row] = Counter()
    for r in _ours(BASELINES[test_name][0]):
        if "service_code" not in r:
            continue
        if r["event"].endswith("_request"):
            ours[_dir(r) + (r.get("sequence_count"), "request", r["service_code"], None, r["class"],
                            r["instance"], r["attribute"])] += 1
        else:
            ours[_dir(r) + (r.get("sequence_count"), "response", r["service_code"], r["status"], None, None,
                            None)] += 1
    assert ours == theirs


@pytest.mark.shared
def test_cip_identity_log(test_name: str) -> None:
    theirs = Counter(_zdir(z) + (int(z["encapsulation_version"]), z["socket_address"], int(z["socket_port"]),
                                 int(z["vendor_id"]), z["vendor_name"], int(z["device_type_id"]),
                                 int(z["product_code"]), z["revision"], int(z["device_status"], 0),
                                 z["serial_number"], z["product_name"], int(z["device_state"], 0))
                     for z in _log(test_name, "cip_identity.log"))
    ours: Counter[Row] = Counter()
    for r in _ours(BASELINES[test_name][0]):
        if r["event"] == "enip_list_identity_response":
            i = r["identity"]
            ours[_dir(r) + (r["encapsulation_version"], r["socket_address"], r["socket_port"], i["vendor_id"],
                            i["vendor"], r["device_type_code"], i["product_code"], i["revision"],
                            r["device_status"], i["serial_number"], i["product_name"], r["state"])] += 1
    assert ours == theirs


@pytest.mark.shared
def test_cip_io_log(test_name: str) -> None:
    seqs: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    sizes: Counter[tuple[Any, ...]] = Counter()
    for z in _log(test_name, "cip_io.log"):
        key = _zdir(z) + (int(z["connection_id"], 0),)
        seqs[key].append(int(z["sequence_number"]))
        sizes[key] += int(z["data_length"])
    theirs = {k: (len(s), sizes[k], s[0], s[-1]) for k, s in seqs.items()}
    ours = {_dir(r) + (r["connection_id"],): (r["packets"], r["bytes"], r["first_sequence"], r["last_sequence"])
            for r in _ours(BASELINES[test_name][0]) if r["event"] == "enip_io"}
    assert ours == theirs
    assert theirs


def test_columns_match_row_width() -> None:
    for capture, folder in BASELINES.values():
        base = ENIP / f"{capture}.zeek-baseline" / folder
        for name, cols in COLUMNS.items():
            path = base / name
            if path.exists():
                for line in path.read_text().splitlines():
                    if line and not line.startswith("#"):
                        assert len(line.split("\t")) == len(cols), (path, line)
