"""S7comm job / ack_data parameter and data parsing (setup, read/write variable, PLC control, blocks).

Every function takes the parameter and data bytes of one PDU and fills ``fields`` in place. They may
raise IndexError/ValueError on malformed input; the caller turns that into a named weird.
"""

from __future__ import annotations

from typing import Any

from plantwarden.decoders.s7comm.constants import (
    AREA_NAMES,
    BLOCK_TYPES,
    DATA_LENGTH_IN_BITS,
    DATA_TRANSPORT_SIZES,
    FILESYSTEMS,
    PI_SERVICES,
    RETURN_CODES,
    SYNTAX_IDS,
    TRANSPORT_SIZES,
    clean_str,
    name_of,
)

Item = dict[str, Any]


def parse_filename(raw: bytes, fields: dict[str, Any]) -> None:
    """A block file name such as ``_0A00001P``: block type, number and destination file system."""
    fn = clean_str(raw)
    fields["filename"] = fn
    if len(fn) == 9 and fn[0] == "_":
        block_fields(fn[1:], fields)


def block_fields(desc: str, fields: dict[str, Any]) -> None:
    """``0A00001P`` (type, 5-digit number, file system) -> block_type, block_number, block, filesystem."""
    code = desc[0:2].upper()
    btype = BLOCK_TYPES.get(code) or f"unknown-{code}"
    fields["block_type"] = btype
    num = desc[2:7]
    if num.isdigit():
        fields["block_number"] = int(num)
        fields["block"] = f"{btype}{int(num)}"
    if len(desc) > 7:
        fs = desc[7]
        fields["destination_filesystem"] = FILESYSTEMS.get(fs) or f"unknown-{fs}"


def parse_item(p: bytes, off: int) -> tuple[Item, int]:
    """One variable specification item of a read/write request -> (item, offset of the next)."""
    ilen = p[off + 1]
    syntax = p[off + 2]
    end = off + 2 + ilen
    if end > len(p):
        raise IndexError("item beyond parameter")
    if syntax == 0x10 and ilen >= 10:
        addr = (p[off + 9] << 16) | (p[off + 10] << 8) | p[off + 11]
        return {
            "syntax_id": "s7any",
            "transport_size": name_of(TRANSPORT_SIZES, p[off + 3]),
            "length": (p[off + 4] << 8) | p[off + 5],
            "db_number": (p[off + 6] << 8) | p[off + 7],
            "area": name_of(AREA_NAMES, p[off + 8]),
            "byte_address": addr >> 3,
            "bit_address": addr & 7,
        }, end
    return {"syntax_id": name_of(SYNTAX_IDS, syntax), "spec": p[off + 3:end].hex()}, end


def parse_items(p: bytes, count: int) -> list[Item]:
    items = []
    off = 2
    for _ in range(count):
        item, off = parse_item(p, off)
        items.append(item)
    return items


def parse_data_items(d: bytes, count: int, with_rc: bool) -> list[Item]:
    """Data items (return code, transport size, length, value) of a read response or write request."""
    items = []
    off = 0
    n = len(d)
    for i in range(count):
        if off + 4 > n:
            raise IndexError("data item beyond data")
        rc = d[off]
        ts = d[off + 1]
        length = (d[off + 2] << 8) | d[off + 3]
        if ts in DATA_LENGTH_IN_BITS:
            length = (length + 7) >> 3
        off += 4
        if off + length > n:
            raise IndexError("data value beyond data")
        item: Item = {"return_code": name_of(RETURN_CODES, rc)} if with_rc else {}
        item["data_transport_size"] = name_of(DATA_TRANSPORT_SIZES, ts)
        item["data_length"] = length
        item["value"] = d[off:off + length].hex()
        off += length
        if length & 1 and i + 1 < count:
            off += 1  # fill byte between items
        items.append(item)
    return items


def merge_items(req: list[Item] | None, resp: list[Item]) -> list[Item]:
    """Pair response items with the items of the job that had the same pdu_ref (by position)."""
    if not req:
        return resp
    return [{**req[i], **r} if i < len(req) else r for i, r in enumerate(resp)]


