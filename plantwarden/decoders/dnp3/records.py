"""Variable-format DNP3 objects: device attributes (group 0), file control (group 70), Secure
Authentication (group 120) and any other object sent with a size prefix.

Each item becomes one dict; strings from the wire are attacker controlled and decoded with
:func:`text` (UTF-8 when valid, else Latin-1, trailing NULs removed, never fails).
"""

from __future__ import annotations

import struct
from typing import Any, Final

from plantwarden.decoders.dnp3.constants import (
    ATTRIBUTE_NAMES,
    AUTH_ERRORS,
    AUTH_KEY_STATUS,
    AUTH_MAC_ALGORITHMS,
    AUTH_REASONS,
    AUTH_VARIATIONS,
    FILE_MODES,
    FILE_STATUS,
    IDENTITY_KEYS,
    name_of,
)
from plantwarden.decoders.names import wire_text


class ObjectError(Exception):
    """Object data that cannot be walked: ``name`` is the weird, ``detail`` explains."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail


_U8: Final = struct.Struct("<B")
_U16: Final = struct.Struct("<H")
_U32: Final = struct.Struct("<I")
_TIME: Final = struct.Struct("<IH")
_IDX: Final = {"B": _U8, "H": _U16, "I": _U32}


def text(b: bytes) -> str:
    """Wire bytes as text: UTF-8 when valid, else Latin-1; trailing NULs removed."""
    return wire_text(b.rstrip(b"\x00"))


def _time(b: bytes, off: int) -> float:
    lo, hi = _TIME.unpack_from(b, off)
    return (lo | hi << 32) / 1000.0


def _need(data: bytes, off: int, end: int, size: int, what: str) -> None:
    if end - off < size:
        raise ObjectError("dnp3_truncated_object", f"{what}: {size} bytes needed, {end - off} left")


# -- size-prefixed objects -----------------------------------------------------------------------

def size_prefixed(obj: dict[str, Any], data: bytes, off: int, end: int, n: int, m: int,
                  size_struct: struct.Struct) -> int:
    """``n`` objects, each preceded by its size (prefix codes 4-6, e.g. qualifier 0x5B)."""
    g = obj["group"]
    v = obj["variation"]
    what = f"group {g} variation {v}"
    items: list[Any] = []
    ps = size_struct.size
    for i in range(n):
        _need(data, off, end, ps, what)
        size = size_struct.unpack_from(data, off)[0]
        off += ps
        _need(data, off, end, size, what)
        if i < m:
            b = data[off:off + size]
            if g == 70:
                items.append(file_object(v, b))
            elif g == 120:
                items.append(auth_object(v, b))
            else:
                items.append(b.hex())
        off += size
    if g == 70:
        obj["files"] = items
    elif g == 120:
        obj["auth"] = items
    else:
        obj["values"] = items
    return off


# -- group 0: device attributes -----------------------------------------------------------------

def attributes(obj: dict[str, Any], data: bytes, off: int, end: int, n: int, m: int, idx: str,
               start: int | None, v: int, identity: dict[str, Any]) -> int:
    """Device attribute objects: [index prefix] data type (1), length (1), value (length bytes)."""
    what = f"group 0 variation {v}"
    obj["attribute"] = ATTRIBUTE_NAMES[v]
    indexes: list[int] = []
    types: list[int] = []
    values: list[Any] = []
    ist = _IDX.get(idx)
    for i in range(n):
        if ist is not None:
            _need(data, off, end, ist.size, what)
            indexes.append(ist.unpack_from(data, off)[0])
            off += ist.size
        elif start is not None:
            indexes.append(start + i)
        _need(data, off, end, 2, what)
        dtype = data[off]
        length = data[off + 1]
        off += 2
        size = 2 * length if dtype in (254, 255) else length
        _need(data, off, end, size, what)
        if i < m:
            types.append(dtype)
            values.append(_attribute_value(dtype, data[off:off + size]))
        off += size
    if indexes:
        obj["indexes"] = indexes[:m]
    obj["data_types"] = types
    obj["values"] = values
    key = IDENTITY_KEYS.get(v)
    if key is not None and values and isinstance(values[0], (str, int)):
        identity[key] = values[0]
    return off


def _attribute_value(dtype: int, b: bytes) -> Any:
    if dtype == 1:  # VSTR
        return text(b)
    if dtype == 2 and 0 < len(b) <= 8:  # UINT
        return int.from_bytes(b, "little")
    if dtype == 3 and 0 < len(b) <= 8:  # INT
        return int.from_bytes(b, "little", signed=True)
    if dtype == 4 and len(b) in (4, 8):  # FLT
        x = struct.unpack("<f" if len(b) == 4 else "<d", b)[0]
        return x if x == x and x not in (float("inf"), float("-inf")) else str(x)
    if dtype in (254, 255):  # list of (variation, properties)
        return [[b[i], b[i + 1]] for i in range(0, len(b) - 1, 2)]
    return b.hex()  # OSTR, BSTR and others


# -- group 70: file control ---------------------------------------------------------------------

_G70_V2: Final = struct.Struct("<HHHHI")
_G70_V3: Final = struct.Struct("<HHIHHIIHHH")
_G70_V4: Final = struct.Struct("<IIHHB")
_G70_V5: Final = struct.Struct("<II")
_G70_V6: Final = struct.Struct("<IIB")
_G70_V7: Final = struct.Struct("<HHHIIHHH")


def file_object(v: int, b: bytes) -> dict[str, Any]:
    """One group 70 object (its size already taken from the prefix)."""
    out: dict[str, Any] = {"variation": v}
    n = len(b)
    try:
        if v == 2:  # authentication: user name and password (the password is not reported)
            uoff, ulen, poff, plen, key = _G70_V2.unpack_from(b, 0)
            out.update(user_name=text(b[12:12 + ulen]), password_length=plen, authentication_key=key)
        elif v == 3:  # file command
            noff, nlen, tlo, thi, perms, key, fsize, mode, block, req = _G70_V3.unpack_from(b, 0)
            out.update(file_name=text(b[26:26 + nlen]), created=(tlo | thi << 32) / 1000.0,
                       permissions=perms, authentication_key=key, file_size=fsize, mode=mode,
                       mode_name=name_of(FILE_MODES, mode), max_block_size=block, request_id=req)
        elif v == 4:  # file command status
            handle, fsize, block, req, status = _G70_V4.unpack_from(b, 0)
            out.update(file_handle=handle, file_size=fsize, max_block_size=block, request_id=req,
                       status=status, status_name=FILE_STATUS[status], text=text(b[13:]))
        elif v == 5:  # file transport
            handle, blk = _G70_V5.unpack_from(b, 0)
            out.update(file_handle=handle, block_number=blk & 0x7FFFFFFF, last_block=bool(blk >> 31),
                       data_length=n - 8, data=b[8:8 + 64].hex())
        elif v == 6:  # file transport status
            handle, blk, status = _G70_V6.unpack_from(b, 0)
            out.update(file_handle=handle, block_number=blk & 0x7FFFFFFF, last_block=bool(blk >> 31),
                       status=status, status_name=FILE_STATUS[status], text=text(b[9:]))
        elif v == 7:  # file descriptor
            noff, nlen, ftype, fsize, tlo, thi, perms, req = _G70_V7.unpack_from(b, 0)
            out.update(file_name=text(b[20:20 + nlen]), file_type=ftype, file_size=fsize,
                       created=(tlo | thi << 32) / 1000.0, permissions=perms, request_id=req)
        elif v == 8:  # file specification string
            out["file_name"] = text(b)
        else:
            out["data"] = b[:64].hex()
    except struct.error:
        out["truncated"] = True
        out["data"] = b[:64].hex()
    return out


# -- group 120: Secure Authentication -----------------------------------------------------------

_SEQ_USR: Final = struct.Struct("<IH")
_G120_V1: Final = struct.Struct("<IHBB")
_G120_V5: Final = struct.Struct("<IHBBBH")
_G120_V7: Final = struct.Struct("<IHHBIH")
_G120_V10: Final = struct.Struct("<BBIHHHHH")
_G120_V11: Final = struct.Struct("<BHH")


def auth_object(v: int, b: bytes) -> dict[str, Any]:
    """One group 120 object: its kind (by variation) and its sequence and user numbers where present."""
    out: dict[str, Any] = {"variation_name": AUTH_VARIATIONS[v]}
    n = len(b)
    try:
        if v == 1:
            csq, usr, mal, reason = _G120_V1.unpack_from(b, 0)
            out.update(csq=csq, user=usr, mac_algorithm=AUTH_MAC_ALGORITHMS[mal],
                       reason=AUTH_REASONS[reason], challenge_length=n - 8)
        elif v in (2, 3):
            csq, usr = _SEQ_USR.unpack_from(b, 0)
            out.update(csq=csq, user=usr)
            if v == 2:
                out["mac_length"] = n - 6
        elif v == 4:
            out["user"] = _U16.unpack_from(b, 0)[0]
        elif v == 5:
            ksq, usr, kwa, kst, mal, cdl = _G120_V5.unpack_from(b, 0)
            out.update(ksq=ksq, user=usr, key_wrap_algorithm=kwa, key_status=AUTH_KEY_STATUS[kst],
                       mac_algorithm=AUTH_MAC_ALGORITHMS[mal], challenge_length=cdl,
                       mac_length=max(0, n - 11 - cdl))
        elif v in (6, 12, 13):
            ksq, usr = _SEQ_USR.unpack_from(b, 0)
            out.update(ksq=ksq, user=usr, data_length=n - 6)
        elif v == 7:
            csq, usr, aid, err, tlo, thi = _G120_V7.unpack_from(b, 0)
            out.update(csq=csq, user=usr, association_id=aid, error_code=err, error=AUTH_ERRORS[err],
                       time=(tlo | thi << 32) / 1000.0, text=text(b[15:]))
        elif v == 8:
            out.update(key_change_method=b[0], certificate_type=b[1], certificate_length=n - 2)
        elif v == 10:
            kcm, op, scs, role, expiry, nlen, pklen, cdl = _G120_V10.unpack_from(b, 0)
            out.update(key_change_method=kcm, operation=op, sequence=scs, user_role=role,
                       expiry_days=expiry, user_name=text(b[18:18 + nlen]))
        elif v == 11:
            kcm, nlen, chl = _G120_V11.unpack_from(b, 0)
            out.update(key_change_method=kcm, user_name=text(b[5:5 + nlen]), challenge_length=chl)
        else:  # 9 MAC, 14 signature, 15 confirmation, unknown
            out["data_length"] = n
    except (struct.error, IndexError):
        out["truncated"] = True
    return out
