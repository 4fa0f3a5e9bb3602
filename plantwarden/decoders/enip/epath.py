"""CIP EPATH (padded) decoding, the Identity object, and safe text from the wire.

An EPATH is a run of segments; the first byte of each names its kind (CIP Vol. 1, Appendix C):
port (route hops), logical (class, instance, member, connection point, attribute, electronic key),
network, symbolic and data segments (an ANSI extended symbolic segment 0x91 carries a Logix tag
name). :func:`epath` writes what it finds into an event's field dict.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from plantwarden.decoders.enip.constants import DEVICE_TYPES, name_of
from plantwarden.decoders.enip.vendors import VENDORS
from plantwarden.decoders.names import wire_text

_U16: Final = struct.Struct("<H")
_U32: Final = struct.Struct("<I")
_u16 = _U16.unpack_from
_u32 = _U32.unpack_from
_KEY: Final = struct.Struct("<HHHBB")  # electronic key format 4
_IDENTITY: Final = struct.Struct("<HHHBBHI")  # vendor, device type, product code, major, minor, status, serial

#: logical segment type (bits 2-4) -> field name
_LOGICAL: Final = {0x00: "class", 0x04: "instance", 0x08: "member", 0x0C: "connection_point", 0x10: "attribute"}


class PathError(Exception):
    """An EPATH that cannot be read (its message is the detail of the weird ``enip_bad_epath``)."""


def text(raw: bytes) -> str:
    """Attacker-controlled bytes as text: UTF-8 when valid, else Latin-1; trailing NULs removed."""
    return wire_text(raw.rstrip(b"\x00"))


def epath(b: bytes, off: int, end: int, f: dict[str, Any], prefix: str = "") -> None:
    """Decode the EPATH ``b[off:end]`` into ``f``.

    Fields (each prefixed with ``prefix``): ``class``, ``instance``, ``attribute``, ``member`` (the
    first of each), ``connection_points`` (list, when any), ``tag`` (symbolic segments joined by
    ``.``, array members as ``[n]``), ``route`` (port segments as ``"<port>/<link>"``) and
    ``electronic_key`` (dict). Raises :class:`PathError` on a segment it cannot read.
    """
    tag: list[str] | None = None
    while off < end:
        seg = b[off]
        kind = seg & 0xE0
        if kind == 0x20:  # logical
            ltype = seg & 0x1C
            if ltype == 0x14:  # special: electronic key
                if seg != 0x34 or off + 10 > end or b[off + 1] != 4:
                    raise PathError(f"electronic key segment 0x{seg:02x} with format {b[off + 1]}")
                vendor, dtype, code, major, minor = _KEY.unpack_from(b, off + 2)
                f[prefix + "electronic_key"] = {
                    "vendor_id": vendor, "device_type": name_of(DEVICE_TYPES, dtype), "product_code": code,
                    "revision": f"{major & 0x7F}.{minor}", "compatibility": bool(major & 0x80),
                }
                off += 10
                continue
            fmt = seg & 0x03
            if fmt == 0:
                if off + 2 > end:
                    raise PathError("logical segment cut short")
                value = b[off + 1]
                off += 2
            elif fmt == 1:
                if off + 4 > end:
                    raise PathError("logical segment cut short")
                value = _u16(b, off + 2)[0]
                off += 4
            elif fmt == 2:
                if off + 6 > end:
                    raise PathError("logical segment cut short")
                value = _u32(b, off + 2)[0]
                off += 6
            else:
                raise PathError(f"reserved logical format in segment 0x{seg:02x}")
            name = _LOGICAL.get(ltype)
            if name is None:
                continue  # service id or extended logical: skipped
            if name == "connection_point":
                key = prefix + "connection_points"
                if key in f:
                    f[key].append(value)
                else:
                    f[key] = [value]
            elif name == "member" and tag is not None:
                tag[-1] += f"[{value}]"
                f.setdefault(prefix + "member", value)
            else:
                f.setdefault(prefix + name, value)
        elif seg == 0x91:  # ANSI extended symbolic segment: a tag name
            if off + 2 > end:
                raise PathError("symbolic segment cut short")
            n = b[off + 1]
            if off + 2 + n > end:
                raise PathError("symbolic segment longer than the path")
            name_text = text(b[off + 2:off + 2 + n])
            if tag is None:
                tag = [name_text]
            else:
                tag.append(name_text)
            off += 2 + n + (n & 1)
        elif kind == 0x00:  # port segment
            p = off + 1
            if seg & 0x10:
                if p >= end:
                    raise PathError("port segment cut short")
                lsize = b[p]
                p += 1
            else:
                lsize = 1
            port = seg & 0x0F
            if port == 15:
                if p + 2 > end:
                    raise PathError("port segment cut short")
                port = _u16(b, p)[0]
                p += 2
            if p + lsize > end:
                raise PathError("port segment link address cut short")
            link = b[p] if lsize == 1 else text(b[p:p + lsize])
            p += lsize
            if (p - off) & 1:
                p += 1
            key = prefix + "route"
            hop = f"{port}/{link}"
            if key in f:
                f[key].append(hop)
            else:
                f[key] = [hop]
            off = p
        elif kind == 0x60:  # symbolic segment
            n = seg & 0x1F
            if n == 0 or off + 1 + n > end:
                raise PathError("extended or cut symbolic segment")
            name_text = text(b[off + 1:off + 1 + n])
            if tag is None:
                tag = [name_text]
            else:
                tag.append(name_text)
            off += 1 + n + ((1 + n) & 1)
        elif kind == 0x40:  # network segment
            if seg & 0x10:
                if off + 2 > end:
                    raise PathError("network segment cut short")
                off += 2 + 2 * b[off + 1]
            else:
                off += 2
        elif seg == 0x80:  # simple data segment
            if off + 2 > end:
                raise PathError("data segment cut short")
            off += 2 + 2 * b[off + 1]
        else:
            raise PathError(f"unsupported segment 0x{seg:02x}")
    if off > end:
        raise PathError("segment runs past the path")
    if tag is not None:
        f[prefix + "tag"] = ".".join(tag)


def identity(b: bytes, off: int, end: int) -> tuple[dict[str, Any], int, int, int]:
    """The Identity object's attributes 1-7 as found in a ListIdentity item or a Get_Attribute_All
    response: (identity dict, device type code, device status, offset after the product name).

    Raises IndexError/struct.error when the data is short.
    """
    vendor, dtype, code, major, minor, status, serial = _IDENTITY.unpack_from(b, off)
    p = off + _IDENTITY.size
    n = b[p]
    if p + 1 + n > end:
        raise IndexError("product name runs past the data")
    ident: dict[str, Any] = {"vendor_id": vendor}
    vname = VENDORS.get(vendor)
    if vname is not None:
        ident["vendor"] = vname
    ident["device_type"] = name_of(DEVICE_TYPES, dtype)
    ident["product_code"] = code
    ident["revision"] = f"{major}.{minor}"
    ident["serial_number"] = f"0x{serial:08x}"
    ident["product_name"] = text(b[p + 1:p + 1 + n])
    return ident, dtype, status, p + 1 + n


def identity_attribute(attr: int, b: bytes, off: int, end: int, ident: dict[str, Any]) -> int:
    """One Identity attribute (1-7) at ``off`` into ``ident``; returns the offset after it, or -1 for
    another attribute (whose size is not known)."""
    if attr == 1:
        v = _u16(b, off)[0]
        ident["vendor_id"] = v
        vname = VENDORS.get(v)
        if vname is not None:
            ident["vendor"] = vname
        return off + 2
    if attr == 2:
        ident["device_type"] = name_of(DEVICE_TYPES, _u16(b, off)[0])
        return off + 2
    if attr == 3:
        ident["product_code"] = _u16(b, off)[0]
        return off + 2
    if attr == 4:
        if off + 2 > end:
            raise IndexError("revision cut short")
        ident["revision"] = f"{b[off]}.{b[off + 1]}"
        return off + 2
    if attr == 5:
        _u16(b, off)
        return off + 2
    if attr == 6:
        ident["serial_number"] = f"0x{_u32(b, off)[0]:08x}"
        return off + 4
    if attr == 7:
        n = b[off]
        if off + 1 + n > end:
            raise IndexError("product name runs past the data")
        ident["product_name"] = text(b[off + 1:off + 1 + n])
        return off + 1 + n
    return -1
