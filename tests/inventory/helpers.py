"""Hand-built flows and events for inventory tests (no sensor, no capture)."""

from __future__ import annotations

import itertools
from typing import Any

from plantwarden.core.events import Event, weird
from plantwarden.core.flow import Flow

_uid = itertools.count(1)


def flow(orig: str, resp: str, dport: int, proto: str | None, *, sport: int = 40000, transport: str = "tcp",
         ts: float = 1000.0, end: float | None = None, orig_mac: str | None = None, resp_mac: str | None = None,
         pkts: tuple[int, int] = (3, 3), nbytes: tuple[int, int] = (30, 40)) -> Flow:
    f = Flow(transport, orig, sport, resp, dport, ts, 1, next(_uid))
    f.proto = proto
    f.orig_mac, f.resp_mac = orig_mac, resp_mac
    f.last_ts = end if end is not None else ts + 10
    f.orig_pkts, f.resp_pkts = pkts
    f.orig_bytes, f.resp_bytes = nbytes
    return f


def req(name: str, ts: float = 1001.0, frame: int = 5, **fields: Any) -> Event:
    return Event(name, ts, frame, True, fields)


def resp(name: str, ts: float = 1001.5, frame: int = 6, **fields: Any) -> Event:
    return Event(name, ts, frame, False, fields)


def modbus_req(fc: int, **extra: Any) -> Event:
    return req(f"modbus_fc{fc}_request", function_code=fc, exception_code=None, **extra)


def modbus_resp(fc: int, **extra: Any) -> Event:
    return resp(f"modbus_fc{fc}_response", function_code=fc, exception_code=None, **extra)


def a_weird(name: str, is_orig: bool | None = None) -> Event:
    return weird(name, 1002.0, 7, is_orig, "detail")
