"""One DNS message: header, questions and resource records, read from bytes without raising.

Names are read with compression (RFC 1035 4.1.4). Every pointer must point before the pointer
itself, and at most ``MAX_POINTERS`` are followed, so a crafted loop cannot hang or grow a name.
Label bytes are attacker controlled: they are decoded as UTF-8 (invalid bytes escaped as ``\\xNN``)
and control characters, dots and backslashes inside a label are escaped too.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from plantwarden.decoders.dns.constants import (
    CLASSES,
    MAX_NAME,
    MAX_POINTERS,
    MAX_QUESTIONS,
    MAX_RECORDS,
    MAX_TXT,
    OPCODES,
    RCODES,
    T_A,
    T_AAAA,
    T_CNAME,
    T_MX,
    T_NS,
    T_NSEC,
    T_PTR,
    T_SOA,
    T_SRV,
    T_TXT,
    TYPES,
)


class DnsError(Exception):
    """A message that cannot be read further: ``name`` is the weird to report."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail


_SAFE = bytes(c for c in range(0x21, 0x7F) if c not in (0x2E, 0x5C))


def _escape(ch: str) -> str:
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:  # an undecodable byte (surrogateescape)
        return f"\\x{o - 0xDC00:02x}"
    if ch == " " or (ch.isprintable() and ch not in ".\\"):
        return ch
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def _label(raw: bytes) -> str:
    """A label as text: printable ASCII as is; other bytes as UTF-8 with the odd ones escaped."""
    if not raw.translate(None, _SAFE):
        return raw.decode("ascii")
    return "".join(map(_escape, raw.decode("utf-8", "surrogateescape")))


def read_name(buf: bytes, off: int) -> tuple[str, int]:
    """The name at ``off`` and the offset just after it (after the first pointer, if any)."""
    labels: list[str] = []
    n = len(buf)
    end = -1
    jumps = 0
    total = 0
    pos = off
    while True:
        if pos >= n:
            raise DnsError("dns_malformed", f"name at {off} runs past the message")
        ln = buf[pos]
        if ln == 0:
            pos += 1
            break
        kind = ln & 0xC0
        if kind == 0xC0:
            if pos + 1 >= n:
                raise DnsError("dns_malformed", f"name at {off}: truncated pointer")
            target = ((ln & 0x3F) << 8) | buf[pos + 1]
            if end < 0:
                end = pos + 2
            jumps += 1
            if target >= pos or jumps > MAX_POINTERS:
                raise DnsError("dns_compression_loop", f"name at {off}: pointer {pos} -> {target}")
            pos = target
            continue
        if kind:
            raise DnsError("dns_malformed", f"name at {off}: label type {kind >> 6}")
        total += ln + 1
        if total > MAX_NAME:
            raise DnsError("dns_name_too_long", f"name at {off} longer than {MAX_NAME} bytes")
        if pos + 1 + ln > n:
            raise DnsError("dns_malformed", f"name at {off}: label runs past the message")
        labels.append(_label(buf[pos + 1:pos + 1 + ln]))
        pos += 1 + ln
    return ".".join(labels), (end if end >= 0 else pos)


def _txt(buf: bytes, off: int, end: int) -> str:
    parts: list[str] = []
    size = 0
    while off < end and size <= MAX_TXT:
        ln = buf[off]
        raw = buf[off + 1:min(off + 1 + ln, end)]
        part = raw.decode("utf-8", "backslashreplace")
        if not part.isprintable():
            part = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in part)
        parts.append(part)
        size += len(part)
        off += 1 + ln
    text = " ".join(parts)
    return text[:MAX_TXT]


def _rdata(buf: bytes, rtype: int, off: int, rdlen: int) -> Any:
    end = off + rdlen
    if rtype == T_A:
        return ".".join(map(str, buf[off:end])) if rdlen == 4 else None
    if rtype == T_AAAA:
        return str(ipaddress.IPv6Address(buf[off:end])) if rdlen == 16 else None
    if rtype in (T_CNAME, T_PTR, T_NS):
        return read_name(buf, off)[0]
    if rtype == T_MX:
        if rdlen < 3:
            return None
        return f"{int.from_bytes(buf[off:off + 2], 'big')} {read_name(buf, off + 2)[0]}"
    if rtype == T_TXT:
        return _txt(buf, off, end)
    if rtype == T_SRV:
        if rdlen < 7:
            return None
        prio, weight, port = int.from_bytes(buf[off:off + 2], "big"), int.from_bytes(buf[off + 2:off + 4], "big"), \
            int.from_bytes(buf[off + 4:off + 6], "big")
        return f"{prio} {weight} {port} {read_name(buf, off + 6)[0]}"
    if rtype == T_SOA:
        return read_name(buf, off)[0]
    if rtype == T_NSEC:
        nxt, pos = read_name(buf, off)
        return " ".join([nxt, *_bitmap_types(buf, pos, end)])
    return None


def _bitmap_types(buf: bytes, pos: int, end: int) -> list[str]:
    """The record types of an NSEC type bitmap (RFC 4034 4.1.2)."""
    out: list[str] = []
    while pos + 2 <= end:
        window, ln = buf[pos], buf[pos + 1]
        bits = int.from_bytes(buf[pos + 2:min(pos + 2 + ln, end)], "big")
        nbits = 8 * ln
        base = window * 256
        while bits:
            top = bits.bit_length() - 1
            out.append(TYPES[base + nbits - 1 - top])
            bits ^= 1 << top
        pos += 2 + ln
    return out


