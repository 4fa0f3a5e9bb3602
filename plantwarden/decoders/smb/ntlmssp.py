"""NTLMSSP messages found inside an SMB security blob ([MS-NLMP]): names only, never hashes or keys."""

from __future__ import annotations

import struct
from typing import Any

from plantwarden.decoders.smb.constants import AV_NAMES, NTLM_TYPES

SIGNATURE = b"NTLMSSP\x00"
NEGOTIATE_UNICODE = 0x00000001
_FIELD = struct.Struct("<HHI")
_U32 = struct.Struct("<I")


def safe(s: str, limit: int = 256) -> str:
    s = s[:limit]
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _field(msg: bytes, at: int) -> bytes | None:
    """The payload a (length, max length, offset) field at ``at`` points to; None when it is outside."""
    if at + 8 > len(msg):
        return None
    n, _, off = _FIELD.unpack_from(msg, at)
    if off + n > len(msg):
        return None
    return msg[off:off + n]


def _str(raw: bytes | None, unicode: bool) -> str | None:
    if raw is None:
        return None
    return safe(raw.decode("utf-16-le", "backslashreplace") if unicode else raw.decode("latin-1"))


def _version(msg: bytes, at: int) -> str | None:
    if at + 8 > len(msg):
        return None
    major, minor, build = msg[at], msg[at + 1], int.from_bytes(msg[at + 2:at + 4], "little")
    return f"{major}.{minor}.{build}" if major else None


def parse(blob: bytes) -> dict[str, Any] | None:
    """Fields of the NTLMSSP message inside ``blob`` (a raw NTLMSSP or an SPNEGO token around one).

    Returns None when the blob holds no NTLMSSP message (e.g. Kerberos); a dict with ``ntlmssp`` set to
    the message type otherwise, and ``ntlmssp_malformed`` True when its fields point outside it.
    """
    i = blob.find(SIGNATURE)
    if i < 0 or i + 12 > len(blob):
        return None
    msg = blob[i:]
    mtype = _U32.unpack_from(msg, 8)[0]
    f: dict[str, Any] = {"ntlmssp": NTLM_TYPES.get(mtype) or f"unknown-{mtype}"}
    if mtype == 1 and len(msg) >= 16:
        flags = _U32.unpack_from(msg, 12)[0]
        f["ntlm_flags"] = flags
        if len(msg) >= 32:
            f["domain"] = _str(_field(msg, 16), False) or None
            f["workstation"] = _str(_field(msg, 24), False) or None
        if flags & 0x02000000:
            f["os_version"] = _version(msg, 32)
    elif mtype == 2 and len(msg) >= 32:
        flags = _U32.unpack_from(msg, 20)[0]
        uni = bool(flags & NEGOTIATE_UNICODE)
        f["ntlm_flags"] = flags
        f["target_name"] = _str(_field(msg, 12), uni)
        info = _field(msg, 40) if len(msg) >= 48 else None
        if info:
            _target_info(info, f)
        if flags & 0x02000000 and len(msg) >= 56:
            f["os_version"] = _version(msg, 48)
    elif mtype == 3 and len(msg) >= 64:
        flags = _U32.unpack_from(msg, 60)[0]
        uni = bool(flags & NEGOTIATE_UNICODE)
        nt = _field(msg, 20)
        lm = _field(msg, 12)
        user = _field(msg, 36)
        if nt is None or lm is None or user is None:
            f["ntlmssp_malformed"] = True
        f["ntlm_flags"] = flags
        f["user"] = _str(user, uni)
        f["domain"] = _str(_field(msg, 28), uni)
        f["workstation"] = _str(_field(msg, 44), uni)
        ntlen = len(nt) if nt is not None else 0
        f["anonymous"] = not f["user"] and ntlen == 0
        f["ntlm_version"] = (None if ntlen == 0 else "v1" if ntlen == 24 else "v2")
        if flags & 0x02000000 and len(msg) >= 72:
            f["os_version"] = _version(msg, 64)
    return f


def _target_info(info: bytes, f: dict[str, Any]) -> None:
    off, n = 0, len(info)
    while off + 4 <= n:
        av_id, av_len = struct.unpack_from("<HH", info, off)
        if av_id == 0:
            return
        val = info[off + 4:off + 4 + av_len]
        key = AV_NAMES.get(av_id)
        if key is not None:
            f[key] = safe(val.decode("utf-16-le", "backslashreplace"))
        off += 4 + av_len
