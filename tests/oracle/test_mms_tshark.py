"""MMS against Wireshark: every MMS PDU and ACSE APDU tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the mms dissector, and for each frame, the multisets of
PDU type, invokeID, service (confirmed request/response, unconfirmed), domain and item ids of the
object names, identify's vendor/model/revision and the ACSE APDU kind from tshark must equal those of
our mms events (COTP and session events and weirds are not compared). The intended differences are
listed in docs/protocols/mms.md ("Differences from Wireshark") and encoded in KNOWN_DIFFERENCES,
which must stay exactly as they are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark field -> (our key, value): presence fields (FT_NONE) name the PDU type
PDU_FIELDS = {
    "mms.confirmed_RequestPDU_element": "confirmed_request",
    "mms.confirmed_ResponsePDU_element": "confirmed_response",
    "mms.confirmed_ErrorPDU_element": "confirmed_error",
    "mms.unconfirmed_PDU_element": "unconfirmed",
    "mms.rejectPDU_element": "reject",
    "mms.cancel_RequestPDU": "cancel_request",
    "mms.cancel_ResponsePDU": "cancel_response",
    "mms.cancel_ErrorPDU_element": "cancel_error",
    "mms.initiate_RequestPDU_element": "initiate_request",
    "mms.initiate_ResponsePDU_element": "initiate_response",
    "mms.initiate_ErrorPDU_element": "initiate_error",
    "mms.conclude_RequestPDU_element": "conclude_request",
    "mms.conclude_ResponsePDU_element": "conclude_response",
    "mms.conclude_ErrorPDU_element": "conclude_error",
}
ACSE_FIELDS = {
    "acse.aarq_element": "mms_associate_request",
    "acse.aare_element": "mms_associate_response",
    "acse.rlrq_element": "mms_release_request",
    "acse.rlre_element": "mms_release_response",
    "acse.abrt_element": "mms_associate_abort",
}
#: tshark field -> our field, compared by value
VALUE_FIELDS = {
    "mms.invokeID": "invoke_id",
    "mms.confirmedServiceRequest": "service_code",
    "mms.confirmedServiceResponse": "service_code",
    "mms.unconfirmedService": "service_code",
    "mms.domainId": "domain_id",
    "mms.itemId": "item_id",
    "mms.vendorName": "vendor",
    "mms.modelName": "model",
    "mms.revision": "revision",
}
#: our fields that hold object names (``request_variables`` repeats the request's and is left out)
NAME_KEYS = ("variables", "variable_list", "object", "variable_lists", "type_name")

Key = tuple[int, str, Any]  # (frame, what, value)

CAPTURES = captures_with("mms")



def _reports(per_frame: dict[int, int]) -> Counter[Key]:
    """informationReports (unconfirmed PDU, service 0) in these frames, with their counts."""
    out: Counter[Key] = Counter()
    for frame, n in per_frame.items():
        out[(frame, "pdu", "unconfirmed")] += n
        out[(frame, "service_code", 0)] += n
    return out


def _bare_conclude(frame: int) -> tuple[Counter[Key], Counter[Key]]:
    return Counter(), Counter({(frame, "pdu", "conclude_request"): 1})


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/mms.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {
    # Connections already open when the capture started: Wireshark never saw the presentation
    # connect that maps context 3 to MMS and leaves the PDVs undissected; we recognise the MMS PDU by
    # its tag (an IEC 61850 report "RPT" in each).
    "ICS-Security-Tools__Sample_File_MMS_and_GOOSE.pcap": (Counter(), _reports({
        3: 1, 25: 1, 37: 1, 78: 1, 99: 1, 101: 1, 112: 1, 114: 1, 127: 1, 149: 1, 167: 2, 182: 1, 187: 1,
        202: 5, 215: 2, 218: 1, 222: 2, 232: 1, 260: 1, 264: 1, 288: 1})),
    # MMS straight on COTP (no session layer): Wireshark's heuristic does not take the two-byte
    # conclude-Request (8b 00) for MMS; we do.
    **{f"ICS-Security-Tools__mms-{name}.pcap": _bare_conclude(16) for name in (
        "cancelRequest", "confirmedRequestPDU", "deleteProgramInvocation", "getAlarmSummary",
        "getDomainAttributes", "initiateUploadSequence", "resetRequest")},
    **{f"ICS-Security-Tools__mms-{name}.pcap": _bare_conclude(20) for name in (
        "initiateDownloadSequence", "relinquishControl", "stopRequest", "takeControl",
        "terminateUploadSequence")},
}


def tshark_keys(path: Path) -> Counter[Key]:
    fields = list(PDU_FIELDS) + list(ACSE_FIELDS) + list(VALUE_FIELDS)
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, fields):
        for f, values in zip(fields, cols, strict=True):
            for v in values:
                if f in PDU_FIELDS:
                    out[(frame, "pdu", PDU_FIELDS[f])] += 1
                elif f in ACSE_FIELDS:
                    out[(frame, "acse", ACSE_FIELDS[f])] += 1
                else:
                    name = VALUE_FIELDS[f]
                    out[(frame, name, int(v) if name in ("invoke_id", "service_code") else v)] += 1
    return out


def _names(rec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for k in NAME_KEYS:
        v = rec.get(k)
        if isinstance(v, dict):
            out.append(v)
        elif isinstance(v, list):
            out.extend(x for x in v if isinstance(x, dict))
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "mms"):
        fr = rec["frame"]
        ev = rec["event"]
        if ev in ACSE_FIELDS.values():
            out[(fr, "acse", ev)] += 1
            continue
        if "pdu" not in rec:
            continue
        out[(fr, "pdu", rec["pdu"])] += 1
        if "invoke_id" in rec and rec["pdu"] in ("confirmed_request", "confirmed_response", "confirmed_error"):
            out[(fr, "invoke_id", rec["invoke_id"])] += 1
        if "service_code" in rec and rec["pdu"] in ("confirmed_request", "confirmed_response", "unconfirmed"):
            out[(fr, "service_code", rec["service_code"])] += 1
        for name in _names(rec):
            if "domain" in name:
                out[(fr, "domain_id", name["domain"])] += 1
                out[(fr, "item_id", name["item"])] += 1
        for k, v in (rec.get("identity") or {}).items():
            out[(fr, k, v)] += 1
    return out


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_mms_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    ours = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert sum(theirs.values()) > 0
