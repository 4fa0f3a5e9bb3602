"""Discovery: identification reads from strangers, and one host probing many others.

``ics.identification_scan`` (T0888 Remote System Information Discovery) and ``ics.network_scan``
(T0846 Remote System Discovery). See docs/detections/.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES
from plantwarden.core.alerts import MEDIUM
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.decoders.registry import activity
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.detections.catalog import REQUEST_EVENTS, REQUESTS
from plantwarden.detections.masters import MAX_FLOWS

#: identification requests whose decoder does not classify them as such (discovery broadcasts, endpoints)
EXTRA_IDENTIFICATION = frozenset({
    "enip_list_identity_request", "enip_list_services_request", "enip_list_interfaces_request",
    "opcua_get_endpoints_request", "opcua_find_servers_request",
    "modbus_report_server_id_request", "modbus_read_device_identification_request",
    "mms_identify_request", "ads_read_device_info_request", "slmp_read_cpu_model_request",
    "fins_controller_data_read_request",
})
_OTHER = (READS, WRITES, PROGRAMS)


def is_identification(ev: Event, proto: str) -> bool:
    if ev.name in EXTRA_IDENTIFICATION:
        return True
    f = ev.fields
    if ev.name == "dnp3_read_request":
        return any(o.get("group") == 0 for o in f.get("objects") or ())
    return activity(proto, f) == IDENTIFIES


class IdentificationScan(Detection):
    id = "ics.identification_scan"
    technique = "T0888"
    severity = MEDIUM
    summary = ("Identification reads (device id, SZL, ListIdentity, Who-Is, identify, CPU model ...) from a host "
               "that is not known, or that does nothing else on that connection.")
    events = REQUEST_EVENTS
    wants_flow_end = True

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.known = self.context.known_hosts
        #: flow uid -> the finding waiting for the flow's end (dropped when the pair does process data)
        self.pending: dict[int, Finding] = {}
        #: (client, server) pairs that read, write or program: their identification reads are routine
        self.busy: set[tuple[str, str]] = set()
        self.busy_hosts: set[str] = set()
        self.busy_flows: set[int] = set()

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        if flow.uid in self.busy_flows or not ev.is_orig:
            return ()
        pair = (flow.orig_addr, flow.resp_addr)
        if pair in self.busy:
            if len(self.busy_flows) >= MAX_FLOWS:
                self.busy_flows.clear()
            self.busy_flows.add(flow.uid)
            return ()
        proto = REQUESTS[ev.name]
        if not is_identification(ev, proto):
            if activity(proto, ev.fields) in _OTHER:
                if len(self.busy) >= MAX_FLOWS:
                    self.busy.clear()
                    self.busy_hosts.clear()
                    self.busy_flows.clear()
                self.busy.add(pair)
                self.busy_hosts.add(pair[0])
            return ()
        src, dst = pair
        if self.known and src in self.known:
            return ()
        f = Finding(src, f"{proto} identification read by {'unknown host ' if self.known else ''}{src} from {dst}",
                    ev.ts, src, dst, {"request": ev.name, "frame": ev.frame, "proto": proto})
        if self.known:
            return (f,)
        if flow.uid not in self.pending and len(self.pending) < MAX_FLOWS:
            self.pending[flow.uid] = f
        return ()

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        f = self.pending.pop(flow.uid, None)
        if f is None or (f.src, f.dst) in self.busy:
            return ()
        if f.dst is not None and not is_unicast(f.dst) and f.src in self.busy_hosts:
            return ()  # a broadcast Who-Is / ListIdentity by a host that then polls what answered
        return (f,)


@lru_cache(maxsize=65536)
def is_unicast(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return not (ip.is_multicast or ip.is_unspecified or (ip.version == 4 and addr.endswith(".255")))


#: probes remembered per source (the oldest half is dropped beyond it)
MAX_PROBES = 4096


class NetworkScan(Detection):
    id = "ics.network_scan"
    technique = "T0846"
    severity = MEDIUM
    summary = "One source probing many hosts or many ports with connections that carry no answer (refused, unanswered or empty)."
    wants_flow_end = True
    options = {
        "hosts": Option(10, "distinct hosts probed within the window that make a scan"),
        "ports": Option(10, "distinct ports probed on one host within the window that make a scan"),
        "window": Option(60.0, "seconds of traffic"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.hosts = int(self.opts["hosts"])
        self.ports = int(self.opts["ports"])
        self.window = float(self.opts["window"])
        #: source -> {(host, port): first ts}
        self.probes: dict[str, dict[tuple[str, int], float]] = {}

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        if flow.resp_bytes or flow.orig_pkts > 4 or flow.transport not in ("tcp", "udp"):
            return ()  # answered with data, or a real conversation: not a probe
        if flow.transport == "tcp" and not flow.resp_pkts and flow.orig_pkts < 2:
            return ()  # a lone packet nobody answered: the tail of a connection begun before the capture
        if not is_unicast(flow.resp_addr):
            return ()
        src, ts = flow.orig_addr, flow.first_ts
        seen = self.probes.setdefault(src, {})
        target = (flow.resp_addr, flow.resp_port)
        if target in seen and abs(seen[target] - ts) <= self.window:
            return ()
        if len(seen) >= MAX_PROBES:
            for k in sorted(seen, key=seen.__getitem__)[: MAX_PROBES // 2]:
                del seen[k]
        seen[target] = ts
        recent = [t for t, t0 in seen.items() if abs(t0 - ts) <= self.window]
        hosts = {h for h, _p in recent}
        ports = {p for h, p in recent if h == flow.resp_addr}
        if len(hosts) >= self.hosts:
            return (Finding(f"{src}/hosts", f"network scan: {src} probed {len(hosts)} hosts", ts, src, None,
                            {"hosts": sorted(hosts)[:50], "frame": flow.first_frame}),)
        if len(ports) >= self.ports:
            return (Finding(f"{src}->{flow.resp_addr}/ports", f"port scan: {src} probed {len(ports)} ports on "
                            f"{flow.resp_addr}", ts, src, flow.resp_addr, {"ports": sorted(ports)[:50],
                                                                        "frame": flow.first_frame}),)
        return ()
