"""``ics.protocol_violation`` (T0866 Exploitation of Remote Services): malformed or illegal traffic.

The decoders' ``<proto>_protocol_violation`` and malformed-PDU weirds on industrial flows, and servers
answering "illegal function" (Modbus exception 1, BACnet reject "unrecognized service"): what fuzzers,
exploits and function-code probes leave behind. See docs/detections/ics.protocol_violation.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.core.alerts import MEDIUM
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.decoders.modbus import constants as modbus
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.detections.catalog import INDUSTRIAL

ILLEGAL_FUNCTION = 1
#: weird name endings that mean a malformed or foreign message (not mere capture trouble)
VIOLATION_SUFFIXES = ("_protocol_violation", "_malformed_pdu", "_malformed_apdu", "_malformed_objects",
                      "_malformed_upper_layers", "_malformed_body", "_malformed_data", "_malformed")


class ProtocolViolation(Detection):
    id = "ics.protocol_violation"
    technique = "T0866"
    severity = MEDIUM
    summary = ("Malformed or foreign messages on an industrial flow (decoder violation and malformed-PDU weirds) and "
               "servers answering 'illegal function'.")
    events = frozenset({"weird", "bacnet_reject", *modbus.EXCEPTION_EVENTS})
    options = {"ignore_weirds": Option((), "weird names never reported (e.g. a known-odd device)")}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.ignore = frozenset(self.opts["ignore_weirds"])

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        f = ev.fields
        if ev.name == "weird":
            name = str(f.get("name", ""))
            if (flow.proto not in INDUSTRIAL and name.split("_", 1)[0] not in INDUSTRIAL) or not name.endswith(VIOLATION_SUFFIXES) or name in self.ignore:
                return ()
            client, server = flow.orig_addr, flow.resp_addr
            what = name
            details: dict[str, Any] = {"weird": name, "detail": f.get("detail"), "frame": ev.frame}
        elif ev.name == "bacnet_reject":
            if f.get("reject_reason") != "unrecognized_service":
                return ()
            client, server = (flow.resp_addr, flow.orig_addr) if ev.is_orig else (flow.orig_addr, flow.resp_addr)
            what = "BACnet reject: unrecognized service"
            details = {"service": f.get("service"), "frame": ev.frame}
        else:
            if f.get("exception_code") != ILLEGAL_FUNCTION or ev.is_orig:
                return ()
            client, server = flow.orig_addr, flow.resp_addr
            what = f"Modbus illegal function {f.get('function_code')}"
            details = {"function_code": f.get("function_code"), "unit_id": f.get("unit_id"), "frame": ev.frame}
        return (Finding(f"{client}->{server}", f"{what}: {client} -> {server}", ev.ts, client, server, details),)
