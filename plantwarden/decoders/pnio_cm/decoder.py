"""The PROFINET IO context-management decoder: DCE/RPC connectionless over UDP (port 34964).

Sans-IO, one datagram per ``feed``. Every DCE/RPC packet becomes one event named by packet type and,
for requests and responses, by the PNIO operation (``pnio_cm_connect_request``, ...). Fragmented
bodies are reassembled per (activity, sequence number, packet type); the PNIO blocks are decoded when
the body is complete, on the event of the packet that completed it. See docs/protocols/profinet.md.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.pnio_cm import blocks
from plantwarden.decoders.pnio_cm.constants import (
    FLAG_FRAG,
    FLAG_LAST_FRAG,
    FLAGS1,
    HEADER_LEN,
    IFACE_TAIL,
    INTERFACES,
    OBJECT_HEAD,
    OPERATIONS,
    PACKET_TYPES,
    PORT,
)

#: header after the three UUIDs: boot time, interface version, sequence, opnum, hints, length, fragment
_TAIL_BE: Final = struct.Struct(">IIIHHHHHBB")
_TAIL_LE: Final = struct.Struct("<IIIHHHHHBB")
_UUID_LE: Final = struct.Struct("<IHH8s")
_UUID_BE: Final = struct.Struct(">IHH8s")
_FACK_BE: Final = struct.Struct(">BxHIIHH")
_FACK_LE: Final = struct.Struct("<BxHIIHH")
#: reassembly bounds: bodies under way per flow, fragments per body, bytes per body
MAX_ASSEMBLIES: Final = 16
MAX_FRAGMENTS: Final = 256
MAX_BODY: Final = 256 * 1024
_EVENT_NAMES: Final = {
    (t, op): f"pnio_cm_{OPERATIONS.get(op, 'unknown')}_{'request' if t == 0 else 'response'}"
    for t in (0, 2) for op in (*OPERATIONS, -1)
}


def _uuid(b: bytes, off: int, little: bool) -> tuple[str, int, bytes]:
    """(text form, first 32-bit field, last 8 bytes) of the DCE/RPC UUID at ``off``."""
    a, b2, c, d = (_UUID_LE if little else _UUID_BE).unpack_from(b, off)
    h = d.hex()
    return f"{a:08x}-{b2:04x}-{c:04x}-{h[:4]}-{h[4:]}", a, d


class PnioCmDecoder(Decoder):
    name: ClassVar[str] = "pnio_cm"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (PORT,)

    def __init__(self) -> None:
        super().__init__()
        #: (activity, sequence, packet type) -> {fragment number: body}, plus the last fragment's number
        self._frags: dict[tuple[bytes, int, int], tuple[dict[int, bytes], list[int]]] = {}
        self.packets = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) < HEADER_LEN or data[0] != 4 or data[1] > 10:
            return -1.0
        little = bool(data[4] & 0x10)
        for off in (24, 8):  # interface UUID, then object UUID
            _s, first, tail = _uuid(data, off, little)
            if first >> 4 == OBJECT_HEAD >> 4 and tail[:2] == IFACE_TAIL[:2]:
                return 0.95
        return -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        n = len(data)
        if n < HEADER_LEN or data[0] != 4:
            if not self.packets:
                self.violated = True
                return [weird("pnio_cm_protocol_violation", ts, frame, is_orig,
                              f"not DCE/RPC connectionless (version {data[0] if n else None}, {n} bytes)")]
            return [weird("pnio_cm_bad_header", ts, frame, is_orig, f"version {data[0] if n else None}, {n} bytes")]
        self.packets += 1
        ptype, flags1, flags2 = data[1], data[2], data[3]
        little = bool(data[4] & 0x10)
        obj, _ofirst, otail = _uuid(data, 8, little)
        iface, ifirst, itail = _uuid(data, 24, little)
        act, _a, _t = _uuid(data, 40, little)
        (boot, ifver, seq, opnum, ihint, ahint, blen, fragnum, auth, serial_lo) = (
            _TAIL_LE if little else _TAIL_BE).unpack_from(data, 56)
        tname = PACKET_TYPES.get(ptype)
        f: dict[str, Any] = {
            "packet_type": tname if tname is not None else f"unknown-{ptype}", "packet_type_code": ptype,
            "operation": OPERATIONS.get(opnum) or f"unknown-{opnum}", "opnum": opnum,
            "rpc_flags": [name for bit, name in FLAGS1 if flags1 & bit],
            "cancel_pending": bool(flags2 & 0x02),
            "byte_order": "little" if little else "big",
            "object_uuid": obj, "interface_uuid": iface, "activity_uuid": act,
            "server_boot_time": boot, "interface_version": ifver, "sequence_num": seq,
            "interface_hint": ihint, "activity_hint": ahint, "length": blen, "fragment_num": fragnum,
            "auth_protocol": auth, "serial": data[7] << 8 | serial_lo,
        }
        if itail == IFACE_TAIL and ifirst >> 4 == OBJECT_HEAD >> 4:
            f["interface"] = INTERFACES.get(ifirst & 0xF) or f"unknown-{ifirst & 0xF}"
        else:
            f["interface"] = "unknown"
        if otail[:2] == IFACE_TAIL[:2] and _ofirst == OBJECT_HEAD:
            f["object_instance"] = otail[2] << 8 | otail[3]
            f["object_device_id"] = otail[4] << 8 | otail[5]
            f["object_vendor_id"] = otail[6] << 8 | otail[7]
        if ptype == 0 or ptype == 2:
            name = _EVENT_NAMES.get((ptype, opnum)) or _EVENT_NAMES[(ptype, -1)]
        else:
            name = f"pnio_cm_{tname}" if tname is not None else "pnio_cm_unknown_packet"
        out = [Event(name, ts, frame, is_orig, f)]
        body = data[HEADER_LEN:HEADER_LEN + blen]
        if len(body) < blen:
            out.append(weird("pnio_cm_truncated_body", ts, frame, is_orig,
                             f"body length {blen}, {len(body)} bytes present"))
            return out
        if ptype == 0 or ptype == 2:
            if flags1 & FLAG_FRAG:
                f["fragment"] = True
                whole = self._fragment((data[40:56], seq, ptype), fragnum, bool(flags1 & FLAG_LAST_FRAG), body,
                                       ts, frame, is_orig, out)
                if whole is None:
                    return out
                body = whole
            if opnum in OPERATIONS and body:
                self._stub(body, ptype == 2, little, f, ts, frame, is_orig, out)
        elif ptype == 3 or ptype == 6:  # fault, reject: an NCA status code
            if len(body) >= 4:
                f["nca_status"] = struct.unpack_from("<I" if little else ">I", body, 0)[0]
        elif ptype == 9 and len(body) >= 16:
            vers, window, max_tsdu, max_frag, fserial, selack_len = (
                _FACK_LE if little else _FACK_BE).unpack_from(body, 0)
            f.update({"fack_version": vers, "window_size": window, "max_tsdu": max_tsdu,
                      "max_frag_size": max_frag, "fack_serial": fserial, "sel_ack_len": selack_len})
        return out

    def _fragment(self, key: tuple[bytes, int, int], fragnum: int, last: bool, body: bytes, ts: float,
                  frame: int, is_orig: bool, out: list[Event]) -> bytes | None:
        """Keep one fragment; return the whole body once every fragment is there."""
        entry = self._frags.get(key)
        if entry is None:
            if len(self._frags) >= MAX_ASSEMBLIES:
                del self._frags[next(iter(self._frags))]
                out.append(weird("pnio_cm_reassembly_overflow", ts, frame, is_orig,
                                 f"more than {MAX_ASSEMBLIES} fragmented bodies under way; the oldest dropped"))
            entry = ({}, [-1, 0])
            self._frags[key] = entry
        parts, meta = entry
        if fragnum not in parts:
            meta[1] += len(body)
        parts[fragnum] = body
        if last:
            meta[0] = fragnum
        if len(parts) > MAX_FRAGMENTS or meta[1] > MAX_BODY:
            del self._frags[key]
            out.append(weird("pnio_cm_reassembly_overflow", ts, frame, is_orig,
                             f"{len(parts)} fragments, {meta[1]} bytes"))
            return None
        if meta[0] < 0 or len(parts) != meta[0] + 1:
            return None
        del self._frags[key]
        try:
            return b"".join([parts[i] for i in range(meta[0] + 1)])
        except KeyError:  # fragment numbers beyond the last one
            out.append(weird("pnio_cm_bad_fragment", ts, frame, is_orig, f"fragments {sorted(parts)[:8]}"))
            return None

    def _stub(self, body: bytes, is_response: bool, little: bool, f: dict[str, Any], ts: float, frame: int,
              is_orig: bool, out: list[Event]) -> None:
        try:
            blocks.stub(body, is_response, little, f)
        except (blocks.BlockError, IndexError, struct.error) as e:
            out.append(weird("pnio_cm_malformed_block", ts, frame, is_orig, f"{f['operation']}: {e}"))
        station = f.get("cm_responder_station_name" if is_response else "cm_initiator_station_name")
        if station:
            f.setdefault("identity", {})["name"] = station
        if "identity" in f and not f["identity"]:
            del f["identity"]

    def finish(self, ts: float, frame: int) -> list[Event]:
        out = []
        for (_act, seq, ptype), (parts, meta) in self._frags.items():
            out.append(weird("pnio_cm_incomplete_fragments", ts, frame, None,
                             f"{PACKET_TYPES.get(ptype)} sequence {seq}: {len(parts)} fragments, "
                             f"last {'seen' if meta[0] >= 0 else 'not seen'}"))
        self._frags.clear()
        return out
