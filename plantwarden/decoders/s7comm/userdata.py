"""S7comm userdata (ROSCTR 7): parameter header, data-unit reassembly input, and the content of the
groups we understand (SZL read and its identity answers, block functions, time functions, mode
transition).
"""

from __future__ import annotations

from typing import Any

from plantwarden.decoders.s7comm.constants import (
    BLOCK_TYPE_CODES,
    BLOCK_TYPES,
    SZL_NAMES,
    clean_str,
    name_of,
)
from plantwarden.decoders.s7comm.jobs import block_fields

# SZL 0x001C record index -> identity key
_COMPONENT_KEYS: dict[int, str] = {
    1: "plc_name", 2: "module_name", 3: "plant_id", 4: "copyright", 5: "serial_number",
    7: "module_type", 10: "oem_id", 11: "location",
}


def _version(ausbg: int, ausbe: int) -> str:
    """Module version words -> ``V3.2.7`` when the first byte is a letter, else the plain number."""
    hi = ausbg >> 8
    if 0x41 <= hi <= 0x5A:
        return f"{chr(hi)}{ausbg & 0xFF}.{ausbe >> 8}.{ausbe & 0xFF}"
    return str(ausbe)


def szl_identity(szl_id: int, entry_len: int, count: int, body: bytes) -> dict[str, str]:
    """Identity facts from an SZL answer (0x0011/0x0111 module identification, 0x001C/0x011C component
    identification). Entries that are cut short are ignored."""
    ident: dict[str, str] = {}
    low = szl_id & 0xFF
    off = 8
    for _ in range(count):
        end = off + entry_len
        if end > len(body) or entry_len < 4:
            break
        idx = (body[off] << 8) | body[off + 1]
        if low == 0x11 and entry_len >= 28:
            text = clean_str(body[off + 2:off + 22])
            ausbg = (body[off + 24] << 8) | body[off + 25]
            ausbe = (body[off + 26] << 8) | body[off + 27]
            if idx == 1:
                if text:
                    ident["order_number"] = text
                ident.setdefault("hardware", _version(ausbg, ausbe))
            elif idx == 6:
                if text and "order_number" not in ident:
                    ident["order_number"] = text
                ident["hardware"] = _version(ausbg, ausbe)
            elif idx == 7:
                ident["firmware"] = _version(ausbg, ausbe)
            elif idx == 0x81:
                ident["bootloader"] = _version(ausbg, ausbe)
        elif low == 0x1C:
            key = _COMPONENT_KEYS.get(idx)
            if key is not None:
                if key == "oem_id":
                    # OEM copyright id (2 bytes) + OEM id (2) + OEM additional id (4)
                    raw = body[off + 2:end][:8]
                    if raw.strip(b"\x00"):
                        ident[key] = raw.hex()
                else:
                    text = clean_str(body[off + 2:end])
                    if text:
                        ident[key] = text
        off = end
    return ident


def _bcd(b: int) -> int:
    return (b >> 4) * 10 + (b & 0x0F)


def clock_text(b: bytes) -> str:
    """The 10-byte S7 clock (reserved, BCD year hi/lo, month, day, hour, minute, second, ms + weekday)."""
    yy = _bcd(b[2])
    year = 2000 + yy if yy < 90 else 1900 + yy  # byte 1 (century) is unreliable on the wire
    ms = _bcd(b[8]) * 10 + (b[9] >> 4)
    return (f"{year:04d}-{_bcd(b[3]):02d}-{_bcd(b[4]):02d}T{_bcd(b[5]):02d}:{_bcd(b[6]):02d}:"
            f"{_bcd(b[7]):02d}.{ms:03d}")


def userdata_content(group: int, sub: int, utype: int, body: bytes, fields: dict[str, Any]) -> None:
    """Fill ``fields`` from the (reassembled) data of a userdata PDU. ``utype``: 4 request, 8 response."""
    if group == 4 and sub == 1:
        if len(body) >= 4:
            szl_id = (body[0] << 8) | body[1]
            fields["szl_id"] = szl_id
            fields["szl_index"] = (body[2] << 8) | body[3]
            fields["szl_name"] = name_of(SZL_NAMES, szl_id & 0x0FFF)
            if utype == 8 and len(body) >= 8:
                entry_len = (body[4] << 8) | body[5]
                count = (body[6] << 8) | body[7]
                fields["szl_entry_length"] = entry_len
                fields["szl_entry_count"] = count
                if szl_id & 0xFF in (0x11, 0x1C):
                    fields["identity"] = szl_identity(szl_id, entry_len, count, body)
    elif group == 3:
        if sub == 1 and utype == 8:
            counts = {}
            for off in range(0, len(body) - 3, 4):
                counts[name_of(BLOCK_TYPE_CODES, body[off + 1])] = (body[off + 2] << 8) | body[off + 3]
            fields["block_counts"] = counts
        elif sub == 2 and utype == 4 and len(body) >= 2:
            code = clean_str(body[0:2]).upper()
            fields["block_type"] = BLOCK_TYPES.get(code) or f"unknown-{code}"
        elif sub == 2 and utype == 8:
            fields["block_numbers"] = [(body[o] << 8) | body[o + 1] for o in range(0, len(body) - 3, 4)]
        elif sub == 3 and utype == 4 and len(body) >= 8:
            block_fields(clean_str(body[0:8]), fields)
    elif group == 7 and len(body) >= 10 and ((sub in (1, 3) and utype == 8) or (sub in (2, 4) and utype == 4)):
        fields["clock"] = clock_text(body[0:10])
