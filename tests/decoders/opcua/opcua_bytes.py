"""Builders for OPC UA binary messages (UA TCP chunks and service bodies) used by the decoder tests."""

from __future__ import annotations

import struct

NONE_URI = "http://opcfoundation.org/UA/SecurityPolicy#None"
B256_URI = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"


def u32(v: int) -> bytes:
    return struct.pack("<I", v)


def s(v: str | None) -> bytes:
    if v is None:
        return struct.pack("<i", -1)
    raw = v.encode()
    return struct.pack("<i", len(raw)) + raw


def bs(v: bytes | None) -> bytes:
    return struct.pack("<i", -1) if v is None else struct.pack("<i", len(v)) + v


def nid(ident: int, ns: int = 0) -> bytes:
    """A numeric NodeId in the smallest encoding."""
    if ns == 0 and ident < 256:
        return bytes([0, ident])
    if ns < 256 and ident < 65536:
        return bytes([1, ns]) + struct.pack("<H", ident)
    return bytes([2]) + struct.pack("<HI", ns, ident)


def snid(text: str, ns: int) -> bytes:
    return bytes([3]) + struct.pack("<H", ns) + s(text)


def arr(items: list[bytes]) -> bytes:
    return struct.pack("<i", len(items)) + b"".join(items)


def ext(type_id: int, body: bytes | None) -> bytes:
    if body is None:
        return nid(type_id) + b"\x00"
    return nid(type_id) + b"\x01" + bs(body)


def req_header(handle: int = 7, timeout: int = 10000) -> bytes:
    return nid(0) + struct.pack("<qII", 0, handle, 0) + s(None) + u32(timeout) + ext(0, None)


def resp_header(handle: int = 7, result: int = 0) -> bytes:
    return struct.pack("<qII", 0, handle, result) + b"\x00" + arr([]) + ext(0, None)


def chunk(mtype: bytes, body: bytes, ct: bytes = b"F") -> bytes:
    return mtype + ct + u32(8 + len(body)) + body


def hello(url: str = "opc.tcp://plc:4840") -> bytes:
    return chunk(b"HEL", struct.pack("<5I", 0, 65535, 65535, 0, 0) + s(url))


def ack() -> bytes:
    return chunk(b"ACK", struct.pack("<5I", 0, 65535, 65535, 2097152, 64))


def opn(channel: int, body: bytes, seq: int = 1, rid: int = 1, uri: str = NONE_URI, cert: bytes | None = None) -> bytes:
    return chunk(b"OPN", u32(channel) + s(uri) + bs(cert) + bs(None) + u32(seq) + u32(rid) + body)


def opn_request(mode: int = 1) -> bytes:
    return opn(0, nid(446) + req_header() + u32(0) + u32(0) + u32(mode) + bs(b"") + u32(3600000))


def opn_response(channel: int = 5) -> bytes:
    return opn(channel, nid(449) + resp_header() + u32(0) + u32(channel) + u32(1) + struct.pack("<q", 0) + u32(3600000)
               + bs(b""))


def msg(body: bytes, rid: int, seq: int | None = None, channel: int = 5, token: int = 1, ct: bytes = b"F",
        mtype: bytes = b"MSG") -> bytes:
    return chunk(mtype, u32(channel) + u32(token) + u32(seq if seq is not None else rid) + u32(rid) + body, ct)


def read_request(nodes: list[tuple[bytes, int]], handle: int = 7) -> bytes:
    items = [n + u32(attr) + s(None) + struct.pack("<H", 0) + s(None) for n, attr in nodes]
    return nid(631) + req_header(handle) + struct.pack("<d", 0.0) + u32(0) + arr(items)


def variant_string(v: str) -> bytes:
    return b"\x0c" + s(v)


def dv(variant: bytes) -> bytes:
    return b"\x01" + variant


def read_response(values: list[bytes], handle: int = 7) -> bytes:
    return nid(634) + resp_header(handle) + arr(values) + arr([])


def app_description(uri: str, product: str, name: str, atype: int = 0) -> bytes:
    return s(uri) + s(product) + b"\x02" + s(name) + u32(atype) + s(None) + s(None) + arr([s("opc.tcp://plc:4840")])


def build_info(product_uri: str, vendor: str, product: str, version: str, build: str) -> bytes:
    return s(product_uri) + s(vendor) + s(product) + s(version) + s(build) + struct.pack("<q", 133000000000000000)
