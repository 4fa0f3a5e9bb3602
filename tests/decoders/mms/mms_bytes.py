"""Byte builders for MMS tests: BER TLVs, TPKT/COTP, ISO session and presentation wrappers."""

from __future__ import annotations

from plantwarden.core.events import Event
from plantwarden.decoders.mms import MmsDecoder


def tlv(tag: int | bytes, *content: bytes) -> bytes:
    body = b"".join(content)
    n = len(body)
    ln = bytes([n]) if n < 128 else (bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 0xFF]))
    return (bytes([tag]) if isinstance(tag, int) else tag) + ln + body


def vstr(tag: int, s: str) -> bytes:
    return tlv(tag, s.encode())


def integer(tag: int, v: int) -> bytes:
    return tlv(tag, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def domain_name(domain: str, item: str) -> bytes:
    """ObjectName domain-specific [1] { domainId, itemId }."""
    return tlv(0xA1, vstr(0x1A, domain), vstr(0x1A, item))


def tpkt(cotp: bytes) -> bytes:
    return b"\x03\x00" + (len(cotp) + 4).to_bytes(2, "big") + cotp


def dt(payload: bytes, eot: bool = True) -> bytes:
    return tpkt(b"\x02\xf0" + (b"\x80" if eot else b"\x00") + payload)


def cr() -> bytes:
    return tpkt(bytes.fromhex("11e00000000100c0010ac1020001c2020001"))


def pdv(content: bytes, ctx: int = 3) -> bytes:
    return tlv(0x61, tlv(0x30, integer(0x02, ctx), tlv(0xA0, content)))


def session_dt(mms: bytes, ctx: int = 3) -> bytes:
    """GIVE TOKENS + DATA TRANSFER SPDUs carrying one presentation PDV."""
    return dt(b"\x01\x00\x01\x00" + pdv(mms, ctx))


def confirmed_request(invoke: int, service: bytes) -> bytes:
    return tlv(0xA0, integer(0x02, invoke), service)


def confirmed_response(invoke: int, service: bytes) -> bytes:
    return tlv(0xA1, integer(0x02, invoke), service)


OID_ACSE = bytes.fromhex("0604 5201 0001")  # 2.2.1.0.1
OID_MMS = bytes.fromhex("060528ca220201")  # 1.0.9506.2.1
OID_MMS_CTX = bytes.fromhex("060528ca220203")  # 1.0.9506.2.3
OID_BER = bytes.fromhex("0602 5101")

INITIATE_REQUEST = tlv(0xA8, integer(0x80, 32000), integer(0x81, 5), integer(0x82, 5), integer(0x83, 10),
                       tlv(0xA4, integer(0x80, 1), bytes.fromhex("8103 05f100"),
                           bytes.fromhex("820c 03ee1c00000408000079ef18")))
INITIATE_RESPONSE = tlv(0xA9, integer(0x80, 32000), integer(0x81, 5), integer(0x82, 5), integer(0x83, 10),
                        tlv(0xA4, integer(0x80, 1), bytes.fromhex("8103 05f100"),
                            bytes.fromhex("820c 03ee1c00000408000079ef18")))


def aarq(mms: bytes) -> bytes:
    return tlv(0x60, bytes.fromhex("80020780"), tlv(0xA1, OID_MMS_CTX),
               tlv(0xA2, bytes.fromhex("0605 29018767 01")), tlv(0xA3, integer(0x02, 12)),
               tlv(0xA6, bytes.fromhex("0605 29018767 02")), tlv(0xA7, integer(0x02, 22)),
               bytes.fromhex("8a020780"), bytes.fromhex("8b03 520301"), tlv(0xAC, vstr(0x80, "secret")),
               tlv(0xBE, tlv(0x28, integer(0x02, 3), tlv(0xA0, mms))))


def aare(mms: bytes, result: int = 0) -> bytes:
    return tlv(0x61, bytes.fromhex("80020780"), tlv(0xA1, OID_MMS_CTX), tlv(0xA2, integer(0x02, result)),
               tlv(0xA3, tlv(0xA1, integer(0x02, 0))), tlv(0xA4, bytes.fromhex("0605 29018767 01")),
               tlv(0xA5, integer(0x02, 12)), tlv(0xBE, tlv(0x28, integer(0x02, 3), tlv(0xA0, mms))))


def connect(apdu: bytes) -> bytes:
    """Session CONNECT + presentation CP carrying one ACSE APDU (context 1 ACSE, 3 MMS)."""
    contexts = tlv(0xA4, tlv(0x30, integer(0x02, 1), OID_ACSE, tlv(0x30, OID_BER)),
                   tlv(0x30, integer(0x02, 3), OID_MMS, tlv(0x30, OID_BER)))
    cp = tlv(0x31, tlv(0xA0, integer(0x80, 1)),
             tlv(0xA2, bytes.fromhex("8104 00000001"),
                 bytes.fromhex("8204 00000001"), contexts, pdv(apdu, 1)))
    params = bytes.fromhex("0506 130100 160102 14020002 33020001 34020001") + b"\xc1" + bytes([len(cp)]) + cp
    assert len(cp) < 255 and len(params) < 255
    return dt(b"\x0d" + bytes([len(params)]) + params)


def accept(apdu: bytes) -> bytes:
    results = tlv(0xA5, tlv(0x30, integer(0x80, 0), tlv(0x81, OID_BER[2:])),
                  tlv(0x30, integer(0x80, 0), tlv(0x81, OID_BER[2:])))
    cpa = tlv(0x31, tlv(0xA0, integer(0x80, 1)), tlv(0xA2, bytes.fromhex("8304 00000001"), results, pdv(apdu, 1)))
    params = bytes.fromhex("0506 130100 160102 14020002") + b"\xc1" + bytes([len(cpa)]) + cpa
    return dt(b"\x0e" + bytes([len(params)]) + params)


def feed_all(dec: MmsDecoder, *chunks: tuple[bytes, bool]) -> list[Event]:
    out: list[Event] = []
    for i, (data, is_orig) in enumerate(chunks):
        out += dec.feed(data, is_orig, float(i), i + 1)
    return out


def events(*chunks: tuple[bytes, bool]) -> list[Event]:
    return feed_all(MmsDecoder(), *chunks)
