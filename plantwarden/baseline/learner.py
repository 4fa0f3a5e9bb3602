"""The learning sink: adds the requests (and Modbus holding register values) of the traffic to a
:class:`~plantwarden.baseline.model.Baseline` while it learns. It sits beside the inventory builder
and the detection engine; it looks only at request events of industrial protocols
(``detections.catalog.REQUESTS``) and Modbus holding register reads, and stops looking once the
learning period is over."""

from __future__ import annotations

from plantwarden.baseline.extract import function_of, write_targets
from plantwarden.baseline.model import Baseline
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.catalog import REQUESTS

HR_READ = "modbus_read_holding_registers_response"
HR_WRITES = frozenset({"modbus_write_single_register_request", "modbus_write_multiple_registers_request",
                       "modbus_read_write_multiple_registers_request"})


class BaselineLearner:
    """A sensor sink (``on_event`` / ``on_flow_end``) that learns into ``baseline`` (the live one the
    detections consult) and into ``delta`` (only what this sink saw: what is merged into the store)."""

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.delta = Baseline()
        self.done = False  # the learning period is over: nothing more to do
        self.requests = 0  # requests learned

    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None:
        if self.done or flow is None:
            return
        b = self.baseline
        if b.run_start is None:
            b.learning(ev.ts)  # the run's learning period counts from its first traffic
        name = ev.name
        proto = REQUESTS.get(name)
        if proto is None and name != HR_READ:
            return
        if not b.learning(ev.ts):
            if b.learn_until is not None and ev.ts > b.learn_until:
                self.done = True
            return
        f = ev.fields
        if proto is not None:
            if ev.is_orig is False:
                client, server = flow.resp_addr, flow.orig_addr
            else:
                client, server = flow.orig_addr, flow.resp_addr
            fn, targets = function_of(name, proto, f), write_targets(name, f)
            b.see_request(client, server, proto, fn, ev.ts, targets)
            self.delta.see_request(client, server, proto, fn, ev.ts, targets)
            self.requests += 1
            if name not in HR_WRITES:
                return
            address = f.get("write_address") if name == "modbus_read_write_multiple_registers_request" \
                else f.get("address")
        else:
            server = flow.resp_addr
            address = f.get("address")
        unit, values = f.get("unit_id"), f.get("values")
        if isinstance(unit, int) and isinstance(address, int) and isinstance(values, list):
            b.see_values(server, unit, address, values, ev.ts)
            self.delta.see_values(server, unit, address, values, ev.ts)

    def on_flow_end(self, capture: str, flow: Flow) -> None:
        return None
