"""OPC UA binary against Wireshark: every UA TCP message tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the opcua dissector (plus the two captures on ports that
Wireshark only decodes with decode-as), and for each frame, the multisets of message type, chunk
type, message size, secure channel id, token id, sequence number, request id, service encoding id,
request handle and service result from tshark must equal those of our OPC UA events. The intended
differences are listed in docs/protocols/opcua.md ("Differences from Wireshark") and encoded below:

* ENCRYPTED: in a SignAndEncrypt channel (and in an OPN whose policy is not None) the sequence
  header is ciphertext. Wireshark prints the random bytes as sequence number and request id; we
  report neither (the event says ``encrypted: true``). Those two tshark values are not compared on
  the frames of our encrypted events.
* KNOWN_DIFFERENCES: per capture, what only one side has, exactly.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark field -> our event field
FIELDS = {
    "opcua.transport.type": "message_type",
    "opcua.transport.chunk": "chunk_type",
    "opcua.transport.size": "message_size",
    "opcua.transport.scid": "secure_channel_id",
    "opcua.security.tokenid": "token_id",
    "opcua.security.seq": "sequence_number",
    "opcua.security.rqid": "request_id",
    "opcua.servicenodeid.numeric": "service_type_id",
    "opcua.RequestHandle": "request_handle",
    "opcua.ServiceResult": "service_result_code",
    "opcua.transport.endpoint": "endpoint_url",
    "opcua.security.spu": "security_policy_uri",
}
HIDDEN_WHEN_ENCRYPTED = ("sequence_number", "request_id")
#: captures Wireshark decodes only with decode-as (their manifest row lists no ICS dissector)
EXTRA = {
    "opcua/ICS-Security-Tools__opc-ua-ap-method-wireshark-freeze.pcap": "tcp.port==12001,opcua",
    "opcua/icsnpp-opcua-binary__open62541_client-server_mainloop-not-localhost-non-standard-port.pcap":
        "tcp.port==48010,opcua",
}

Key = tuple[int, str, Any]  # (frame, our field name, value)



def _msg(frame: int, **fields: Any) -> Counter[Key]:
    return Counter({(frame, k, v): 1 for k, v in fields.items()})


#: The CreateSession response of the "with-gap" captures (14 segments, frames 12-30). The client's
#: ACKs overtake the server's last two data segments in the capture (frame 25 acknowledges bytes
#: that frame 26 delivers; frame 29 those of frame 30), so Wireshark marks frames 26 and 30 as
#: spurious retransmissions and never reassembles the message. No byte is missing: our reassembly
#: delivers the message, completed by frame 30.
_GAP_CREATE_SESSION = _msg(30, message_type="MSG", chunk_type="F", message_size=13990, secure_channel_id=13,
                           token_id=1, sequence_number=1024, request_id=2, service_type_id=464,
                           request_handle=1000001, service_result_code=0)

#: capture -> (keys only tshark has, keys only we have); see docs/protocols/opcua.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {
    "icsnpp-opcua-binary__opcua_with-gap.pcap": (Counter(), _GAP_CREATE_SESSION),
    "icsnpp-opcua-binary__opcua_with-gap_with-handshake.pcap": (Counter(), _GAP_CREATE_SESSION),
}


def _captures() -> list[str]:
    found = captures_with("opcua")
    return sorted(set(found) | (set(EXTRA) if found else set()))


CAPTURES = _captures()


def _value(name: str, v: str) -> Any:
    if name in ("message_type", "chunk_type", "endpoint_url", "security_policy_uri"):
        return v
    return int(v, 0)


def tshark_keys(path: Path, capture: str) -> Counter[Key]:
    out: Counter[Key] = Counter()
    names = list(FIELDS.values())
    decode_as = [EXTRA[capture]] if capture in EXTRA else []
    for frame, cols in tshark_fields(path, list(FIELDS), decode_as=decode_as):
        for name, values in zip(names, cols, strict=True):
            for v in values:
                out[(frame, name, _value(name, v))] += 1
    return out


def our_keys(path: Path) -> tuple[Counter[Key], set[int]]:
    out: Counter[Key] = Counter()
    encrypted: set[int] = set()
    for rec in records(path, "opcua"):
        if rec["event"] == "weird":
            continue
        if rec.get("encrypted"):
            encrypted.add(rec["frame"])
        for name in FIELDS.values():
            if name == "endpoint_url" and rec["message_type"] not in ("HEL", "RHE"):
                continue  # Wireshark's opcua.transport.endpoint is the Hello's; services have their own
            v = rec.get(name)
            if v is not None:
                out[(rec["frame"], name, v)] += 1
    return out, encrypted


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"], ids=lambda c: Path(c).name)
def test_opcua_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path, capture)
    ours, encrypted = our_keys(path)
    for key in list(theirs):
        if key[0] in encrypted and key[1] in HIDDEN_WHEN_ENCRYPTED:
            del theirs[key]
    assert theirs, "tshark found no OPC UA message"
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(path.name))
