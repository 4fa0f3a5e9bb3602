"""``modbus.value_out_of_range`` (T0836 Modify Parameter): a register written far outside what it held.

During the learning period (the first ``learn_seconds`` of Modbus traffic) the detection notes, per
server, unit id and holding register, the lowest and highest value read or written. Afterwards a
write of a value outside ``[low - margin, high + margin]`` is reported, where ``margin`` is
``tolerance`` times the larger of the learned span and the largest learned magnitude (at least
``min_margin``). Registers never seen while learning are not judged. With a learned baseline
(``Context.baseline``, docs/baselines.md) its register ranges are used instead of the capture's own
learning period. See docs/detections/modbus.value_out_of_range.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.baseline.accept import deviation
from plantwarden.baseline.model import Baseline
from plantwarden.core.alerts import MEDIUM
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.detections.catalog import LEARN_SECONDS

READ = "modbus_read_holding_registers_response"
WRITES = ("modbus_write_single_register_request", "modbus_write_multiple_registers_request")
RW = "modbus_read_write_multiple_registers_request"
#: registers learned at most (beyond it nothing new is learned)
MAX_POINTS = 200_000


class ValueOutOfRange(Detection):
    id = "modbus.value_out_of_range"
    technique = "T0836"
    severity = MEDIUM
    summary = "A Modbus holding register written with a value far outside the range it showed while learning."
    events = frozenset({READ, RW, *WRITES})
    options = {
        "learn_seconds": Option(LEARN_SECONDS, "seconds of Modbus traffic learned at the start of the capture"),
        "tolerance": Option(0.25, "margin, as a fraction of the larger of the learned span and magnitude"),
        "min_margin": Option(10, "smallest margin (register units)"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.learn = float(self.opts["learn_seconds"])
        self.tol = float(self.opts["tolerance"])
        self.min_margin = float(self.opts["min_margin"])
        self.start: float | None = None
        #: (server, unit, register) -> [low, high]
        self.ranges: dict[tuple[str, int, int], list[int]] = {}
        self.baseline: Baseline | None = self.context.baseline if self.context.baseline else None

    def _learn(self, server: str, unit: int, address: int, values: list[Any]) -> None:
        r = self.ranges
        for i, v in enumerate(values):
            if not isinstance(v, int):
                continue
            k = (server, unit, address + i)
            lo_hi = r.get(k)
            if lo_hi is None:
                if len(r) < MAX_POINTS:
                    r[k] = [v, v]
            elif v < lo_hi[0]:
                lo_hi[0] = v
            elif v > lo_hi[1]:
                lo_hi[1] = v

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        f = ev.fields
        bl = self.baseline
        if bl is not None:
            if ev.name == READ or bl.learning(ev.ts):
                return ()  # the baseline's learner keeps the ranges
            learning = False
        else:
            if self.start is None:
                self.start = ev.ts
            learning = ev.ts - self.start <= self.learn
            if ev.name == READ and not learning:
                return ()
        address = f.get("write_address") if ev.name == RW else f.get("address")
        values = f.get("values")
        unit = f.get("unit_id")
        if not isinstance(address, int) or not isinstance(values, list) or not isinstance(unit, int):
            return ()
        server = flow.resp_addr
        if learning:
            self._learn(server, unit, address, values)
            return ()
        out: list[dict[str, Any]] = []
        for i, v in enumerate(values):
            if bl is not None:
                vr = bl.values.get((server, unit, address + i))
                lo_hi: list[float] | list[int] | None = [vr.low, vr.high] if vr is not None else None
            else:
                lo_hi = self.ranges.get((server, unit, address + i))
            if lo_hi is None or not isinstance(v, int):
                continue
            lo, hi = lo_hi
            margin = max(self.min_margin, self.tol * max(hi - lo, abs(lo), abs(hi)))
            if lo - margin <= v <= hi + margin:
                continue
            out.append({"register": address + i, "value": v, "learned": [lo, hi]})
        if not out:
            return ()
        src = flow.orig_addr
        regs = ", ".join(f"{o['register']}={o['value']} (learned {o['learned'][0]}..{o['learned'][1]})" for o in out[:4])
        details: dict[str, Any] = {"unit_id": unit, "out_of_range": out[:20], "frame": ev.frame}
        if bl is not None:
            details["baseline"] = deviation(src, server, "modbus", None,
                                            values=[(unit, o["register"], o["value"]) for o in out[:20]])
        return (Finding(f"{src}->{server}/{unit}", f"Modbus write outside the learned range by {src} on {server} "
                        f"unit {unit}: {regs}", ev.ts, src, server, details),)
