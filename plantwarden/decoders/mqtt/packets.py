"""MQTT control packets: one parser per packet type, and the per-flow session they update.

A parser reads ``buf[p:end]`` (the variable header and payload of one packet; ``buf`` may stop
before ``end`` when a big packet is decoded from its first bytes) and puts its fields into ``f``.
Reading past the available bytes raises :class:`Malformed`; the decoder then still emits the
event with the fields read so far. Odd but readable content is reported in ``session.problems``.
Passwords and authentication data are skipped, never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from plantwarden.decoders.mqtt.constants import (
    CONNACK_V3_NAMES,
    MAX_ALIASES,
    MAX_PENDING,
    PREVIEW,
    PROPERTIES,
    REASON_NAMES,
    SUBACK_V3_NAMES,
)

PROTOCOL_NAMES: Final = frozenset({"MQTT", "MQIsdp"})


class Malformed(Exception):
    """The packet ends (or its available bytes end) before a field it announces."""


class Session:
    """What one flow remembers: the protocol level, the client id, v5 topic aliases per direction,
    and the topics of outstanding SUBSCRIBE/UNSUBSCRIBE packets (to give them to the acks)."""

    __slots__ = ("version", "client_id", "aliases", "pending", "problems")

    def __init__(self) -> None:
        self.version: int | None = None
        self.client_id: str | None = None
        self.aliases: tuple[dict[int, str], dict[int, str]] = ({}, {})
        self.pending: dict[tuple[int, int], list[str]] = {}
        self.problems: list[tuple[str, str]] = []

    @property
    def v5(self) -> bool:
        return self.version == 5


Fields = dict[str, Any]
Parser = Callable[[Session, bytes, int, int, int, bool, Fields], None]


def _u16(buf: bytes, p: int, end: int) -> int:
    if p + 2 > end or p + 2 > len(buf):
        raise Malformed(f"2-byte field at {p} past the end")
    return buf[p] << 8 | buf[p + 1]


def varint(buf: bytes, p: int, end: int) -> tuple[int, int]:
    """A variable byte integer at ``p``: (value, offset after it)."""
    value = 0
    shift = 0
    for _ in range(4):
        if p >= end or p >= len(buf):
            raise Malformed("variable byte integer past the end")
        b = buf[p]
        p += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, p
        shift += 7
    raise Malformed("variable byte integer longer than 4 bytes")


def text(s: Session, buf: bytes, p: int, end: int) -> tuple[str, int]:
    """A length-prefixed UTF-8 string (attacker controlled: invalid UTF-8 is replaced and reported)."""
    n = _u16(buf, p, end)
    p += 2
    q = p + n
    if q > end or q > len(buf):
        raise Malformed(f"string of {n} bytes past the end")
    raw = buf[p:q]
    try:
        return raw.decode("utf-8"), q
    except UnicodeDecodeError:
        s.problems.append(("mqtt_invalid_utf8", f"string at offset {p}"))
        return raw.decode("utf-8", "replace"), q


def _binary_len(buf: bytes, p: int, end: int) -> int:
    """Skip a length-prefixed binary field; return the offset after it."""
    q = p + 2 + _u16(buf, p, end)
    if q > end:
        raise Malformed("binary field past the end")
    return q


def properties(s: Session, buf: bytes, p: int, end: int) -> tuple[dict[str, Any], int]:
    """MQTT 5 properties: (name -> value, offset after them). User properties are a list of
    [key, value] pairs under ``user_property``; correlation data is hex; authentication data
    is reported by its length only (``authentication_data_length``)."""
    length, p = varint(buf, p, end)
    pend = p + length
    if pend > end:
        raise Malformed(f"properties of {length} bytes past the end")
    out: dict[str, Any] = {}
    try:
        while p < pend:
            pid, p = varint(buf, p, pend)
            prop = PROPERTIES.get(pid)
            if prop is None:
                s.problems.append(("mqtt_bad_property", f"unknown property id {pid}"))
                break
            name, kind = prop
            v: Any
            if kind == "b":
                if p >= pend:
                    raise Malformed("property past the end")
                v = buf[p]
                p += 1
            elif kind == "h":
                v = _u16(buf, p, pend)
                p += 2
            elif kind == "i":
                if p + 4 > pend or p + 4 > len(buf):
                    raise Malformed("property past the end")
                v = int.from_bytes(buf[p:p + 4], "big")
                p += 4
            elif kind == "v":
                v, p = varint(buf, p, pend)
            elif kind == "s":
                v, p = text(s, buf, p, pend)
            elif kind == "p":
                k, p = text(s, buf, p, pend)
                val, p = text(s, buf, p, pend)
                out.setdefault("user_property", []).append([k, val])
                continue
            else:  # binary
                q = _binary_len(buf, p, pend)
                if pid == 0x16:
                    out["authentication_data_length"] = q - p - 2
                    p = q
                    continue
                v = buf[p + 2:q].hex()
                p = q
            out[name] = v
    except Malformed:
        s.problems.append(("mqtt_bad_property", "a property runs past the property length"))
    return out, pend


def preview(payload: bytes, cut: bool) -> tuple[str, str]:
    """A short safe view of a payload: (text, "utf8") when it is printable UTF-8 (tabs and line
    breaks allowed; when ``cut``, a character split by the preview limit is dropped), else
    (hex, "hex")."""
    try:
        t = payload.decode("utf-8")
    except UnicodeDecodeError as e:
        if not (cut and e.start >= len(payload) - 3 and e.reason == "unexpected end of data"):
            return payload.hex(), "hex"
        t = payload[:e.start].decode("utf-8")
    if t.isprintable() or t.replace("\n", "").replace("\r", "").replace("\t", "").isprintable():
        return t, "utf8"
    return payload.hex(), "hex"


# -- the packets -----------------------------------------------------------------------------------

def connect(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    name, p = text(s, buf, p, end)
    f["protocol_name"] = name
    if name not in PROTOCOL_NAMES:
        s.problems.append(("mqtt_unknown_protocol_name", repr(name)[:80]))
    if p + 4 > end or p + 4 > len(buf):
        raise Malformed("CONNECT variable header cut short")
    level = buf[p]
    cf = buf[p + 1]
    s.version = level
    f["protocol_version"] = level
    f["clean_session"] = bool(cf & 0x02)
    f["keep_alive"] = buf[p + 2] << 8 | buf[p + 3]
    if cf & 0x01:
        s.problems.append(("mqtt_bad_flags", "CONNECT reserved flag set"))
    p += 4
    if level == 5:
        f["properties"], p = properties(s, buf, p, end)
    f["client_id"], p = text(s, buf, p, end)
    s.client_id = f["client_id"]
    will = bool(cf & 0x04)
    f["will_topic"] = None
    if will:
        f["will_qos"] = (cf >> 3) & 3
        f["will_retain"] = bool(cf & 0x20)
        if level == 5:
            f["will_properties"], p = properties(s, buf, p, end)
        f["will_topic"], p = text(s, buf, p, end)
        q = _binary_len(buf, p, end)
        f["will_payload_length"] = q - p - 2
        p = q
    has_user = bool(cf & 0x80)
    has_pass = bool(cf & 0x40)
    f["has_username"] = has_user
    f["has_password"] = has_pass
    # the decoder sees the packet, so it travelled without TLS
    f["credentials_in_clear"] = has_pass
    f["username"] = None
    if has_user:
        f["username"], p = text(s, buf, p, end)
    if has_pass:
        p = _binary_len(buf, p, end)  # skipped, never stored
    if p != end:
        s.problems.append(("mqtt_trailing_bytes", f"{end - p} bytes after CONNECT"))


def connack(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    if p + 2 > end or p + 2 > len(buf):
        raise Malformed("CONNACK shorter than 2 bytes")
    f["session_present"] = bool(buf[p] & 1)
    code = buf[p + 1]
    f["return_code"] = code
    f["return_code_name"] = REASON_NAMES[code] if s.v5 else CONNACK_V3_NAMES[code]
    p += 2
    if s.v5 and p < end:
        props, p = properties(s, buf, p, end)
        f["properties"] = props
        assigned = props.get("assigned_client_identifier")
        if assigned and not s.client_id:
            s.client_id = assigned


def publish(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    qos = (flags >> 1) & 3
    f["qos"] = qos
    f["retain"] = bool(flags & 1)
    f["dup"] = bool(flags & 8)
    if qos == 3:
        s.problems.append(("mqtt_bad_flags", "PUBLISH with QoS 3"))
    elif qos == 0 and flags & 8:
        s.problems.append(("mqtt_bad_flags", "PUBLISH QoS 0 with DUP set"))
    topic, p = text(s, buf, p, end)
    f["topic"] = topic
    if qos:
        f["packet_id"] = _u16(buf, p, end)
        p += 2
    if s.v5:
        props, p = properties(s, buf, p, end)
        f["properties"] = props
        alias = props.get("topic_alias")
        if alias is not None:
            table = s.aliases[1 if is_orig else 0]
            if topic:
                if alias in table or len(table) < MAX_ALIASES:
                    table[alias] = topic
            else:
                f["topic"] = table.get(alias)
                if f["topic"] is None:
                    s.problems.append(("mqtt_unknown_topic_alias", f"topic alias {alias}"))
    f["payload_length"] = end - p
    f["payload_preview"], f["payload_encoding"] = preview(buf[p:min(end, p + PREVIEW)], end - p > PREVIEW)


def ack(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    """PUBACK, PUBREC, PUBREL, PUBCOMP."""
    f["packet_id"] = _u16(buf, p, end)
    p += 2
    f["reason_code"] = f["reason_code_name"] = None
    if s.v5 and p < end:
        if p >= len(buf):
            raise Malformed("reason code past the end")
        f["reason_code"] = buf[p]
        f["reason_code_name"] = REASON_NAMES[buf[p]]
        if p + 1 < end:
            f["properties"], p = properties(s, buf, p + 1, end)


def subscribe(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    pid = _u16(buf, p, end)
    f["packet_id"] = pid
    p += 2
    if s.v5:
        f["properties"], p = properties(s, buf, p, end)
    subs: list[dict[str, Any]] = []
    f["subscriptions"] = subs
    try:
        while p < end:
            topic, p = text(s, buf, p, end)
            if p >= end or p >= len(buf):
                raise Malformed("subscription options past the end")
            o = buf[p]
            p += 1
            sub: dict[str, Any] = {"topic": topic, "qos": o & 3}
            if s.v5:
                sub["no_local"] = bool(o & 4)
                sub["retain_as_published"] = bool(o & 8)
                sub["retain_handling"] = (o >> 4) & 3
            subs.append(sub)
    finally:
        f["topic"] = subs[0]["topic"] if subs else None
        _remember(s, pid, is_orig, [x["topic"] for x in subs])
    if not subs:
        s.problems.append(("mqtt_no_topics", "SUBSCRIBE without a topic filter"))


def unsubscribe(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    pid = _u16(buf, p, end)
    f["packet_id"] = pid
    p += 2
    if s.v5:
        f["properties"], p = properties(s, buf, p, end)
    topics: list[str] = []
    f["topics"] = topics
    try:
        while p < end:
            t, p = text(s, buf, p, end)
            topics.append(t)
    finally:
        f["topic"] = topics[0] if topics else None
        _remember(s, pid, is_orig, topics)
    if not topics:
        s.problems.append(("mqtt_no_topics", "UNSUBSCRIBE without a topic filter"))


def _remember(s: Session, pid: int, is_orig: bool, topics: list[str]) -> None:
    pending = s.pending
    if len(pending) >= MAX_PENDING:
        del pending[next(iter(pending))]
    pending[(pid, 1 if is_orig else 0)] = topics


def suback(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    """SUBACK and UNSUBACK (v5 UNSUBACK carries reason codes too)."""
    pid = _u16(buf, p, end)
    f["packet_id"] = pid
    p += 2
    topics = s.pending.pop((pid, 0 if is_orig else 1), None)
    f["topics"] = topics
    f["topic"] = topics[0] if topics else None
    if s.v5:
        f["properties"], p = properties(s, buf, p, end)
    codes = list(buf[p:end])
    if p + len(codes) < end:
        raise Malformed("return codes past the end")
    if codes or f["message_type"] == "suback":
        f["return_codes"] = codes
        names = REASON_NAMES if s.v5 else SUBACK_V3_NAMES
        f["return_code_names"] = [names[c] for c in codes]


def empty(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    """PINGREQ, PINGRESP, and DISCONNECT/AUTH of MQTT 3 (no variable header)."""
    if s.v5 and f["message_type"] in ("disconnect", "auth"):
        if p == end:  # no reason code: 0, normal disconnection / success
            f["reason_code"], f["reason_code_name"] = 0, REASON_NAMES[0]
            return
        if p >= len(buf):
            raise Malformed("reason code past the end")
        f["reason_code"] = buf[p]
        f["reason_code_name"] = REASON_NAMES[buf[p]]
        if p + 1 < end:
            f["properties"], p = properties(s, buf, p + 1, end)
        return
    if p != end:
        s.problems.append(("mqtt_trailing_bytes", f"{end - p} bytes in a {f['message_type']} packet"))


def reserved(s: Session, buf: bytes, p: int, end: int, flags: int, is_orig: bool, f: Fields) -> None:
    s.problems.append(("mqtt_reserved_type", f"packet type 0 with {end - p} bytes"))


#: packet type -> parser
PARSERS: Final[tuple[Parser, ...]] = (
    reserved, connect, connack, publish, ack, ack, ack, ack, subscribe, suback, unsubscribe, suback,
    empty, empty, empty, empty,
)
