"""DNS, mDNS and LLMNR against Wireshark: every message tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists dns, mdns or llmnr among its protocols (these appear
incidentally in ICS captures), the multisets of message id, QR flag, opcode, rcode, question names
and types, and for every resource record (answer, authority and additional sections) its owner
name, type and TTL, plus the data of A, AAAA, CNAME, PTR and NS records, must be equal.
The intended differences are listed in docs/protocols/dns.md and encoded in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

from plantwarden.decoders.dns.constants import TYPES

FIELDS = {
    "dns.id": "id", "dns.flags.response": "response", "dns.flags.opcode": "opcode", "dns.flags.rcode": "rcode",
    "dns.qry.name": "qname", "dns.qry.type": "qtype", "dns.resp.name": "rname", "dns.resp.type": "rtype",
    "dns.resp.ttl": "ttl", "dns.a": "data", "dns.aaaa": "data", "dns.cname": "data", "dns.ptr.domain_name": "data",
    "dns.ns": "data",
}
INTS = {"id", "response", "opcode", "rcode", "qtype", "rtype", "ttl"}
DATA_TYPES = {"A", "AAAA", "CNAME", "PTR", "NS"}

TYPE_CODES = {v: k for k, v in TYPES.items()}

Key = tuple[int, str, Any]


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), display_filter="(dns || mdns || llmnr) && !icmp && !icmpv6"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                if name == "rname" and v == "<Root>":
                    v = ""
                out[(frame, name, int(v, 0) if name in INTS else v.lower() if name == "data" else v)] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "dns"):
        if r["event"] == "weird":
            continue
        fr = r["frame"]
        out.update([(fr, "id", r["id"]), (fr, "response", int(r["event"] == "dns_response")),
                    (fr, "opcode", r["opcode"])])
        if r["event"] == "dns_response":  # Wireshark shows no rcode in queries
            out[(fr, "rcode", r["rcode"])] += 1
        for q in r["questions"]:
            out.update([(fr, "qname", q["name"]), (fr, "qtype", q["type_code"])])
        for rr in r["answers"] + r["authority"] + r["additional"]:
            out[(fr, "rtype", rr["type_code"])] += 1
            if rr["type"] != "SRV":  # Wireshark splits an SRV owner into dns.srv.service/proto/name
                out[(fr, "rname", rr["name"])] += 1
            if rr["type"] == "NSEC" and rr["data"]:  # Wireshark lists the type bitmap as dns.resp.type
                out.update((fr, "rtype", TYPE_CODES[t]) for t in rr["data"].split()[1:])
            if rr["ttl"] is not None:
                out[(fr, "ttl", rr["ttl"])] += 1
            if rr["type"] in DATA_TYPES and rr["data"] is not None:
                out[(fr, "data", rr["data"].lower())] += 1
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/dns.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("dns", "mdns", "llmnr")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_dns_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    ours = our_keys(path)
    assert sum(theirs.values()) > 0
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
