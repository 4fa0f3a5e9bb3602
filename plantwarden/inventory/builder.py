"""The inventory builder: a sensor sink that turns events and flows into assets and communications.

Pure and in memory: nothing here touches a database or a file. The store writes the result once the
capture is done (``plantwarden.store``). See docs/inventory.md for every rule applied here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.decoders.posture import POSTURE
from plantwarden.inventory.behaviour import classify
from plantwarden.inventory.model import (
    SERVES,
    Asset,
    Communication,
    Fact,
    FunctionCount,
    Inventory,
)

#: confidence of an identity value the device reported about itself over an industrial protocol
SELF_REPORTED = 0.9
#: server ports that make the responder a PLC / field device even when no decoder ran
ICS_SERVER_PORTS = frozenset({502, 102})
#: a MAC seen in front of this many IP addresses (or more) in one capture is a router's
ROUTER_MAC_IPS = 3


@lru_cache(maxsize=65536)
def is_host_address(addr: str) -> bool:
    """False for addresses that are not a single host: multicast, broadcast, unspecified."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    if ip.is_multicast or ip.is_unspecified:
        return False
    return not (ip.version == 4 and (addr == "255.255.255.255" or addr.endswith(".255")))


# how an event counts in its function table (cached per flow and event name, see _FlowState.cache)
_REQUEST, _REQUEST_CLASSIFY, _RESPONSE, _EXCEPTION = 0, 1, 2, 3
#: protocols whose request activity follows from the event name and function code alone, so it can be
#: cached per flow and event name; with the codes that are exceptions (Modbus UMAS: by sub-function).
#: Every other protocol is classified request by request (DNP3 reads of group 0, CIP by class ...).
_STATIC_KIND = {"modbus": frozenset({90}), "s7comm": frozenset()}
_Cached = tuple[Any, FunctionCount, int, "str | None"]
#: protocols whose messages have no request/response names but ASDU types: an ASDU is a request when
#: the originator sends it and the decoder classifies it (a command in activation); the rest are answers
#: and monitor-direction data
_ASDU_PROTOCOLS = frozenset({"iec104"})


class _FlowState:
    """What the builder keeps per live flow: its communication and assets, looked up once.

    ``cache`` maps an event name to (function code, counter, mode, behaviour) so that the common case
    (the same few messages over and over) costs two dict lookups; it is used only while the event's
    ``function_code`` is the cached one.
    """

    __slots__ = ("comm", "client", "server", "cache", "posture")

    def __init__(self, comm: Communication, client: Asset | None, server: Asset | None) -> None:
        self.comm = comm
        self.client = client
        self.server = server
        self.cache: dict[str, _Cached] = {}
        #: event name -> security facts extractor of the flow's protocol (None: it has none)
        self.posture = POSTURE.get(comm.protocol)


