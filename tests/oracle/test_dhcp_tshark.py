"""DHCP/BOOTP against Wireshark: every message tshark dissects, we decode, frame for frame.

Compared per frame: BOOTP op, transaction id, client MAC, your (assigned) address, message type,
requested address, server id, lease time, host name, vendor class id, routers and DNS servers.
Intended differences: docs/protocols/dhcp.md (KNOWN_DIFFERENCES).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

FIELDS = {
    "dhcp.type": "op", "dhcp.id": "xid", "dhcp.hw.mac_addr": "client_mac", "dhcp.ip.your": "yiaddr",
    "dhcp.option.dhcp": "message_type_code", "dhcp.option.requested_ip_address": "requested_ip",
    "dhcp.option.dhcp_server_id": "server_id", "dhcp.option.ip_address_lease_time": "lease_time",
    "dhcp.option.hostname": "hostname", "dhcp.option.vendor_class_id": "vendor_class_id",
    "dhcp.option.router": "router", "dhcp.option.domain_name_server": "dns_servers",
}
INTS = {"op", "xid", "message_type_code", "lease_time"}

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), decode_as=decode_as, display_filter="dhcp"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                out[(frame, name, int(v, 0) if name in INTS else v)] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "dhcp"):
        if r["event"] == "weird":
            continue
        fr = r["frame"]
        out.update([(fr, "op", 1 if r["from_client"] else 2), (fr, "xid", r["xid"]),
                    (fr, "client_mac", r["client_mac"]), (fr, "yiaddr", r["yiaddr"])])
        for k in ("message_type_code", "requested_ip", "server_id", "lease_time", "hostname", "vendor_class_id"):
            if r[k] is not None:
                out[(fr, k, r[k])] += 1
        if r["client_id"] and ":" in r["client_id"]:  # Wireshark shows option 61's hardware address
            out[(fr, "client_mac", r["client_id"])] += 1  # as dhcp.hw.mac_addr too
        for k in ("router", "dns_servers"):
            out.update((fr, k, a) for a in r[k] or ())
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/dhcp.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("dhcp", "bootp")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_dhcp_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    assert sum(theirs.values()) > 0
    compare(record_property, theirs, our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
