"""OPC UA binary encoding (Part 6, 5.2): readers over ``bytes`` at an offset.

Every reader takes ``(buf, off)`` and returns ``(value, new_off)``. Input that ends early or is
inconsistent raises :class:`Malformed` (or ``struct.error`` / ``IndexError``, which the decoder
treats the same way): the decoder turns that into a weird and keeps what it had read.
Strings from the wire are attacker controlled: they are decoded with replacement characters and
cut at :data:`MAX_TEXT` characters; nested structures are followed to :data:`MAX_DEPTH` levels.
"""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime, timedelta
from typing import Any, Final

MAX_TEXT: Final = 1024  # characters of a string kept in an event
MAX_DEPTH: Final = 8  # nesting of variants / diagnostic infos / data values followed
MAX_ITEMS: Final = 64  # list entries kept in an event (counts are always exact)

_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_GUID = struct.Struct("<IHH8s")
_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)
_MAX_TICKS = 2650467743999999999  # 9999-12-31 in 100 ns ticks since 1601


class Malformed(ValueError):
    """The encoded value does not fit in the bytes that hold it."""


def u8(b: bytes, o: int) -> tuple[int, int]:
    return b[o], o + 1


def u16(b: bytes, o: int) -> tuple[int, int]:
    return _U16.unpack_from(b, o)[0], o + 2


def u32(b: bytes, o: int) -> tuple[int, int]:
    return _U32.unpack_from(b, o)[0], o + 4


def i32(b: bytes, o: int) -> tuple[int, int]:
    return _I32.unpack_from(b, o)[0], o + 4


def f64(b: bytes, o: int) -> tuple[float, int]:
    return _F64.unpack_from(b, o)[0], o + 8


def text(raw: bytes) -> str:
    s = raw[:MAX_TEXT * 4].decode("utf-8", "replace")
    return s if len(s) <= MAX_TEXT else s[:MAX_TEXT]


def string(b: bytes, o: int) -> tuple[str | None, int]:
    n = _I32.unpack_from(b, o)[0]
    o += 4
    if n < 0:
        return None, o
    end = o + n
    if end > len(b):
        raise Malformed(f"string of {n} bytes at {o - 4} runs past the end")
    return text(b[o:end]), end


def bytestring(b: bytes, o: int) -> tuple[bytes | None, int]:
    n = _I32.unpack_from(b, o)[0]
    o += 4
    if n < 0:
        return None, o
    end = o + n
    if end > len(b):
        raise Malformed(f"byte string of {n} bytes at {o - 4} runs past the end")
    return b[o:end], end


def skip_bytestring(b: bytes, o: int) -> int:
    n = _I32.unpack_from(b, o)[0]
    o += 4
    if n > 0:
        o += n
        if o > len(b):
            raise Malformed("byte string runs past the end")
    return o


def array_len(b: bytes, o: int) -> tuple[int, int]:
    """An array's element count (-1 = null array is 0); refuse counts the remaining bytes cannot hold."""
    n = _I32.unpack_from(b, o)[0]
    o += 4
    if n < 0:
        return 0, o
    if n > len(b) - o:
        raise Malformed(f"array of {n} elements at {o - 4} cannot fit")
    return n, o


def guid(b: bytes, o: int) -> tuple[str, int]:
    d1, d2, d3, d4 = _GUID.unpack_from(b, o)
    h = d4.hex()
    return f"{d1:08x}-{d2:04x}-{d3:04x}-{h[:4]}-{h[4:]}", o + 16