def job_params(func: int, p: bytes, d: bytes, fields: dict[str, Any]) -> list[Item] | None:
    """Fill ``fields`` for a job PDU; return the request items (read/write) to remember for pairing."""
    if func == 0x04 or func == 0x05:
        count = p[1]
        fields["item_count"] = count
        items = parse_items(p, count)
        if func == 0x05:
            data = parse_data_items(d, count, False)
            fields["items"] = [{**a, **v} for a, v in zip(items, data, strict=False)]
        else:
            fields["items"] = items
        return items
    if func == 0xF0:
        setup_fields(p, fields)
    elif func == 0x1D or func == 0x1B or func == 0x1A:
        fields["function_status"] = p[1]
        fields["session_id"] = int.from_bytes(p[4:8], "big")
        fnlen = p[8]
        parse_filename(p[9:9 + fnlen], fields)
        if func == 0x1A:
            off = 9 + fnlen
            if off < len(p):
                part2 = clean_str(p[off + 1:off + 1 + p[off]])
                if len(part2) == 13 and part2.isdigit():
                    fields["load_memory_length"] = int(part2[1:7])
                    fields["mc7_length"] = int(part2[7:13])
    elif func == 0x1E:
        fields["function_status"] = p[1]
        fields["session_id"] = int.from_bytes(p[4:8], "big")
    elif func == 0x1F or func == 0x1C:
        fields["function_status"] = p[1]
        fields["end_error_code"] = (p[2] << 8) | p[3]
        fields["session_id"] = int.from_bytes(p[4:8], "big")
        if func == 0x1C and len(p) > 8:
            parse_filename(p[9:9 + p[8]], fields)
    elif func == 0x28:
        pi_service(p, fields)
    elif func == 0x29:
        slen = p[6]
        svc = clean_str(p[7:7 + slen])
        fields["pi_service"] = svc
        fields["pi_service_name"] = PI_SERVICES.get(svc) or "unknown"
    return None


def setup_fields(p: bytes, fields: dict[str, Any]) -> None:
    fields["max_amq_calling"] = (p[2] << 8) | p[3]
    fields["max_amq_called"] = (p[4] << 8) | p[5]
    fields["pdu_length"] = (p[6] << 8) | p[7]


def pi_service(p: bytes, fields: dict[str, Any]) -> None:
    """PLC control: 7 reserved bytes, parameter block (length + bytes), service name (length + text)."""
    pblen = (p[8] << 8) | p[9]
    pblock = p[10:10 + pblen]
    off = 10 + pblen
    slen = p[off]
    svc = clean_str(p[off + 1:off + 1 + slen])
    fields["pi_service"] = svc
    fields["pi_service_name"] = PI_SERVICES.get(svc) or "unknown"
    if svc in ("_INSE", "_DELE") and len(pblock) >= 2:
        blocks = []
        for i in range(min(pblock[0], (len(pblock) - 2) // 8)):
            b: dict[str, Any] = {}
            block_fields(clean_str(pblock[2 + 8 * i:10 + 8 * i]), b)
            blocks.append(b.get("block") or b.get("block_type", ""))
        fields["blocks"] = blocks
    elif pblock:
        fields["pi_argument"] = clean_str(pblock)


def ack_data_params(func: int, p: bytes, d: bytes, fields: dict[str, Any], req: list[Item] | None) -> None:
    """Fill ``fields`` for an ack_data PDU, pairing read/write items with ``req`` (the job's items)."""
    if func == 0x04:
        count = p[1]
        fields["item_count"] = count
        fields["items"] = merge_items(req, parse_data_items(d, count, True))
    elif func == 0x05:
        count = p[1]
        fields["item_count"] = count
        fields["items"] = merge_items(req, [{"return_code": name_of(RETURN_CODES, d[i])}
                                            for i in range(min(count, len(d)))])
    elif func == 0xF0:
        setup_fields(p, fields)
    elif func == 0x1D:
        fields["function_status"] = p[1]
        fields["session_id"] = int.from_bytes(p[4:8], "big")
        bl = clean_str(p[9:9 + p[8]])
        if bl.isdigit():
            fields["block_length"] = int(bl)
    elif func == 0x1E or func == 0x1B:
        fields["function_status"] = p[1]
        if len(d) >= 2:
            fields["block_data_length"] = (d[0] << 8) | d[1]
