"""The SNMP decoder (v1, v2c, v3) over UDP 161/162: one datagram, one message, one event.

See docs/protocols/snmp.md for every event, field and weird.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.snmp.ber import BerError, integer, oid, tlv, unsigned
from plantwarden.decoders.snmp.constants import (
    ERRORS,
    GENERIC_TRAPS,
    IDENTITY_OIDS,
    MAX_TEXT,
    MAX_VARBINDS,
    PDUS,
    SECURITY_LEVELS,
    SYS_CONTACT,
    VALUE_TYPES,
    VERSIONS,
)


def _text(raw: bytes) -> str:
    s = raw[:MAX_TEXT].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _string_value(raw: bytes) -> str:
    """An OCTET STRING value: text when it is printable UTF-8 (line breaks allowed), else hex."""
    try:
        s = raw[:MAX_TEXT].decode("utf-8")
    except UnicodeDecodeError:
        return raw[:MAX_TEXT].hex()
    return s if s.replace("\r", "").replace("\n", "").replace("\t", "").isprintable() else raw[:MAX_TEXT].hex()


def _value(buf: bytes, tag: int, s: int, e: int) -> Any:
    if tag == 0x02:
        return integer(buf, s, e)
    if tag == 0x04 or tag == 0x44:
        return _string_value(buf[s:e])
    if tag == 0x06:
        return oid(buf, s, e)
    if tag == 0x40:
        return ".".join(map(str, buf[s:e])) if e - s == 4 else buf[s:e].hex()
    if tag in (0x41, 0x42, 0x43, 0x46, 0x47):
        return unsigned(buf, s, e)
    return None


class SnmpDecoder(Decoder):
    """SNMP over UDP: requests to 161 (manager is the originator), traps and informs to 162."""

    name: ClassVar[str] = "snmp"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (161, 162)

    __slots__ = ("messages",)

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        """A BER SEQUENCE holding INTEGER version 0, 1 or 3, then a community string or v3 header."""
        if len(data) < 10 or data[0] != 0x30:
            return -1.0
        try:
            _, s, e = tlv(data, 0, len(data))
            if e != len(data):
                return -1.0
            t, vs, ve = tlv(data, s, e)
            if t != 0x02 or integer(data, vs, ve) not in (0, 1, 3):
                return -1.0
            t2, _, _ = tlv(data, ve, e)
        except BerError:
            return -1.0
        return 0.8 if t2 in (0x04, 0x30) else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        f: dict[str, Any] = {}
        try:
            name = self._message(data, f)
        except BerError as e:
            if not self.confirmed and "version" not in f:
                out.append(weird("snmp_protocol_violation", ts, frame, is_orig, str(e)))
                self.violated = True
                return out
            if "pdu_type" not in f:
                out.append(weird("snmp_malformed", ts, frame, is_orig, str(e)))
                return out
            name = f.pop("_event")
            out.append(Event(name, ts, frame, is_orig, f))
            out.append(weird("snmp_malformed", ts, frame, is_orig, str(e)))
            return out
        self.confirmed = True
        self.messages += 1
        out.append(Event(name, ts, frame, is_orig, f))
        return out

    def _message(self, buf: bytes, f: dict[str, Any]) -> str:
        tag, s, end = tlv(buf, 0, len(buf))
        if tag != 0x30:
            raise BerError(f"message tag 0x{tag:02x}")
        t, vs, ve = tlv(buf, s, end)
        if t != 0x02:
            raise BerError("no version")
        v = integer(buf, vs, ve)
        if v not in (0, 1, 3):
            raise BerError(f"version {v}")
        f["version"] = VERSIONS[v]
        if v == 3:
            return self._v3(buf, ve, end, f)
        t, cs, ce = tlv(buf, ve, end)
        if t != 0x04:
            raise BerError("no community")
        f["community"] = _text(buf[cs:ce])
        f["credentials_in_clear"] = True
        return self._pdu(buf, ce, end, f)

    def _v3(self, buf: bytes, off: int, end: int, f: dict[str, Any]) -> str:
        t, gs, ge = tlv(buf, off, end)  # msgGlobalData
        if t != 0x30:
            raise BerError("no v3 header")
        t, s, e = tlv(buf, gs, ge)
        f["msg_id"] = integer(buf, s, e)
        t, s, e = tlv(buf, e, ge)
        f["max_size"] = integer(buf, s, e)
        t, s, e = tlv(buf, e, ge)
        flags = buf[s] if e > s else 0
        f["security_level"] = SECURITY_LEVELS[flags & 3]
        f["reportable"] = bool(flags & 4)
        t, s, e = tlv(buf, e, ge)
        f["security_model"] = integer(buf, s, e)
        f["credentials_in_clear"] = False
        t, ps, pe = tlv(buf, ge, end)  # msgSecurityParameters (USM, inside an OCTET STRING)
        f["engine_id"] = f["user_name"] = None
        if t == 0x04 and pe > ps:
            t, us, ue = tlv(buf, ps, pe)
            if t == 0x30:
                t, s, e = tlv(buf, us, ue)
                f["engine_id"] = buf[s:e].hex()
                t, s, e = tlv(buf, e, ue)
                f["engine_boots"] = integer(buf, s, e) if e > s else 0
                t, s, e = tlv(buf, e, ue)
                f["engine_time"] = integer(buf, s, e) if e > s else 0
                t, s, e = tlv(buf, e, ue)
                f["user_name"] = _text(buf[s:e])
        t, ds, de = tlv(buf, pe, end)  # msgData
        if t == 0x04:  # encrypted ScopedPDU
            f["pdu_type"] = None
            f["encrypted_length"] = de - ds
            return "snmp_encrypted_pdu"
        if t != 0x30:
            raise BerError(f"msgData tag 0x{t:02x}")
        t, s, e = tlv(buf, ds, de)
        f["context_engine_id"] = buf[s:e].hex()
        t, s, e = tlv(buf, e, de)
        f["context_name"] = _text(buf[s:e])
        return self._pdu(buf, e, de, f)

    def _pdu(self, buf: bytes, off: int, end: int, f: dict[str, Any]) -> str:
        tag, ps, pe = tlv(buf, off, end)
        names = PDUS.get(tag)
        if names is None:
            raise BerError(f"PDU tag 0x{tag:02x}")
        event, f["pdu_type"] = names
        f["_event"] = event
        varbinds: list[dict[str, Any]] = []
        f["varbinds"] = varbinds
        if tag == 0xA4:  # SNMPv1 trap
            t, s, e = tlv(buf, ps, pe)
            f["enterprise"] = oid(buf, s, e)
            t, s, e = tlv(buf, e, pe)
            f["agent_address"] = ".".join(map(str, buf[s:e])) if e - s == 4 else buf[s:e].hex()
            t, s, e = tlv(buf, e, pe)
            g = integer(buf, s, e)
            f["generic_trap"], f["generic_trap_name"] = g, GENERIC_TRAPS[g]
            t, s, e = tlv(buf, e, pe)
            f["specific_trap"] = integer(buf, s, e)
            t, s, e = tlv(buf, e, pe)
            f["timestamp"] = unsigned(buf, s, e)
            f["request_id"] = None
        else:
            t, s, e = tlv(buf, ps, pe)
            f["request_id"] = integer(buf, s, e)
            t, s, e = tlv(buf, e, pe)
            a = integer(buf, s, e)
            t, s, e = tlv(buf, e, pe)
            b = integer(buf, s, e)
            if tag == 0xA5:
                f["non_repeaters"], f["max_repetitions"] = a, b
            else:
                f["error_status"], f["error_status_name"], f["error_index"] = a, ERRORS[a], b
        f["varbind_count"] = 0
        t, vs, ve = tlv(buf, e, pe)
        if t != 0x30:
            raise BerError("no variable bindings")
        identity: dict[str, Any] = {}
        off = vs
        count = 0
        while off < ve:
            t, bs, be = tlv(buf, off, ve)
            off = be
            count += 1
            f["varbind_count"] = count
            if count > MAX_VARBINDS:
                continue
            t, s, e = tlv(buf, bs, be)
            name = oid(buf, s, e)
            t, s, e = tlv(buf, e, be)
            value = _value(buf, t, s, e)
            varbinds.append({"oid": name, "type": VALUE_TYPES[t], "value": value})
            if tag in (0xA2, 0xA4, 0xA7) and value is not None:
                key = IDENTITY_OIDS.get(name)
                if key is not None:
                    identity[key] = value
                elif name == SYS_CONTACT:
                    f["sys_contact"] = value
        if identity:
            f["identity"] = identity
        ev: str = f.pop("_event")
        return ev
