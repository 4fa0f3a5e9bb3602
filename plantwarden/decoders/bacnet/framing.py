"""BVLC messages without an NPDU, network layer messages, and the content probe.

Each function appends the event of one message (and any weird) to ``out``; none of them raises.
"""

from __future__ import annotations

from typing import Any

from plantwarden.core.events import Event, weird
from plantwarden.decoders.bacnet.constants import (
    BVLC_EVENTS,
    BVLC_FUNCTIONS,
    BVLC_LEN,
    BVLC_RESULTS,
    BVLC_TYPE,
    MAX_ITEMS,
    NETWORK_EVENTS,
    NETWORK_MESSAGES,
    NETWORK_REJECT_REASONS,
    NPDU_FUNCTIONS,
    name_of,
)


def _addr(b: bytes, p: int) -> str:
    return f"{b[p]}.{b[p + 1]}.{b[p + 2]}.{b[p + 3]}:{(b[p + 4] << 8) | b[p + 5]}"


def bvlc(b: bytes, func: int, end: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
         out: list[Event]) -> None:
    """A BVLC message that carries no NPDU (Result, BDT and FDT management, Secured-BVLL)."""
    p = BVLC_LEN
    n = end - p
    problem = ""
    if func == 0x00:
        if n >= 2:
            code = (b[p] << 8) | b[p + 1]
            f["result_code"] = code
            f["result"] = name_of(BVLC_RESULTS, code)
        else:
            problem = "BVLC-Result without result code"
    elif func in (0x01, 0x03):  # broadcast distribution table: address(6) mask(4) per entry
        f["bdt"] = [f"{_addr(b, q)}/{b[q + 6]}.{b[q + 7]}.{b[q + 8]}.{b[q + 9]}"
                    for q in range(p, p + min(n // 10, MAX_ITEMS) * 10, 10)]
        if n % 10:
            problem = f"{n % 10} octets after the last BDT entry"
    elif func == 0x05:
        if n >= 2:
            f["ttl"] = (b[p] << 8) | b[p + 1]
        else:
            problem = "Register-Foreign-Device without time-to-live"
    elif func == 0x07:  # foreign device table: address(6) ttl(2) remaining(2) per entry
        f["fdt"] = [{"address": _addr(b, q), "ttl": (b[q + 6] << 8) | b[q + 7],
                     "remaining": (b[q + 8] << 8) | b[q + 9]}
                    for q in range(p, p + min(n // 10, MAX_ITEMS) * 10, 10)]
        if n % 10:
            problem = f"{n % 10} octets after the last FDT entry"
    elif func == 0x08:
        if n >= 6:
            f["address"] = _addr(b, p)
        else:
            problem = "Delete-Foreign-Device-Table-Entry without address"
    out.append(Event(BVLC_EVENTS[func], ts, frame, is_orig, f))
    if func not in BVLC_FUNCTIONS:
        out.append(weird("bacnet_unknown_bvlc_function", ts, frame, is_orig, f"function 0x{func:02x}"))
    elif problem:
        out.append(weird("bacnet_malformed_bvlc", ts, frame, is_orig, problem))


def _networks(b: bytes, p: int, end: int) -> list[int]:
    return [(b[q] << 8) | b[q + 1] for q in range(p, p + min((end - p) // 2, MAX_ITEMS) * 2, 2)]


def network_message(b: bytes, p: int, end: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
                    out: list[Event]) -> None:
    """A network layer message (NPDU control bit 7): routers and network numbers."""
    if p >= end:
        out.append(weird("bacnet_malformed_npdu", ts, frame, is_orig, "network message without type"))
        return
    mt = b[p]
    p += 1
    f["network_message"] = name_of(NETWORK_MESSAGES, mt)
    f["network_message_code"] = mt
    name = NETWORK_EVENTS[mt]
    problem = ""
    if mt >= 0x80:
        name = "bacnet_network_proprietary_message"
        f["network_message"] = "proprietary"
        if end - p >= 2:
            f["vendor_id"] = (b[p] << 8) | b[p + 1]
        else:
            problem = "proprietary message without vendor id"
    elif mt in (0x00, 0x01, 0x04, 0x05):
        f["networks"] = _networks(b, p, end)
        if (end - p) % 2:
            problem = "odd octet after the network numbers"
    elif mt == 0x02:
        if end - p >= 3:
            f["networks"] = [(b[p] << 8) | b[p + 1]]
            f["performance_index"] = b[p + 2]
        else:
            problem = "I-Could-Be-Router-To-Network cut short"
    elif mt == 0x03:
        if end - p >= 3:
            f["reject_reason"] = name_of(NETWORK_REJECT_REASONS, b[p])
            f["networks"] = [(b[p + 1] << 8) | b[p + 2]]
        else:
            problem = "Reject-Message-To-Network cut short"
    elif mt in (0x06, 0x07):
        nets: list[int] = []
        if end - p >= 1:
            count = b[p]
            q = p + 1
            for _ in range(count):
                if q + 4 > end:
                    problem = "routing table cut short"
                    break
                if len(nets) < MAX_ITEMS:
                    nets.append((b[q] << 8) | b[q + 1])
                q += 4 + b[q + 3]
            f["networks"] = nets
    elif mt == 0x13:
        if end - p >= 3:
            f["networks"] = [(b[p] << 8) | b[p + 1]]
            f["configured"] = b[p + 2] == 1
        else:
            problem = "Network-Number-Is cut short"
    out.append(Event(name, ts, frame, is_orig, f))
    if mt not in NETWORK_MESSAGES and mt < 0x80:
        out.append(weird("bacnet_unknown_network_message", ts, frame, is_orig, f"message type 0x{mt:02x}"))
    elif problem:
        out.append(weird("bacnet_malformed_npdu", ts, frame, is_orig, problem))


def plausible(data: bytes) -> float:
    """Confidence that a datagram on another port is BACnet/IP: type 0x81, a known function and a
    length that agrees with the datagram (0.9 with an NPDU of version 1, 0.8 without NPDU)."""
    n = len(data)
    if n < BVLC_LEN:
        return 0.0 if n and data[0] == BVLC_TYPE else -1.0
    if data[0] != BVLC_TYPE or data[1] not in BVLC_FUNCTIONS:
        return -1.0
    if (data[2] << 8 | data[3]) != n:
        return -1.0
    if data[1] in NPDU_FUNCTIONS:
        p = 10 if data[1] == 4 else 4
        return 0.9 if n > p + 1 and data[p] == 1 else -1.0
    return 0.8