class InventoryBuilder:
    """A sensor sink. Feed it one or more captures, then read :attr:`inventory`."""

    def __init__(self) -> None:
        self.inventory = Inventory()
        self._flows: dict[int, _FlowState] = {}
        #: MAC -> IP addresses seen behind it, to spot routers (see ROUTER_MAC_IPS)
        self._mac_ips: dict[str, set[str]] = {}

    # -- sink interface ---------------------------------------------------------------------------

    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None:
        inv = self.inventory
        inv.events += 1
        if flow is None:
            self._span(ev.ts)
            if ev.name == "weird":
                key = (str(ev.fields.get("name", "")), "")
                inv.weirds[key] = inv.weirds.get(key, 0) + 1
            return
        st = self._flows.get(flow.uid)
        if st is None:
            st = self._open(flow)
        fields = ev.fields
        hit = st.cache.get(ev.name)
        if hit is not None and hit[0] == fields.get("function_code"):
            fc, mode = hit[1], hit[2]
            if mode == _RESPONSE:
                if fields.get("exception_code") is not None or fields.get("error_class"):
                    fc.exceptions += 1
                else:
                    fc.responses += 1
            elif mode == _EXCEPTION:
                fc.exceptions += 1
            else:
                fc.requests += 1
                if ev.is_orig:
                    kind = hit[3] if mode == _REQUEST else classify(flow.proto or "", fields)
                    if kind is not None:
                        acts = fc.activities
                        acts[kind] = acts.get(kind, 0) + 1
                        if st.client is not None:
                            st.client.behaviour[kind] += 1
        elif ev.name == "weird":
            key = (str(fields.get("name", "")), flow.proto or "")
            inv.weirds[key] = inv.weirds.get(key, 0) + 1
            return
        else:
            fkey = function_key(flow.proto or "", ev.name, fields)
            if fkey is not None:
                self._count_function(st, flow.proto or "", ev, fkey)
            elif ev.is_orig and st.client is not None:
                # protocols without request/response names (IEC 104 ASDUs): the decoder still says
                # what the originator's message does
                kind = classify(flow.proto or "", fields)
                if kind is not None:
                    st.client.behaviour[kind] += 1
        if st.posture is not None:
            extract = st.posture.get(ev.name)
            if extract is not None:
                sec = st.comm.security
                for fact in extract(fields):
                    sec[fact] = sec.get(fact, 0) + 1
        identity = fields.get("identity")
        if identity:
            sender = st.client if ev.is_orig else st.server
            if sender is not None and isinstance(identity, Mapping):
                self._identity(capture, flow.proto or "", sender, ev, identity)

    def on_flow_end(self, capture: str, flow: Flow) -> None:
        inv = self.inventory
        inv.flows += 1
        st = self._flows.pop(flow.uid, None)
        if st is None:
            st = self._open(flow)
        self._span(flow.first_ts)
        self._span(flow.last_ts)
        comm = st.comm
        comm.flows += 1
        comm.client_packets += flow.orig_pkts
        comm.server_packets += flow.resp_pkts
        comm.client_bytes += flow.orig_bytes
        comm.server_bytes += flow.resp_bytes
        comm.seen(flow.first_ts, flow.last_ts)
        comm.server_ports.add(flow.resp_port)
        # a protocol counts for an asset only when bytes were exchanged: a refused connection
        # (SYN answered by RST) says nothing about what the server speaks
        proto = (flow.proto or "") if (flow.orig_bytes or flow.resp_bytes) else ""
        for asset, mac in ((st.client, flow.orig_mac), (st.server, flow.resp_mac)):
            if asset is None:
                continue
            asset.seen(flow.first_ts, flow.last_ts)
            if proto:
                asset.protocols.add(proto)
            if mac:
                asset.macs[mac] = asset.macs.get(mac, 0) + 1
                self._mac_ips.setdefault(mac, set()).add(asset.ip)
        server = st.server
        if server is not None and flow.resp_bytes and (proto or flow.resp_port in ICS_SERVER_PORTS):
            server.behaviour[SERVES] += 1

    # -- result -----------------------------------------------------------------------------------

    def result(self) -> Inventory:
        """The inventory so far, with router MACs removed from the assets behind them."""
        for mac, ips in self._mac_ips.items():
            if len(ips) >= ROUTER_MAC_IPS:
                for ip in ips:
                    asset = self.inventory.assets.get(ip)
                    if asset is not None:
                        asset.macs.pop(mac, None)
        self._mac_ips = {m: ips for m, ips in self._mac_ips.items() if len(ips) < ROUTER_MAC_IPS}
        return self.inventory

    # -- internals --------------------------------------------------------------------------------

    def _span(self, ts: float) -> None:
        inv = self.inventory
        if inv.first_ts is None or ts < inv.first_ts:
            inv.first_ts = ts
        if inv.last_ts is None or ts > inv.last_ts:
            inv.last_ts = ts

    def _asset(self, ip: str, ts: float) -> Asset | None:
        assets = self.inventory.assets
        asset = assets.get(ip)
        if asset is None:
            if not is_host_address(ip):
                return None
            asset = assets[ip] = Asset(ip, ts, ts)
        return asset

    def _open(self, flow: Flow) -> _FlowState:
        proto = flow.proto or f"{flow.transport}/{flow.resp_port}"
        key = (flow.orig_addr, flow.resp_addr, proto)
        comms = self.inventory.communications
        comm = comms.get(key)
        if comm is None:
            comm = comms[key] = Communication(flow.orig_addr, flow.resp_addr, proto, flow.transport,
                                              flow.first_ts, flow.last_ts)
        st = _FlowState(comm, self._asset(flow.orig_addr, flow.first_ts), self._asset(flow.resp_addr, flow.first_ts))
        self._flows[flow.uid] = st
        return st

    def _count_function(self, st: _FlowState, proto: str, ev: Event, fkey: tuple[str, str]) -> None:
        """Count an event in its function table (the slow path; it fills the per-flow cache)."""
        fields = ev.fields
        key, fname = fkey
        funcs = st.comm.functions
        fc = funcs.get(key)
        if fc is None:
            fc = funcs[key] = FunctionCount(key, fname)
        name = ev.name
        kind: str | None = None
        asdu_command = proto in _ASDU_PROTOCOLS and ev.is_orig and classify(proto, fields) is not None
        if name.endswith("_request") or asdu_command:
            fc.requests += 1
            # behaviour is the originator's: requests the server sends on the client's connection
            # (S7 download_block jobs during a download) do not make the server a programmer
            kind = classify(proto, fields)
            if ev.is_orig and kind is not None:
                fc.activities[kind] = fc.activities.get(kind, 0) + 1
                if st.client is not None:
                    st.client.behaviour[kind] += 1
            code = fields.get("function_code")
            static = _STATIC_KIND.get(proto)
            mode = _REQUEST if static is not None and isinstance(code, int) and code not in static \
                else _REQUEST_CLASSIFY
        elif name.endswith("_exception"):
            fc.exceptions += 1
            mode = _EXCEPTION
        else:
            if fields.get("exception_code") is not None or fields.get("error_class"):
                fc.exceptions += 1
            else:
                fc.responses += 1
            mode = _RESPONSE
        code = fields.get("function_code")
        if code is not None and "userdata_group" not in fields:
            st.cache[name] = (code, fc, mode, kind)

    def _identity(self, capture: str, proto: str, asset: Asset, ev: Event, identity: Mapping[str, Any]) -> None:
        for name, value in identity.items():
            if value is None or isinstance(value, (dict, list)):
                continue
            text = value.strip() if isinstance(value, str) else str(value)
            if not text:
                continue
            asset.add_fact(Fact(str(name), text, proto, SELF_REPORTED, capture, ev.frame, ev.name, ev.ts, ev.ts))


