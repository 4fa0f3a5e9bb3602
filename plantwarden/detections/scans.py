"""Counting detections: unit-id and register scans, request floods. Windows and counters are bounded.

``modbus.unit_id_scan``, ``modbus.register_scan`` (T0846 Remote System Discovery) and
``ics.request_flood`` (T0814 Denial of Service). See docs/detections/.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.core.alerts import HIGH, MEDIUM
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.decoders.modbus import constants as modbus
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.detections.catalog import REQUEST_EVENTS, REQUESTS

MODBUS_REQUESTS = frozenset(n for n, p in REQUESTS.items() if p == "modbus")
#: pairs (client, server) tracked by a counting detection (the table is cleared beyond it)
MAX_PAIRS = 65_536
ILLEGAL_DATA_ADDRESS = 2


class UnitIdScan(Detection):
    id = "modbus.unit_id_scan"
    technique = "T0846"
    severity = MEDIUM
    summary = "One Modbus client addressing many unit ids on one server within a window (devices behind a gateway enumerated)."
    events = MODBUS_REQUESTS
    options = {
        "threshold": Option(20, "distinct unit ids within the window that make a scan"),
        "window": Option(60.0, "seconds of traffic"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.threshold = int(self.opts["threshold"])
        self.window = float(self.opts["window"])
        self.units: dict[tuple[str, str], dict[int, float]] = {}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        unit = ev.fields.get("unit_id")
        if not isinstance(unit, int):
            return ()
        pair = (flow.orig_addr, flow.resp_addr)
        seen = self.units.get(pair)
        if seen is None:
            if len(self.units) >= MAX_PAIRS:
                self.units.clear()
            seen = self.units[pair] = {}
        prev = seen.get(unit)
        ts = ev.ts
        seen[unit] = ts
        if prev is not None and ts - prev <= self.window:
            return ()  # the usual case: a unit id polled again
        recent = sorted(u for u, t in seen.items() if ts - t <= self.window)
        if len(recent) < self.threshold:
            return ()
        src, dst = pair
        return (Finding(f"{src}->{dst}", f"Modbus unit id scan: {src} addressed {len(recent)} unit ids on {dst}",
                        ts, src, dst, {"unit_ids": recent[:64], "count": len(recent)}),)


class RegisterScan(Detection):
    id = "modbus.register_scan"
    technique = "T0846"
    severity = MEDIUM
    summary = "Many Modbus requests answered 'illegal data address' within a window: a client probing the register map."
    events = frozenset(modbus.EXCEPTION_EVENTS)
    options = {
        "threshold": Option(10, "distinct (function, address) answered with illegal data address within the window"),
        "window": Option(60.0, "seconds of traffic"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.threshold = int(self.opts["threshold"])
        self.window = float(self.opts["window"])
        self.misses: dict[tuple[str, str], dict[tuple[int, Any], float]] = {}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        f = ev.fields
        if f.get("exception_code") != ILLEGAL_DATA_ADDRESS or ev.is_orig:
            return ()
        pair = (flow.orig_addr, flow.resp_addr)  # (client, server)
        seen = self.misses.get(pair)
        if seen is None:
            if len(self.misses) >= MAX_PAIRS:
                self.misses.clear()
            seen = self.misses[pair] = {}
        addr = f.get("address")
        key = (int(f.get("function_code") or 0), addr if addr is not None else ("tid", f.get("transaction_id")))
        ts = ev.ts
        seen[key] = ts
        if len(seen) > 4 * self.threshold:  # keep the newest
            for k in sorted(seen, key=seen.__getitem__)[: len(seen) - 2 * self.threshold]:
                del seen[k]
        n = sum(1 for t in seen.values() if ts - t <= self.window)
        if n < self.threshold:
            return ()
        src, dst = pair
        return (Finding(f"{src}->{dst}", f"Modbus register scan: {n} illegal-address answers from {dst} to {src}",
                        ts, src, dst, {"illegal_address_answers": n, "function_code": key[0], "address": addr}),)


class RequestFlood(Detection):
    id = "ics.request_flood"
    technique = "T0814"
    severity = HIGH
    summary = "A client sending industrial requests to one server faster than a threshold over a window."
    events = REQUEST_EVENTS
    options = {
        "requests": Option(2000, "requests from one client to one server within the window that make a flood"),
        "window": Option(5.0, "seconds of traffic (fixed windows, started by the first request)"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.limit = int(self.opts["requests"])
        self.window = float(self.opts["window"])
        #: (client, server) -> [window start, requests in it]
        self.counts: dict[tuple[str, str], list[float]] = {}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        if "embedded" in ev.fields or not ev.is_orig:
            return ()  # a message inside another one counts once, with its carrier
        pair = (flow.orig_addr, flow.resp_addr)
        c = self.counts.get(pair)
        ts = ev.ts
        if c is None or ts - c[0] > self.window:
            if c is None and len(self.counts) >= MAX_PAIRS:
                self.counts.clear()
            self.counts[pair] = [ts, 1.0]
            return ()
        c[1] += 1
        if c[1] != self.limit + 1:  # report once per window, when the limit is passed
            return ()
        src, dst = pair
        rate = c[1] / max(ts - c[0], 1e-3)
        return (Finding(f"{src}->{dst}", f"request flood: {src} sent more than {self.limit} {REQUESTS[ev.name]} "
                        f"requests to {dst} within {self.window:g} s", ts, src, dst,
                        {"requests": int(c[1]), "window": self.window, "rate_per_s": round(rate, 1)}),)


