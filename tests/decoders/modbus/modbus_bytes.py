"""Byte-literal helpers for the Modbus decoder tests."""

from __future__ import annotations

import struct
from typing import Any

from plantwarden.core.events import Event
from plantwarden.decoders.modbus import ModbusDecoder


def adu(tid: int, unit: int, pdu: bytes, pid: int = 0, length: int | None = None) -> bytes:
    """An MBAP header (length computed unless given) followed by ``pdu``."""
    return struct.pack(">HHHB", tid, pid, len(pdu) + 1 if length is None else length, unit) + pdu


def feed(dec: ModbusDecoder, data: bytes, is_orig: bool, frame: int = 1) -> list[Event]:
    return dec.feed(data, is_orig, float(frame), frame)


def messages(events: list[Event]) -> list[Event]:
    return [e for e in events if not e.is_weird]


def weirds(events: list[Event]) -> list[str]:
    return [e.fields["name"] for e in events if e.is_weird]


def exchange(req: bytes, resp: bytes, tid: int = 7, unit: int = 1) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Feed one request PDU and its response PDU; return both events' fields and every weird name."""
    dec = ModbusDecoder()
    evs = feed(dec, adu(tid, unit, req), True, 1) + feed(dec, adu(tid, unit, resp), False, 2)
    msgs = messages(evs)
    assert len(msgs) == 2, evs
    assert msgs[0].is_orig is True and msgs[1].is_orig is False
    return msgs[0].fields | {"event": msgs[0].name}, msgs[1].fields | {"event": msgs[1].name}, weirds(evs)
