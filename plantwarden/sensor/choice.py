"""Choosing between several decoders that claim the same port (S7comm and MMS both run on TCP 102).

The flow starts with every candidate fed in parallel; their events are held back. The first
candidate that *confirms* (``Decoder.confirmed``: it saw a message only its protocol carries) wins:
it replaces this chooser as the flow's decoder and its held events are released, each with the frame
and time it was decoded at. A candidate that reports a violation drops out. If the flow ends first,
the first candidate (in registry order) still standing wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.decoders.base import Decoder

#: a chooser holds back at most this many events per candidate (then the first candidate standing wins)
MAX_HELD = 256


class Undecided(Decoder):
    """The decoder of a flow whose protocol is not known yet."""

    name = ""

    def __init__(self, flow: Flow, candidates: Sequence[type[Decoder]]) -> None:
        super().__init__()
        self.flow = flow
        self.live: list[tuple[Decoder, list[Event]]] = [(cls(), []) for cls in candidates]

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        return self._step(lambda d: d.feed(data, is_orig, ts, frame))

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        return self._step(lambda d: d.gap(nbytes, is_orig, ts, frame))

    def finish(self, ts: float, frame: int) -> list[Event]:
        if not self.live:
            return []
        dec, held = self.live[0]
        self._choose(dec)
        return held + dec.finish(ts, frame)

    def _step(self, call: Callable[[Decoder], list[Event]]) -> list[Event]:
        still = []
        for dec, held in self.live:
            held.extend(call(dec))  # an exception propagates: the sensor counts it and stops the flow
            if dec.confirmed:
                self._choose(dec)
                return held
            if not dec.violated:
                still.append((dec, held))
        self.live = still
        if not still:  # nobody wants the flow: the sensor stops feeding it, as after any violation
            self.violated = True
            return []
        if len(still) == 1 or len(still[0][1]) > MAX_HELD:
            dec, held = still[0]
            self._choose(dec)
            return held
        return []

    def _choose(self, dec: Decoder) -> None:
        self.flow.decoder = dec
        self.flow.proto = dec.name
        self.live = []
