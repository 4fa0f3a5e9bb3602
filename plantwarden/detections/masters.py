"""Who may command a controller: writes from unfamiliar masters, new talkers, coil writes, clock changes.

``ics.write_from_unknown_master`` (T0855 Unauthorized Command Message), ``ics.new_talker`` (T0848
Rogue Master), ``ics.coil_forcing`` (T0836 Modify Parameter), ``ics.time_change`` (T0836). All of
them decide "unfamiliar" with :class:`~plantwarden.detections.catalog.Familiar`: the store's known
hosts and pairs, or the capture's own learning period. With a learned baseline (``Context.baseline``,
docs/baselines.md) the first three enforce it instead: a pair or a function it does not hold, a write
outside its learned address ranges. See docs/detections/.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.baseline.accept import deviation
from plantwarden.baseline.extract import function_of, write_targets
from plantwarden.baseline.model import Baseline
from plantwarden.core.activity import PROGRAMS, WRITES
from plantwarden.core.alerts import HIGH, MEDIUM
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.decoders.registry import activity
from plantwarden.detections.base import Detection, Finding, Option, sender
from plantwarden.detections.catalog import LEARN_SECONDS, REQUEST_EVENTS, REQUESTS, Familiar

#: flows remembered by detections that act on a flow's first request (cleared beyond this)
MAX_FLOWS = 200_000
LEARN_HELP = "seconds of traffic learned at the start of a capture when the store knows no hosts"



def _details(ev: Event, *keys: str) -> dict[str, Any]:
    f = ev.fields
    out: dict[str, Any] = {"function": f.get("function") or f.get("service") or f.get("command") or ev.name}
    for k in keys:
        if k in f:
            out[k] = f[k]
    return out


class WriteFromUnknownMaster(Detection):
    id = "ics.write_from_unknown_master"
    technique = "T0855"
    severity = HIGH
    summary = "A write or program command to a controller from a host that is not one of its known masters."
    events = REQUEST_EVENTS
    options = {"learn_seconds": Option(LEARN_SECONDS, LEARN_HELP)}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.familiar = Familiar(self.context, self.opts["learn_seconds"])
        #: flows whose pair is familiar (a pair's verdict never changes once its flow is judged)
        self.fine: set[int] = set()
        self.baseline: Baseline | None = self.context.baseline if self.context.baseline else None

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        if self.baseline is not None:
            return self._enforce(self.baseline, flow, ev)
        if flow.uid in self.fine or not ev.is_orig:
            return ()
        src, dst = flow.orig_addr, flow.resp_addr
        if self.familiar.see(src, dst, ev.ts):
            if len(self.fine) >= MAX_FLOWS:
                self.fine.clear()
            self.fine.add(flow.uid)
            return ()
        proto = REQUESTS[ev.name]
        kind = activity(proto, ev.fields)
        if kind not in (WRITES, PROGRAMS):
            return ()
        title = f"{proto} {kind[:-1]} command from unknown master {src} to {dst}"
        return (Finding(f"{src}->{dst}", title, ev.ts, src, dst,
                        _details(ev, "unit_id", "address", "quantity", "values", "tag", "class", "ioa")),)

    def _enforce(self, bl: Baseline, flow: Flow, ev: Event) -> Iterable[Finding]:
        """Baseline mode: a write from a pair the baseline does not hold, or outside its learned ranges."""
        if not ev.is_orig or bl.learning(ev.ts):
            return ()
        proto = REQUESTS[ev.name]
        kind = activity(proto, ev.fields)
        if kind not in (WRITES, PROGRAMS):
            return ()
        src, dst = flow.orig_addr, flow.resp_addr
        targets = write_targets(ev.name, ev.fields)
        if not bl.has_pair(src, dst, proto):
            details = _details(ev, "unit_id", "address", "quantity", "values", "tag", "class", "ioa")
            details["baseline"] = deviation(src, dst, proto, function_of(ev.name, proto, ev.fields), targets)
            return (Finding(f"{src}->{dst}", f"{proto} {kind[:-1]} command from unknown master {src} to {dst}",
                            ev.ts, src, dst, details),)
        outside = bl.outside_writes(src, dst, proto, targets)
        if not outside:
            return ()
        details = _details(ev, "unit_id", "address", "quantity", "values", "tag", "class", "ioa")
        details["baseline"] = deviation(src, dst, proto, function_of(ev.name, proto, ev.fields), outside)
        where = ", ".join(f"{sp} {lo}" + (f"-{hi}" if hi != lo else "") for sp, lo, hi in outside[:4])
        return (Finding(f"{src}->{dst}/ranges", f"{proto} write outside the learned ranges by {src} on {dst}: {where}",
                        ev.ts, src, dst, details),)


class NewTalker(Detection):
    id = "ics.new_talker"
    technique = "T0848"
    severity = MEDIUM
    summary = "A client talks an industrial protocol to a server it was not known to talk to (a possible rogue master)."
    events = REQUEST_EVENTS
    options = {"learn_seconds": Option(LEARN_SECONDS, LEARN_HELP)}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.known = self.context.known_pairs
        self.learn = float(self.opts["learn_seconds"])
        self.start: float | None = None
        self.learned: set[tuple[str, str, str]] = set()
        self.flows: set[int] = set()
        self.baseline: Baseline | None = self.context.baseline if self.context.baseline else None
        #: (flow uid, function) already found in the baseline
        self.fine: set[tuple[int, str]] = set()

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        if self.baseline is not None:
            return self._enforce(self.baseline, flow, ev)
        uid = flow.uid
        if uid in self.flows:
            return ()
        if len(self.flows) >= MAX_FLOWS:
            self.flows.clear()
        self.flows.add(uid)
        proto = REQUESTS[ev.name]
        pair = (flow.orig_addr, flow.resp_addr, proto)
        if self.known:
            if pair in self.known:
                return ()
        else:
            if self.start is None:
                self.start = ev.ts
            if ev.ts - self.start <= self.learn:
                self.learned.add(pair)
                return ()
            if pair in self.learned:
                return ()
            self.learned.add(pair)  # one alert per new pair, not per connection
        src, dst = flow.orig_addr, flow.resp_addr
        return (Finding(f"{src}->{dst}/{proto}", f"new {proto} talker {src} -> {dst}", ev.ts, src, dst,
                        {"proto": proto, "first_request": ev.name, "port": flow.resp_port}),)

    def _enforce(self, bl: Baseline, flow: Flow, ev: Event) -> Iterable[Finding]:
        """Baseline mode: a (client, server, protocol) pair, or a function on a known pair, it does not hold."""
        if ev.is_orig is False or bl.learning(ev.ts):
            return ()
        proto = REQUESTS[ev.name]
        fn = function_of(ev.name, proto, ev.fields)
        k = (flow.uid, fn)
        if k in self.fine:
            return ()
        src, dst = flow.orig_addr, flow.resp_addr
        details = {"proto": proto, "first_request": ev.name, "function": fn, "port": flow.resp_port,
                   "baseline": deviation(src, dst, proto, fn)}
        if not bl.has_pair(src, dst, proto):
            return (Finding(f"{src}->{dst}/{proto}", f"new {proto} talker {src} -> {dst}", ev.ts, src, dst, details),)
        if not bl.has_function(src, dst, proto, fn):
            return (Finding(f"{src}->{dst}/{proto}/{fn}", f"new {proto} function {fn} from {src} to {dst}", ev.ts,
                            src, dst, details),)
        if len(self.fine) >= MAX_FLOWS:
            self.fine.clear()
        self.fine.add(k)
        return ()


COIL_EVENTS = frozenset({"modbus_write_single_coil_request", "modbus_write_multiple_coils_request"})
MODBUS_REQUESTS = frozenset(n for n, p in REQUESTS.items() if p == "modbus")


class CoilForcing(Detection):
    id = "ics.coil_forcing"
    technique = "T0836"
    severity = HIGH
    summary = ("Outputs forced: FINS forced set/reset, or Modbus coil writes from a client that was not seen "
               "writing coils to that server.")
    events = MODBUS_REQUESTS | {"fins_forced_set_reset_request"}
    options = {"learn_seconds": Option(LEARN_SECONDS, LEARN_HELP)}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.familiar = Familiar(self.context, self.opts["learn_seconds"])
        self.writers: set[tuple[str, str]] = set()
        self.baseline: Baseline | None = self.context.baseline if self.context.baseline else None

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        bl = self.baseline
        if bl is not None and ev.name in COIL_EVENTS:
            # baseline mode: coil writes the pair was seen making (same coils) are routine
            if bl.learning(ev.ts) or not bl.outside_writes(flow.orig_addr, flow.resp_addr, "modbus",
                                                           write_targets(ev.name, ev.fields)):
                return ()
            src, dst = sender(flow, ev)
            return (Finding(f"{src}->{dst}", f"Modbus coil write outside what the baseline holds: {src} -> {dst}",
                            ev.ts, src, dst, _details(ev, "unit_id", "address", "quantity", "values")),)
        if ev.name not in COIL_EVENTS and ev.name != "fins_forced_set_reset_request":
            if self.familiar.start is None:
                self.familiar.learning(ev.ts)  # only the start of the learning period is needed
            return ()
        learning = self.familiar.learning(ev.ts)
        if ev.name == "fins_forced_set_reset_request":
            what = "FINS forced set/reset"
        elif ev.name in COIL_EVENTS:
            pair = (flow.orig_addr, flow.resp_addr)
            if learning:
                self.writers.add(pair)
                return ()
            if pair in self.writers or pair[0] in self.familiar.hosts:
                return ()
            what = "Modbus coil write from a client that never wrote coils here"
        else:
            return ()
        src, dst = sender(flow, ev)
        return (Finding(f"{src}->{dst}", f"{what}: {src} -> {dst}", ev.ts, src, dst,
                        _details(ev, "unit_id", "address", "quantity", "values", "items")),)


def _time_fields(ev: Event) -> str | None:
    """What clock change the request is, or None."""
    f = ev.fields
    n = ev.name
    if n == "s7comm_userdata_request":
        return "S7 set clock" if f.get("userdata_subfunction_name") in ("set_clock", "set_clock2") else None
    if n == "dnp3_write_request":
        for obj in f.get("objects") or ():
            if obj.get("group") == 50:
                return "DNP3 time write (g50)"
        return None
    if n == "iec104_c_cs_na_1":
        return "IEC 104 clock synchronisation" if f.get("cause_name") == "activation" else None
    if n in ("enip_set_attribute_list_request", "enip_set_attribute_single_request", "enip_set_attribute_all_request"):
        cls = f.get("class")
        return f"CIP set of the clock object (class 0x{cls:02X})" if cls in (0x43, 0x8B) else None
    return TIME_ALWAYS.get(n)


TIME_ALWAYS = {
    "fins_clock_write_request": "FINS clock write",
    "bacnet_time_synchronization": "BACnet TimeSynchronization",
    "bacnet_utc_time_synchronization": "BACnet UTCTimeSynchronization",
}
#: protocols whose masters set clocks as routine: reported only from unfamiliar senders
ROUTINE_TIME = ("dnp3", "iec104", "bacnet")


TIME_EVENTS = frozenset({"s7comm_userdata_request", "dnp3_write_request", "iec104_c_cs_na_1",
                         "enip_set_attribute_list_request", "enip_set_attribute_single_request",
                         "enip_set_attribute_all_request", *TIME_ALWAYS})


class TimeChange(Detection):
    id = "ics.time_change"
    technique = "T0836"
    severity = MEDIUM
    summary = ("A device clock set (S7 set clock, FINS clock write, CIP clock objects always; DNP3, IEC 104 and "
               "BACnet time synchronisation only from an unknown host or a second time master).")
    events = TIME_EVENTS
    options = {
        "routine_protocols": Option(ROUTINE_TIME, "protocols whose time sync is reported only from unfamiliar senders"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.known = self.context.known_hosts
        self.routine = frozenset(self.opts["routine_protocols"])
        #: receiver -> its time master (the first sender seen setting its clock), without a store
        self.masters: dict[str, str] = {}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        what = _time_fields(ev)
        if what is None:
            return ()
        src, dst = sender(flow, ev)
        if REQUESTS[ev.name] in self.routine:
            if self.known:
                if src in self.known:
                    return ()
            elif self.masters.setdefault(dst, src) == src:
                return ()  # the receiver's usual time master
            elif len(self.masters) > MAX_FLOWS:
                self.masters.clear()
        return (Finding(f"{src}->{dst}", f"{what}: {src} -> {dst}", ev.ts, src, dst,
                        _details(ev, "clock", "time", "datetime")),)
