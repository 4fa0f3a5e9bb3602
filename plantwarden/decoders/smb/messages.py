"""The SMB messages that are decoded field by field: negotiate, session setup and tree connect, in SMB1
([MS-CIFS]/[MS-SMB]) and SMB2/3 ([MS-SMB2]). Each function takes one whole message (from its SMB header
on) and returns the event fields; every offset is checked, so a short message gives fewer fields."""

from __future__ import annotations

import struct
import uuid
from typing import Any

from plantwarden.decoders.smb import ntlmssp
from plantwarden.decoders.smb.constants import SHARE_TYPES, SMB1_CAPS, SMB2_CAPS, bits, dialect_name
from plantwarden.decoders.smb.ntlmssp import safe

_H = struct.Struct("<H")
_I = struct.Struct("<I")


def u16(b: bytes, at: int) -> int:
    return int(_H.unpack_from(b, at)[0]) if at + 2 <= len(b) else 0


def u32(b: bytes, at: int) -> int:
    return int(_I.unpack_from(b, at)[0]) if at + 4 <= len(b) else 0


def guid(raw: bytes) -> str | None:
    return str(uuid.UUID(bytes_le=raw)) if len(raw) == 16 else None


def strings(msg: bytes, off: int, end: int, unicode: bool, count: int) -> list[str]:
    """Up to ``count`` NUL-terminated strings from ``off``; Unicode ones start at an even offset of the
    SMB header (``msg`` starts with it)."""
    return strings_at(msg, off, end, unicode, count)[0]


def strings_at(msg: bytes, off: int, end: int, unicode: bool, count: int) -> tuple[list[str], int]:
    """``strings`` and the offset after the last one."""
    out: list[str] = []
    end = min(end, len(msg))
    for _ in range(count):
        if off >= end:
            break
        if unicode:
            off += off & 1
            z = off
            while True:
                z = msg.find(b"\x00\x00", z, end)
                if z < 0 or (z - off) % 2 == 0:
                    break
                z += 1
            stop = end - ((end - off) & 1) if z < 0 else z
            out.append(safe(msg[off:stop].decode("utf-16-le", "backslashreplace")))
            off = stop + 2
        else:
            z = msg.find(b"\x00", off, end)
            stop = end if z < 0 else z
            out.append(safe(msg[off:stop].decode("latin-1")))
            off = stop + 1
    return out, off


def _signing(f: dict[str, Any], enabled: bool, required: bool) -> None:
    f["signing_enabled"] = enabled
    f["signing_required"] = required


# -- SMB1 (``msg`` starts at "\xffSMB"; the word count is at 32) -----------------------------------------

def smb1_negotiate_request(msg: bytes) -> dict[str, Any]:
    bc = u16(msg, 33)
    data = msg[35:35 + bc]
    return {"dialects": [safe(p[1:].decode("latin-1"), 64) for p in data.split(b"\x00") if p[:1] == b"\x02"]}


def smb1_negotiate_response(msg: bytes, offered: list[str] | None, unicode: bool) -> dict[str, Any]:
    f: dict[str, Any] = {}
    wc = msg[32] if len(msg) > 32 else 0
    idx = u16(msg, 33)
    f["dialect"] = (None if idx == 0xFFFF else offered[idx] if offered is not None and idx < len(offered)
                    else f"index-{idx}")
    if wc < 17 or len(msg) < 69:
        return f
    mode = msg[35]
    f["security_mode"] = mode
    _signing(f, bool(mode & 0x04), bool(mode & 0x08))
    f["user_level_security"] = bool(mode & 0x01)
    f["encrypted_passwords"] = bool(mode & 0x02)
    caps = u32(msg, 52)
    f["capabilities"] = bits(caps, SMB1_CAPS)
    bc = u16(msg, 67)
    data_end = 69 + bc
    if caps & 0x80000000:
        f["server_guid"] = guid(msg[69:85])
    else:
        clen = msg[66]
        names = strings(msg, 69 + clen, data_end, unicode, 2)
        if names:
            f["domain"] = names[0] or None
        if len(names) > 1 and names[1]:
            f["server_name"] = names[1]
    return f


def smb1_session_setup_request(msg: bytes, unicode: bool) -> tuple[dict[str, Any], int, int]:
    """Fields, and the chained (AndX) command and its offset (0xFF, 0 for none)."""
    f: dict[str, Any] = {}
    wc = msg[32] if len(msg) > 32 else 0
    andx, andx_off = (msg[33], u16(msg, 35)) if wc >= 2 else (0xFF, 0)
    if wc == 12:
        blen, bc = u16(msg, 47), u16(msg, 57)
        blob = msg[59:59 + blen]
        nt = ntlmssp.parse(blob)
        f.update(nt or {"ntlmssp": None})
        os_lm = strings(msg, 59 + blen, 59 + bc, unicode, 2)
    elif wc == 13:
        oem, uni, bc = u16(msg, 47), u16(msg, 49), u16(msg, 59)
        names = strings(msg, 61 + oem + uni, 61 + bc, unicode, 4)
        f["ntlmssp"] = None
        if names:
            f["user"] = names[0]
            f["anonymous"] = not names[0] and oem + uni <= 1
        if len(names) > 1:
            f["domain"] = names[1] or None
        os_lm = names[2:]
        f["plaintext_password"] = oem > 0 and uni == 0 and oem != 24
    else:
        return f, andx, andx_off
    if os_lm:
        f["native_os"] = os_lm[0] or None
    if len(os_lm) > 1:
        f["native_lanman"] = os_lm[1] or None
    return f, andx, andx_off


