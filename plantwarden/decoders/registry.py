"""The explicit list of decoders the sensor knows. Adding a protocol is one line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from plantwarden.decoders.ads import AdsDecoder, AdsUdpDecoder
from plantwarden.decoders.bacnet import BacnetDecoder
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.bsap import BsapIpDecoder, BsapSerialDecoder
from plantwarden.decoders.c37118 import C37118Decoder, C37118UdpDecoder
from plantwarden.decoders.dhcp import DhcpDecoder
from plantwarden.decoders.dnp3 import Dnp3Decoder, Dnp3UdpDecoder
from plantwarden.decoders.dns import DnsDecoder, DnsTcpDecoder
from plantwarden.decoders.enip import EnipDecoder, EnipUdpDecoder
from plantwarden.decoders.fins import FinsDecoder, FinsUdpDecoder
from plantwarden.decoders.fox import FoxDecoder
from plantwarden.decoders.ftp import FtpDecoder
from plantwarden.decoders.genisys import GenisysDecoder
from plantwarden.decoders.goose import GooseDecoder, SvDecoder
from plantwarden.decoders.hartip import HartipDecoder, HartipUdpDecoder
from plantwarden.decoders.http import HttpDecoder
from plantwarden.decoders.iec104 import Iec104Decoder
from plantwarden.decoders.mms import MmsDecoder
from plantwarden.decoders.modbus import ModbusDecoder
from plantwarden.decoders.mqtt import MqttDecoder
from plantwarden.decoders.opcua import OpcuaDecoder
from plantwarden.decoders.pnio_cm import PnioCmDecoder
from plantwarden.decoders.profinet import ProfinetDecoder
from plantwarden.decoders.rdp import RdpDecoder
from plantwarden.decoders.s7comm import S7commDecoder
from plantwarden.decoders.slmp import SlmpDecoder, SlmpUdpDecoder
from plantwarden.decoders.smb import SmbDecoder
from plantwarden.decoders.snmp import SnmpDecoder
from plantwarden.decoders.ssh import SshDecoder
from plantwarden.decoders.telnet import TelnetDecoder
from plantwarden.decoders.tls import TlsDecoder
from plantwarden.decoders.vnc import VncDecoder

DECODERS: tuple[type[Decoder], ...] = (
    ModbusDecoder,
    S7commDecoder,
    MmsDecoder,
    C37118Decoder, C37118UdpDecoder,
    OpcuaDecoder,
    Dnp3Decoder, Dnp3UdpDecoder,
    Iec104Decoder,
    MqttDecoder,
    EnipDecoder, EnipUdpDecoder,
    FinsDecoder, FinsUdpDecoder,
    AdsDecoder, AdsUdpDecoder,
    BacnetDecoder,
    BsapIpDecoder, BsapSerialDecoder,
    FoxDecoder,
    HartipDecoder, HartipUdpDecoder,
    ProfinetDecoder, PnioCmDecoder,
    GooseDecoder, SvDecoder,
    SlmpDecoder, SlmpUdpDecoder,
    GenisysDecoder,
    DnsDecoder, DnsTcpDecoder,
    TlsDecoder,
    HttpDecoder,
    SnmpDecoder,
    DhcpDecoder,
    FtpDecoder,
    SshDecoder,
    RdpDecoder,
    TelnetDecoder,
    SmbDecoder,
    VncDecoder,
)


def by_name(name: str) -> type[Decoder]:
    for d in DECODERS:
        if d.name == name:
            return d
    raise KeyError(name)


def select(names: str | None) -> tuple[type[Decoder], ...]:
    """The decoders named in a comma-separated list (all of them for None or "all")."""
    if names is None or names.strip() in ("", "all"):
        return DECODERS
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    known = {d.name for d in DECODERS}
    unknown = sorted(wanted - known)
    if unknown:
        raise KeyError(f"unknown decoder {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(d for d in DECODERS if d.name in wanted)


_ACTIVITY: dict[str, Callable[[Mapping[str, Any]], str | None]] = {d.name: d.activity for d in DECODERS}


def activity(proto: str, fields: Mapping[str, Any]) -> str | None:
    """What a request of protocol ``proto`` with these event fields does (``core.activity``), by the
    protocol's own decoder; None for an unknown protocol or a request that says nothing."""
    fn = _ACTIVITY.get(proto)
    return fn(fields) if fn is not None else None