def datetime_(b: bytes, o: int) -> tuple[str | None, int]:
    """DateTime (100 ns ticks since 1601-01-01 UTC) as ISO 8601 text; 0 and out-of-range are None."""
    t = _I64.unpack_from(b, o)[0]
    if t <= 0 or t >= _MAX_TICKS:
        return None, o + 8
    dt = _EPOCH_1601 + timedelta(microseconds=t // 10)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), o + 8


def nodeid(b: bytes, o: int) -> tuple[str, int]:
    """A NodeId (or the NodeId part of an ExpandedNodeId) in the standard text form: ``i=2258``,
    ``ns=1;s=the.answer``, ``ns=2;g=...``, ``ns=3;b=<base64>``."""
    enc = b[o]
    kind = enc & 0x0F
    o += 1
    if kind == 0:
        return f"i={b[o]}", o + 1
    if kind == 1:
        ns = b[o]
        ident = _U16.unpack_from(b, o + 1)[0]
        return (f"ns={ns};i={ident}" if ns else f"i={ident}"), o + 3
    ns = _U16.unpack_from(b, o)[0]
    o += 2
    pre = f"ns={ns};" if ns else ""
    if kind == 2:
        return f"{pre}i={_U32.unpack_from(b, o)[0]}", o + 4
    if kind == 3:
        s, o = string(b, o)
        return f"{pre}s={s or ''}", o
    if kind == 4:
        g, o = guid(b, o)
        return f"{pre}g={g}", o
    if kind == 5:
        raw, o = bytestring(b, o)
        return f"{pre}b={base64.b64encode((raw or b'')[:MAX_TEXT]).decode()}", o
    raise Malformed(f"node id encoding {enc:#04x}")


def nodeid_numeric(b: bytes, o: int) -> tuple[int | None, int]:
    """A NodeId's numeric identifier in namespace 0 (None for any other node id)."""
    kind = b[o] & 0x0F
    if kind == 0:
        return b[o + 1], o + 2
    if kind == 1:
        return (_U16.unpack_from(b, o + 2)[0] if b[o + 1] == 0 else None), o + 4
    if kind == 2:
        ns = _U16.unpack_from(b, o + 1)[0]
        return (_U32.unpack_from(b, o + 3)[0] if ns == 0 else None), o + 7
    return None, nodeid(b, o)[1]


def expanded_nodeid(b: bytes, o: int) -> tuple[str, int]:
    enc = b[o]
    s, o = nodeid(b, o)
    if enc & 0x80:
        uri, o = string(b, o)
        s = f"nsu={uri};{s}"
    if enc & 0x40:
        idx, o = u32(b, o)
        s = f"svr={idx};{s}"
    return s, o


def qualified_name(b: bytes, o: int) -> tuple[str, int]:
    ns, o = u16(b, o)
    name, o = string(b, o)
    return (f"{ns}:{name or ''}" if ns else (name or "")), o


def localized_text(b: bytes, o: int) -> tuple[str | None, int]:
    mask = b[o]
    o += 1
    t = None
    if mask & 0x01:
        _, o = string(b, o)
    if mask & 0x02:
        t, o = string(b, o)
    return t, o


def skip_diag(b: bytes, o: int, depth: int = 0) -> int:
    """Skip a DiagnosticInfo."""
    if depth > MAX_DEPTH:
        raise Malformed("diagnostic info nested too deep")
    mask = b[o]
    o += 1
    o += 4 * ((mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1) + (mask >> 3 & 1))
    if mask & 0x10:
        _, o = string(b, o)
    if mask & 0x20:
        o += 4
    if mask & 0x40:
        o = skip_diag(b, o, depth + 1)
    if o > len(b):
        raise Malformed("diagnostic info runs past the end")
    return o


def skip_diags(b: bytes, o: int) -> int:
    n, o = array_len(b, o)
    for _ in range(n):
        o = skip_diag(b, o)
    return o


def extension_object(b: bytes, o: int) -> tuple[int | None, bytes | None, int]:
    """(numeric type id in namespace 0 or None, binary body or None, offset)."""
    tid, o = nodeid_numeric(b, o)
    enc = b[o]
    o += 1
    body = None
    if enc == 1:
        body, o = bytestring(b, o)
    elif enc == 2:
        o = skip_bytestring(b, o)
    elif enc != 0:
        raise Malformed(f"extension object encoding {enc}")
    return tid, body, o


def application_description(b: bytes, o: int) -> tuple[dict[str, Any], int]:
    d: dict[str, Any] = {}
    uri, o = string(b, o)
    product, o = string(b, o)
    name, o = localized_text(b, o)
    atype, o = u32(b, o)
    _, o = string(b, o)  # gateway server uri
    _, o = string(b, o)  # discovery profile uri
    n, o = array_len(b, o)
    urls: list[Any] = []
    for _ in range(n):
        u, o = string(b, o)
        if u is not None and len(urls) < MAX_ITEMS:
            urls.append(u)
    d["application_uri"] = uri
    d["product_uri"] = product
    d["application_name"] = name
    d["application_type"] = _APPLICATION_TYPES.get(atype) or f"unknown-{atype}"
    d["discovery_urls"] = urls
    return d, o


_APPLICATION_TYPES = {0: "server", 1: "client", 2: "client_and_server", 3: "discovery_server"}

# -- Variant -----------------------------------------------------------------------------------------

_FIXED = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 8: 8, 9: 8, 10: 4, 11: 8, 13: 8, 14: 16, 19: 4}
_SCALAR = {1: struct.Struct("<?"), 2: struct.Struct("<b"), 3: struct.Struct("<B"), 4: struct.Struct("<h"),
           5: _U16, 6: _I32, 7: _U32, 8: _I64, 9: struct.Struct("<Q"), 10: _F32, 11: _F64, 19: _U32}