def _ptr_address(name: str) -> str | None:
    """The address a reverse-lookup name stands for (in-addr.arpa / ip6.arpa), else None."""
    low = name.lower()
    if low.endswith(".in-addr.arpa"):
        parts = low[:-13].split(".")
        if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
            return ".".join(reversed(parts))
        return None
    if low.endswith(".ip6.arpa"):
        nib = low[:-9].split(".")
        if len(nib) == 32 and all(len(x) == 1 and x in "0123456789abcdef" for x in nib):
            h = "".join(reversed(nib))
            return str(ipaddress.IPv6Address(int(h, 16)))
    return None


def parse(buf: bytes, f: dict[str, Any], problems: list[tuple[str, str]]) -> bool:
    """Fill ``f`` with the message in ``buf``; return whether it is a response. Problems found on the
    way are appended as (weird name, detail); a header shorter than 12 bytes raises DnsError."""
    n = len(buf)
    if n < 12:
        raise DnsError("dns_malformed", f"message of {n} bytes is shorter than a header")
    flags = (buf[2] << 8) | buf[3]
    qd = (buf[4] << 8) | buf[5]
    an = (buf[6] << 8) | buf[7]
    ns = (buf[8] << 8) | buf[9]
    ar = (buf[10] << 8) | buf[11]
    is_response = bool(flags & 0x8000)
    opcode = (flags >> 11) & 0xF
    rcode = flags & 0xF
    f["id"] = (buf[0] << 8) | buf[1]
    f["opcode"] = opcode
    f["opcode_name"] = OPCODES[opcode]
    f["rcode"] = rcode
    f["rcode_name"] = RCODES[rcode]
    f["aa"] = bool(flags & 0x0400)
    f["tc"] = bool(flags & 0x0200)
    f["rd"] = bool(flags & 0x0100)
    f["ra"] = bool(flags & 0x0080)
    f["qdcount"], f["ancount"], f["nscount"], f["arcount"] = qd, an, ns, ar
    questions: list[dict[str, Any]] = []
    f["questions"] = questions
    f["query"] = f["qtype"] = f["qclass"] = None
    answers: list[dict[str, Any]] = []
    authority: list[dict[str, Any]] = []
    additional: list[dict[str, Any]] = []
    f["answers"] = answers
    f["authority"] = authority
    f["additional"] = additional
    if is_response:
        f["resolved"] = []
    off = 12
    try:
        for i in range(qd):
            name, off = read_name(buf, off)
            if off + 4 > n:
                raise DnsError("dns_malformed", f"question {i} runs past the message")
            qt = (buf[off] << 8) | buf[off + 1]
            qc = (buf[off + 2] << 8) | buf[off + 3]
            off += 4
            if i < MAX_QUESTIONS:
                questions.append({"name": name, "type": TYPES[qt], "type_code": qt, "class": CLASSES[qc & 0x7FFF],
                                  "class_code": qc & 0x7FFF})
        if questions:
            q = questions[0]
            f["query"], f["qtype"], f["qclass"] = q["name"], q["type"], q["class"]
        for section, count in ((answers, an), (authority, ns), (additional, ar)):
            for i in range(count):
                name, off = read_name(buf, off)
                if off + 10 > n:
                    raise DnsError("dns_malformed", f"record {i} runs past the message")
                rtype = (buf[off] << 8) | buf[off + 1]
                rclass = (buf[off + 2] << 8) | buf[off + 3]
                ttl = int.from_bytes(buf[off + 4:off + 8], "big")
                rdlen = (buf[off + 8] << 8) | buf[off + 9]
                off += 10
                if off + rdlen > n:
                    raise DnsError("dns_malformed", f"record {name!r}: data runs past the message")
                if len(section) >= MAX_RECORDS:
                    off += rdlen
                    continue
                if rtype == 41:  # OPT pseudo-record: class is the UDP payload size, no TTL semantics
                    section.append({"name": name, "type": "OPT", "type_code": 41, "class": None, "ttl": None,
                                    "data": None, "udp_payload_size": rclass})
                    off += rdlen
                    continue
                try:
                    data = _rdata(buf, rtype, off, rdlen)
                except DnsError as e:
                    problems.append((e.name, e.detail))
                    data = None
                section.append({"name": name, "type": TYPES[rtype], "type_code": rtype,
                                "class": CLASSES[rclass & 0x7FFF], "ttl": ttl, "data": data})
                off += rdlen
    except DnsError as e:
        problems.append((e.name, e.detail))
        off = n
    if is_response:
        resolved = f["resolved"]
        for r in answers:
            t = r["type_code"]
            if (t in (T_A, T_AAAA)) and r["data"] is not None:
                resolved.append({"name": r["name"], "address": r["data"]})
            elif t == T_PTR and r["data"] is not None:
                addr = _ptr_address(r["name"])
                if addr is not None:
                    resolved.append({"name": r["data"], "address": addr})
    if off < n:
        problems.append(("dns_trailing_bytes", f"{n - off} bytes after the last record"))
    return is_response