def function_key(proto: str, event: str, fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, name) under which an event is counted in a communication's function table, or None.

    The key is ``function_code`` in decimal (Modbus: without the exception bit). S7comm user-data
    has no function code: its key is ``userdata/<group>/<subfunction>`` and its name
    ``<group name>/<subfunction name>``. The name is otherwise the decoder's ``function`` field, else
    the event name without the protocol prefix and the ``_request``/``_response`` suffix. A protocol
    without function codes (CIP, OPC UA ...) is counted by that message name, as key and name.
    """
    code = fields.get("function_code")
    if code is None and proto in _ASDU_PROTOCOLS:  # IEC 104: one entry per ASDU type
        tid = fields.get("type_id")
        if not isinstance(tid, int):
            return None
        return str(tid), str(fields.get("type_name") or tid)
    if code is None:
        group = fields.get("userdata_group")
        if group is None:  # a protocol without function codes (CIP, OPC UA ...): the message name
            if not event.endswith(("_request", "_response", "_exception")):
                return None
            message = _event_function(proto, event)
            return message, message
        sub = fields.get("userdata_subfunction", fields.get("cpu_mode", "-"))
        gname = fields.get("userdata_group_name") or group
        sname = fields.get("userdata_subfunction_name") or fields.get("cpu_mode_name") or sub
        return f"userdata/{group}/{sub}", f"{gname}/{sname}"
    key = str(code & 0x7F if proto == "modbus" and isinstance(code, int) else code)
    name = fields.get("function")
    if not isinstance(name, str) or not name:
        name = _event_function(proto, event)
    return key, name


@lru_cache(maxsize=4096)
def _event_function(proto: str, event: str) -> str:
    name = event
    if proto and name.startswith(proto + "_"):
        name = name[len(proto) + 1:]
    for suffix in ("_request", "_response", "_exception"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