def _element(b: bytes, o: int, t: int, depth: int) -> tuple[Any, int]:
    """One value of built-in type ``t``: a JSON-friendly rendering (None where there is none)."""
    sc = _SCALAR.get(t)
    if sc is not None:
        v = sc.unpack_from(b, o)[0]
        if t in (10, 11) and v != v:  # NaN is not JSON
            v = None
        return v, o + sc.size
    if t == 12 or t == 16:
        return string(b, o)
    if t == 13:
        return datetime_(b, o)
    if t == 14:
        return guid(b, o)
    if t == 15:
        raw, o = bytestring(b, o)
        return (raw[:MAX_TEXT].hex() if raw is not None else None), o
    if t == 17:
        return nodeid(b, o)
    if t == 18:
        return expanded_nodeid(b, o)
    if t == 20:
        return qualified_name(b, o)
    if t == 21:
        return localized_text(b, o)
    if t == 22:
        tid, _, o = extension_object(b, o)
        return tid, o
    if t == 23:
        dv, o = datavalue(b, o, depth + 1)
        return dv.get("value"), o
    if t == 24:
        _, _, v, o = variant(b, o, depth + 1)
        return v, o
    if t == 25:
        return None, skip_diag(b, o)
    if t == 0:
        return None, o
    raise Malformed(f"variant type {t}")


def variant(b: bytes, o: int, depth: int = 0) -> tuple[int, int, Any, int]:
    """(built-in type id, array length or -1 for a scalar, value, offset).

    The value is the scalar (ExtensionObject: its type id), or for arrays a list of the first
    :data:`MAX_ITEMS` elements.
    """
    if depth > MAX_DEPTH:
        raise Malformed("variant nested too deep")
    enc = b[o]
    o += 1
    t = enc & 0x3F
    if t > 25:
        raise Malformed(f"variant type {t}")
    if not enc & 0x80:
        v, o = _element(b, o, t, depth)
        return t, -1, v, o
    n, o = array_len(b, o)
    size = _FIXED.get(t)
    vals: list[Any] = []
    if size is not None and t in _SCALAR:
        k = min(n, MAX_ITEMS)
        sc = _SCALAR[t]
        vals = [sc.unpack_from(b, o + i * size)[0] for i in range(k)]
        if t in (10, 11):
            vals = [None if v != v else v for v in vals]
        o += n * size
        if o > len(b):
            raise Malformed("variant array runs past the end")
    else:
        for i in range(n):
            v, o = _element(b, o, t, depth)
            if i < MAX_ITEMS:
                vals.append(v)
    if enc & 0x40:  # array dimensions
        nd, o = array_len(b, o)
        o += 4 * nd
    return t, n, vals, o


def datavalue(b: bytes, o: int, depth: int = 0) -> tuple[dict[str, Any], int]:
    """A DataValue: ``{"value_type", "value", "array_length", "status"}`` as present."""
    if depth > MAX_DEPTH:
        raise Malformed("data value nested too deep")
    mask = b[o]
    o += 1
    d: dict[str, Any] = {}
    if mask & 0x01:
        t, n, v, o = variant(b, o, depth)
        d["value_type"] = _BUILTIN[t]
        d["value"] = v
        if n >= 0:
            d["array_length"] = n
    if mask & 0x02:
        st, o = u32(b, o)
        d["status_code"] = st
    if mask & 0x04:
        o += 8
    if mask & 0x08:
        o += 8
    if mask & 0x10:
        o += 2
    if mask & 0x20:
        o += 2
    if o > len(b):
        raise Malformed("data value runs past the end")
    return d, o


_BUILTIN = ("Null", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64",
            "Float", "Double", "String", "DateTime", "Guid", "ByteString", "XmlElement", "NodeId",
            "ExpandedNodeId", "StatusCode", "QualifiedName", "LocalizedText", "ExtensionObject", "DataValue",
            "Variant", "DiagnosticInfo")