def smb1_session_setup_response(msg: bytes, unicode: bool) -> dict[str, Any]:
    f: dict[str, Any] = {}
    wc = msg[32] if len(msg) > 32 else 0
    if wc == 4:
        action, blen, bc = u16(msg, 37), u16(msg, 39), u16(msg, 41)
        nt = ntlmssp.parse(msg[43:43 + blen])
        f.update(nt or {"ntlmssp": None})
        names = strings(msg, 43 + blen, 43 + bc, unicode, 3)
    elif wc == 3:
        action, bc = u16(msg, 37), u16(msg, 39)
        f["ntlmssp"] = None
        names = strings(msg, 41, 41 + bc, unicode, 3)
    else:
        return f
    f["guest"] = bool(action & 1)
    for key, v in zip(("native_os", "native_lanman", "primary_domain"), names, strict=False):
        f[key] = v or None
    return f


def smb1_tree_connect_request(msg: bytes, p: int, unicode: bool) -> dict[str, Any]:
    """Tree Connect AndX whose word count is at ``p`` (32, or an AndX offset)."""
    if len(msg) < p + 12 or msg[p] != 4:
        return {}
    pwlen, bc = u16(msg, p + 7), u16(msg, p + 9)
    start = p + 11
    names, after = strings_at(msg, start + pwlen, start + bc, unicode, 1)
    f: dict[str, Any] = {"path": names[0] if names else None}
    svc = strings(msg, after, start + bc, False, 1)
    f["service"] = svc[0] if svc and svc[0] else None
    return f


def smb1_tree_connect_response(msg: bytes) -> dict[str, Any]:
    wc = msg[32] if len(msg) > 32 else 0
    if wc not in (3, 7):
        return {}
    p = 33 + 2 * wc
    svc = strings(msg, p + 2, p + 2 + u16(msg, p), False, 1)
    return {"service": svc[0] if svc and svc[0] else None}


# -- SMB2/3 (``msg`` starts at "\xfeSMB"; the body at 64) ------------------------------------------------

def smb2_negotiate_request(msg: bytes) -> dict[str, Any]:
    n = u16(msg, 66)
    mode = u16(msg, 68)
    f: dict[str, Any] = {"dialects": [dialect_name(u16(msg, 100 + 2 * i)) for i in range(min(n, 64))
                                      if 102 + 2 * i <= len(msg)]}
    f["security_mode"] = mode
    _signing(f, bool(mode & 1), bool(mode & 2))
    f["capabilities"] = bits(u32(msg, 72), SMB2_CAPS)
    f["client_guid"] = guid(msg[76:92])
    return f


def smb2_negotiate_response(msg: bytes) -> dict[str, Any]:
    if len(msg) < 128 or u16(msg, 64) != 65:
        return {}
    mode = u16(msg, 66)
    f: dict[str, Any] = {"dialect": dialect_name(u16(msg, 68)), "security_mode": mode}
    _signing(f, bool(mode & 1), bool(mode & 2))
    f["server_guid"] = guid(msg[72:88])
    f["capabilities"] = bits(u32(msg, 88), SMB2_CAPS)
    f["max_read_size"] = u32(msg, 96)
    f["max_write_size"] = u32(msg, 100)
    return f


def smb2_blob(msg: bytes, at: int) -> dict[str, Any]:
    off, n = u16(msg, at), u16(msg, at + 2)
    nt = ntlmssp.parse(msg[off:off + n]) if off >= 64 else None
    return nt or {"ntlmssp": None}


def smb2_session_setup_request(msg: bytes) -> dict[str, Any]:
    if len(msg) < 88:
        return {}
    mode = msg[67]
    f = smb2_blob(msg, 76)
    _signing(f, bool(mode & 1), bool(mode & 2))
    return f


def smb2_session_setup_response(msg: bytes) -> dict[str, Any]:
    if len(msg) < 72 or u16(msg, 64) != 9:
        return {}
    flags = u16(msg, 66)
    f = smb2_blob(msg, 68)
    f["guest"] = bool(flags & 1)
    f["null_session"] = bool(flags & 2)
    f["encrypt_data"] = bool(flags & 4)
    return f


def smb2_tree_connect_request(msg: bytes) -> dict[str, Any]:
    off, n = u16(msg, 68), u16(msg, 70)
    if off < 64 or off + n > len(msg):
        return {"path": None}
    return {"path": safe(msg[off:off + n].decode("utf-16-le", "backslashreplace"))}


def smb2_tree_connect_response(msg: bytes) -> dict[str, Any]:
    if len(msg) < 80 or u16(msg, 64) != 16:
        return {}
    t = msg[66]
    return {"share_type": SHARE_TYPES.get(t) or f"unknown-{t}", "share_encrypted": bool(u32(msg, 68) & 0x8000)}
