"""Hosts that were not there before, and devices reset over and over.

``ics.new_asset`` (T0864 Transient Cyber Asset): a host the store has never seen appears on the
network once the store knows the plant (after a first analysis): a laptop, a vendor's device, a
contractor's tablet plugged into the OT network. ``ics.reset_storm``
(T0814 Denial of Service): many restart or reset commands to one device within a short window, which
keeps it from ever running. See docs/detections/ics.new_asset.md and docs/detections/ics.reset_storm.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.core.alerts import HIGH, LOW
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, Option, sender
from plantwarden.detections.restart import DeviceRestart

#: hosts remembered as already reported (cleared beyond this; a new host is then reported once more)
MAX_HOSTS = 100_000
#: devices whose recent resets are counted
MAX_TARGETS = 10_000


def _is_unicast_host(addr: str) -> bool:
    """Addresses that stand for one host: not a MAC (layer-2 flows), not multicast or broadcast."""
    if ":" in addr and addr.count(":") == 5 and len(addr) == 17:  # a MAC address
        return False
    if addr.startswith(("224.", "239.", "255.", "0.", "ff")):
        return False
    return not addr.endswith(".255")


class NewAsset(Detection):
    id = "ics.new_asset"
    technique = "T0864"
    severity = LOW
    summary = "A host the store has never seen before appears on the network (once the store knows the plant)."
    wants_flow_end = True
    options = {"min_packets": Option(1, "packets the new host must send before it is reported")}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.known = self.context.known_hosts
        self.min_packets = int(self.opts["min_packets"])
        self.reported: set[str] = set()

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        if not self.known:  # a first analysis: every host is new, none is news
            return ()
        out = []
        for host, peer, pkts in ((flow.orig_addr, flow.resp_addr, flow.orig_pkts),
                                 (flow.resp_addr, flow.orig_addr, flow.resp_pkts)):
            if host in self.known or host in self.reported or pkts < self.min_packets or not _is_unicast_host(host):
                continue
            if len(self.reported) >= MAX_HOSTS:
                self.reported.clear()
            self.reported.add(host)
            proto = flow.proto or f"{flow.transport}/{flow.resp_port}"
            out.append(Finding(host, f"new host {host} on the network ({proto} with {peer})", flow.first_ts,
                               host, peer, {"proto": proto, "peer": peer, "packets": pkts,
                                            "mac": flow.orig_mac if host == flow.orig_addr else flow.resp_mac}))
        return out


class ResetStorm(Detection):
    id = "ics.reset_storm"
    technique = "T0814"
    severity = HIGH
    summary = "Many restart or reset commands to one device within a short window (a reset storm keeps it from running)."
    events = DeviceRestart.events
    options = {
        "resets": Option(3, "restart or reset commands to one device within the window that make a storm"),
        "window": Option(60.0, "seconds of traffic"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.limit = int(self.opts["resets"])
        self.window = float(self.opts["window"])
        #: device -> times of its recent resets
        self.recent: dict[str, list[float]] = {}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        what = DeviceRestart.match[ev.name](ev.fields)
        if what is None:
            return ()
        src, dst = sender(flow, ev)
        times = self.recent.get(dst)
        if times is None:
            if len(self.recent) >= MAX_TARGETS:
                self.recent.clear()
            times = self.recent[dst] = []
        times.append(ev.ts)
        while times and ev.ts - times[0] > self.window:
            times.pop(0)
        if len(times) != self.limit:  # once per storm: when the count reaches the limit
            return ()
        return (Finding(dst, f"reset storm: {len(times)} resets of {dst} within {self.window:.0f} s (last: {what} "
                        f"from {src})", ev.ts, src, dst, {"resets": len(times), "last": what}),)
