"""The S7comm decoder: TPKT (RFC 1006) -> COTP (ISO 8073) -> S7comm (0x32) / S7comm-plus (0x72).

Sans-IO: the sensor feeds the reassembled byte stream of each direction; this class frames TPKTs,
reassembles COTP data fragments (EOT flag) and userdata data units, pairs responses with their jobs by
pdu_ref, and returns one event per S7 PDU and per COTP connection TPDU. See docs/protocols/s7comm.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.iso.transport import (
    COTP_CC,
    COTP_CR,
    COTP_DT,
    IsoDirection,
    IsoTransportDecoder,
    first_tpdu,
)
from plantwarden.decoders.s7comm.activity import activity as classify_activity
from plantwarden.decoders.s7comm.constants import (
    CPU_MODES,
    ERROR_CLASS_NAMES,
    FUNCTION_NAMES,
    PLUS_FUNCTIONS,
    PLUS_OPCODES,
    RETURN_CODES,
    ROSCTR_NAMES,
    USERDATA_GROUPS,
    USERDATA_SUBFUNCTIONS,
    USERDATA_TYPES,
    name_of,
)
from plantwarden.decoders.s7comm.jobs import Item, ack_data_params, job_params
from plantwarden.decoders.s7comm.userdata import userdata_content

MAX_PENDING_JOBS = 1024  # unanswered jobs remembered for pairing
_FN_EVENT_REQ = {c: f"s7comm_{n}_request" for c, n in FUNCTION_NAMES.items()}
_FN_EVENT_RESP = {c: f"s7comm_{n}_response" for c, n in FUNCTION_NAMES.items()}


class _Direction(IsoDirection):
    __slots__ = ("plus_cont", "units")

    def __init__(self) -> None:
        super().__init__()
        self.plus_cont = False  # the last S7comm-plus fragment had no trailer: next one continues it
        self.units: dict[tuple[int, int, int], bytes] = {}  # userdata data units being reassembled

    def reset(self) -> None:
        super().reset()
        self.units.clear()
        self.plus_cont = False


class S7commDecoder(IsoTransportDecoder):
    name: ClassVar[str] = "s7comm"
    prefix: ClassVar[str] = "s7comm"
    default_ports: ClassVar[tuple[int, ...]] = (102,)
    direction_class: ClassVar[type[IsoDirection]] = _Direction
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        self._pending: dict[int, tuple[int, list[Item] | None]] = {}

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        first = first_tpdu(data)
        if first is None:
            return -1.0
        ctype, payload = first
        if ctype in (COTP_CR, COTP_CC):
            return 0.9
        if ctype == COTP_DT and len(data) > payload:
            return 0.95 if data[payload] in (0x32, 0x72) else 0.3
        return 0.5

    def finish(self, ts: float, frame: int) -> list[Event]:
        return []

    # -- S7comm and S7comm-plus PDUs -------------------------------------------------------------

    def _payload(self, pl: bytes, d: _Direction, is_orig: bool, ts: float, frame: int,
                 out: list[Event]) -> None:
        pid = pl[0]
        if pid == 0x32:
            self.confirmed = True
            try:
                self._s7(pl, d, is_orig, ts, frame, out)
            except (IndexError, ValueError) as exc:
                out.append(weird("s7comm_malformed_pdu", ts, frame, is_orig, type(exc).__name__))
        elif pid == 0x72:
            self.confirmed = True
            self._plus(pl, d, is_orig, ts, frame, out)
        elif d.plus_cont:
            self._plus(pl, d, is_orig, ts, frame, out)
        elif not self.confirmed:
            self.violated = True  # ISO transport carrying something else (e.g. MMS)
        else:
            out.append(weird("s7comm_unknown_protocol_id", ts, frame, is_orig, str(pid)))

    # -- S7comm ----------------------------------------------------------------------------------

    def _s7(self, pl: bytes, d: _Direction, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        rosctr = pl[1]
        hlen = 12 if rosctr == 2 or rosctr == 3 else 10
        if len(pl) < hlen:
            out.append(weird("s7comm_short_header", ts, frame, is_orig, str(len(pl))))
            return
        pdu_ref = (pl[4] << 8) | pl[5]
        plen = (pl[6] << 8) | pl[7]
        dlen = (pl[8] << 8) | pl[9]
        f: dict[str, Any] = {"rosctr": rosctr, "rosctr_name": name_of(ROSCTR_NAMES, rosctr), "pdu_ref": pdu_ref}
        if hlen + plen + dlen != len(pl):
            out.append(weird("s7comm_length_mismatch", ts, frame, is_orig,
                             f"header says {hlen + plen + dlen}, pdu has {len(pl)}"))
        p = pl[hlen:hlen + plen]
        data = pl[hlen + plen:hlen + plen + dlen]
        if hlen == 12:
            f["error_class"] = pl[10]
            f["error_class_name"] = name_of(ERROR_CLASS_NAMES, pl[10])
            f["error_code"] = pl[11]
        if rosctr == 7:
            ev = Event("s7comm_userdata_unknown", ts, frame, is_orig, f)
            out.append(ev)
            self._userdata(p, data, d, ev)
            return
        if rosctr == 1 or rosctr == 3:
            if not p:
                name = "s7comm_job" if rosctr == 1 else "s7comm_ack_data"
            else:
                func = p[0]
                f["function_code"] = func
                f["function"] = name_of(FUNCTION_NAMES, func)
                if rosctr == 1:
                    name = _FN_EVENT_REQ.get(func) or f"s7comm_unknown_{func}_request"
                    out.append(Event(name, ts, frame, is_orig, f))
                    if len(self._pending) >= MAX_PENDING_JOBS:
                        self._pending.clear()
                    items = None
                    try:
                        items = job_params(func, p, data, f)
                    finally:
                        self._pending[pdu_ref] = (func, items)
                    return
                name = _FN_EVENT_RESP.get(func) or f"s7comm_unknown_{func}_response"
                job = self._pending.pop(pdu_ref, None)
                out.append(Event(name, ts, frame, is_orig, f))
                ack_data_params(func, p, data, f, job[1] if job is not None and job[0] == func else None)
                return
        elif rosctr == 2:
            name = "s7comm_ack"
            job = self._pending.pop(pdu_ref, None)
            if job is not None:
                f["job_function"] = name_of(FUNCTION_NAMES, job[0])
        else:
            name = "s7comm_unknown_rosctr"
        out.append(Event(name, ts, frame, is_orig, f))

    def _userdata(self, p: bytes, data: bytes, d: _Direction, ev: Event) -> None:
        if len(p) < 8:
            return
        f = ev.fields
        tg = p[5]
        utype = tg >> 4
        group = tg & 0x0F
        sub = p[6]
        f["userdata_type"] = name_of(USERDATA_TYPES, utype)
        f["userdata_group"] = group
        f["userdata_group_name"] = name_of(USERDATA_GROUPS, group)
        if group == 0:
            f["cpu_mode"] = sub
            f["cpu_mode_name"] = name_of(CPU_MODES, sub)
        else:
            f["userdata_subfunction"] = sub
            f["userdata_subfunction_name"] = name_of(USERDATA_SUBFUNCTIONS.get(group, {}), sub)
        ev.name = "s7comm_userdata_" + f["userdata_type"]
        f["sequence_number"] = p[7]
        last = True
        key = (group, sub, 0)
        if len(p) >= 12:
            f["data_unit_ref"] = p[8]
            last = p[9] == 0
            f["last_data_unit"] = last
            f["error_code"] = (p[10] << 8) | p[11]
            key = (group, sub, p[8])
        body = b""
        if len(data) >= 4:
            f["return_code"] = name_of(RETURN_CODES, data[0])
            body = data[4:4 + ((data[2] << 8) | data[3])]
        if not last:
            if len(d.units) > 16:
                d.units.clear()
            d.units[key] = d.units.get(key, b"") + body
        else:
            prev = d.units.pop(key, None)
            if prev is not None:
                body = prev + body
            userdata_content(group, sub, utype, body, f)

    # -- S7comm-plus -----------------------------------------------------------------------------

    def _plus(self, pl: bytes, d: _Direction, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        cont = d.plus_cont
        d.plus_cont = not (len(pl) >= 4 and pl[-4] == 0x72 and pl[-2] == 0 and pl[-1] == 0)
        if cont or len(pl) < 5:
            return  # continuation of a fragmented S7comm-plus PDU
        version = pl[1]
        off = 4
        if version == 3 and pl[4] == 0x20:
            off = 4 + 1 + 32  # integrity digest
        f: dict[str, Any] = {"plus_version": version}
        if off < len(pl):
            opcode = pl[off]
            f["opcode"] = opcode
            f["opcode_name"] = name_of(PLUS_OPCODES, opcode)
            if opcode in (0x31, 0x32, 0x02) and off + 5 <= len(pl):
                fn = (pl[off + 3] << 8) | pl[off + 4]
                f["plus_function_code"] = fn
                f["plus_function"] = name_of(PLUS_FUNCTIONS, fn)
        out.append(Event("s7comm_plus", ts, frame, is_orig, f))
