"""The zones-and-conduits model, read from YAML and validated (docs/zones.md, "The model").

``load_model(text)`` returns a :class:`ZoneModel` or raises :class:`ModelError`, whose ``errors`` are
messages that name the place in the file (``zones[1].sl_t: ...``). A broken file never raises anything
else.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from plantwarden.core.addresses import address_or_mac, normalize_mac
from plantwarden.core.errors import InvalidInput
from plantwarden.zones.classes import CLASSES

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PROTOCOL = re.compile(r"^[a-z0-9][a-z0-9_./-]{0,63}$")


class ModelError(InvalidInput):
    """The model file is not valid; ``errors`` lists every problem found, with its YAML path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    purdue_level: int | None
    sl_t: int
    cidrs: tuple[IPNetwork, ...] = ()
    macs: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    description: str = ""


@dataclass(frozen=True, slots=True)
class ProtocolRule:
    protocol: str
    ports: frozenset[int] | None = None  # None: any port


@dataclass(frozen=True, slots=True)
class Conduit:
    name: str
    zones: tuple[str, str]
    protocols: tuple[ProtocolRule, ...]
    function_classes: frozenset[str] | None  # None: any class
    initiators: frozenset[str]  # the zones whose members may open connections

    def rule(self, protocol: str) -> ProtocolRule | None:
        for r in self.protocols:
            if r.protocol == protocol:
                return r
        return None


@dataclass(frozen=True, slots=True)
class Firewall:
    """A firewall between zones: which zone lies behind each of its interfaces."""

    name: str
    #: interface name -> zone name
    interfaces: dict[str, str]


@dataclass(frozen=True, slots=True)
class ZoneModel:
    zones: tuple[Zone, ...]
    conduits: tuple[Conduit, ...]
    #: tag -> the IP addresses and MACs the user put it on
    tags: dict[str, frozenset[str]]
    firewalls: tuple[Firewall, ...] = ()

    def firewall(self, name: str) -> Firewall | None:
        return next((f for f in self.firewalls if f.name == name), None)

    def zone(self, name: str) -> Zone | None:
        for z in self.zones:
            if z.name == name:
                return z
        return None

    def conduit_between(self, a: str, b: str) -> Conduit | None:
        pair = {a, b}
        for c in self.conduits:
            if set(c.zones) == pair:
                return c
        return None


class _Reader:
    """Collects every error with its path instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}")

    def mapping(self, value: Any, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.err(path, f"must be a mapping, not {_kind(value)}")
            return {}
        allowed = set(allowed)
        for k in value:
            if not isinstance(k, str) or k not in allowed:
                self.err(f"{path}.{k}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in value:
                self.err(f"{path}.{k}", "is required")
        return {k: v for k, v in value.items() if isinstance(k, str) and k in allowed}

    def seq(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.err(path, f"must be a list, not {_kind(value)}")
            return []
        return value

    def name(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not _NAME.match(value):
            self.err(path, "must be a name of letters, digits, '_', '.' or '-' (at most 64, not starting with "
                           f"a punctuation mark), not {_show(value)}")
            return None
        return value

    def int_in(self, value: Any, path: str, lo: int, hi: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.err(path, f"must be an integer from {lo} to {hi}, not {_show(value)}")
            return None
        return value


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "empty"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_model_file(path: str) -> ZoneModel:
    """Read and validate a model file; raises ModelError (also for a file that cannot be read)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError([f"cannot read the model: {exc}"]) from None
    return load_model(text)


def load_model(text: str) -> ZoneModel:
    """Parse and validate the YAML text of a model; raises ModelError listing every problem."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelError([f"not valid YAML: {where}{problem}"]) from None
    except RecursionError:
        raise ModelError(["not valid YAML: nested too deeply"]) from None
    r = _Reader()
    top = r.mapping(doc, "$", ("zones", "conduits", "tags", "firewalls"), ("zones",))
    tags = _tags(r, top.get("tags"))
    zones = [z for i, v in enumerate(r.seq(top.get("zones"), "zones")) if (z := _zone(r, v, f"zones[{i}]"))]
    names: dict[str, int] = {}
    for i, z in enumerate(zones):
        if z.name in names:
            r.err(f"zones[{i}].name", f"zone {z.name!r} is defined twice")
        names.setdefault(z.name, i)
    conduits: list[Conduit] = []
    pairs: dict[frozenset[str], str] = {}
    for i, v in enumerate(r.seq(top.get("conduits"), "conduits")):
        c = _conduit(r, v, f"conduits[{i}]", names)
        if c is None:
            continue
        pair = frozenset(c.zones)
        if pair in pairs:
            r.err(f"conduits[{i}].zones", f"zones {c.zones[0]!r} and {c.zones[1]!r} already have conduit "
                                          f"{pairs[pair]!r} (one conduit per pair of zones)")
        if any(c.name == o.name for o in conduits):
            r.err(f"conduits[{i}].name", f"conduit {c.name!r} is defined twice")
        pairs.setdefault(pair, c.name)
        conduits.append(c)
    firewalls: list[Firewall] = []
    for i, v in enumerate(r.seq(top.get("firewalls"), "firewalls")):
        fw = _firewall(r, v, f"firewalls[{i}]", names)
        if fw is None:
            continue
        if any(fw.name == o.name for o in firewalls):
            r.err(f"firewalls[{i}].name", f"firewall {fw.name!r} is defined twice")
        firewalls.append(fw)
    if r.errors:
        raise ModelError(r.errors)
    return ZoneModel(tuple(zones), tuple(conduits), tags, tuple(firewalls))


#: an interface name as Linux allows it (at most 15 bytes, no '/', no white space); a trailing '+'
#: (iptables) or '*' (nftables) is a prefix wildcard
_IFACE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}[+*]?$")


def _firewall(r: _Reader, value: Any, path: str, zones: dict[str, int]) -> Firewall | None:
    n = len(r.errors)
    m = r.mapping(value, path, ("name", "interfaces", "description"), ("name", "interfaces"))
    name = r.name(m.get("name"), f"{path}.name") if "name" in m else None
    ifaces: dict[str, str] = {}
    raw = m.get("interfaces")
    if "interfaces" in m and (not isinstance(raw, dict) or not raw):
        r.err(f"{path}.interfaces", "must be a mapping of interface name -> zone name, with at least one entry")
    elif isinstance(raw, dict):
        for iface, zone in raw.items():
            where = f"{path}.interfaces.{iface}"
            if not isinstance(iface, str) or not _IFACE.match(iface):
                r.err(where, f"must be an interface name such as eth0 or br-ot (at most 15 characters), not "
                             f"{_show(iface)}")
            elif not isinstance(zone, str) or zone not in zones:
                r.err(where, f"no zone named {_show(zone)}")
            else:
                ifaces[iface] = zone
    desc = m.get("description", "")
    if not isinstance(desc, str):
        r.err(f"{path}.description", "must be a string")
    if len(r.errors) > n or name is None:
        return None
    return Firewall(name, ifaces)


def _tags(r: _Reader, value: Any) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    if value is None:
        return out
    if not isinstance(value, dict):
        r.err("tags", f"must be a mapping of tag -> list of IP addresses or MACs, not {_kind(value)}")
        return out
    for tag, members in value.items():
        path = f"tags.{tag}"
        if r.name(tag, path) is None:
            continue
        found: set[str] = set()
        for j, m in enumerate(r.seq(members, path)):
            key = address_or_mac(m)
            if key is None:
                r.err(f"{path}[{j}]", f"must be an IP address or a MAC, not {_show(m)}")
            else:
                found.add(key)
        out[tag] = frozenset(found)
    return out


def _zone(r: _Reader, value: Any, path: str) -> Zone | None:
    n = len(r.errors)
    m = r.mapping(value, path, ("name", "purdue_level", "sl_t", "members", "description"), ("name", "sl_t"))
    name = r.name(m.get("name"), f"{path}.name") if "name" in m else None
    level = m.get("purdue_level")
    if level is not None:
        level = r.int_in(level, f"{path}.purdue_level", 0, 5)
    sl_t = r.int_in(m.get("sl_t"), f"{path}.sl_t", 1, 4) if "sl_t" in m else None
    desc = m.get("description", "")
    if not isinstance(desc, str):
        r.err(f"{path}.description", "must be a string")
        desc = ""
    mem = r.mapping(m.get("members", {}), f"{path}.members", ("cidrs", "macs", "tags"))
    cidrs: list[IPNetwork] = []
    for j, c in enumerate(r.seq(mem.get("cidrs"), f"{path}.members.cidrs")):
        try:
            if not isinstance(c, str):
                raise ValueError
            cidrs.append(ipaddress.ip_network(c.strip(), strict=False))
        except ValueError:
            r.err(f"{path}.members.cidrs[{j}]", f"must be an address or network such as 10.0.1.0/24, not {_show(c)}")
    macs: set[str] = set()
    for j, mac in enumerate(r.seq(mem.get("macs"), f"{path}.members.macs")):
        norm = normalize_mac(mac) if isinstance(mac, str) else None
        if norm is None:
            r.err(f"{path}.members.macs[{j}]", f"must be a MAC such as 00:1b:1b:4d:a2:10, not {_show(mac)}")
        else:
            macs.add(norm)
    tags: set[str] = set()
    for j, t in enumerate(r.seq(mem.get("tags"), f"{path}.members.tags")):
        if r.name(t, f"{path}.members.tags[{j}]") is not None:
            tags.add(t)
    if len(r.errors) > n or name is None or sl_t is None:
        return None
    return Zone(name, level, sl_t, tuple(cidrs), frozenset(macs), frozenset(tags), desc)


def _conduit(r: _Reader, value: Any, path: str, zones: dict[str, int]) -> Conduit | None:
    n = len(r.errors)
    m = r.mapping(value, path, ("name", "zones", "protocols", "function_classes", "initiators", "description"),
                  ("zones", "protocols"))
    pair = r.seq(m.get("zones"), f"{path}.zones")
    if "zones" in m and (len(pair) != 2 or pair[0] == pair[1]):
        r.err(f"{path}.zones", "must name two different zones")
    for j, z in enumerate(pair):
        if isinstance(z, str) and z not in zones:
            r.err(f"{path}.zones[{j}]", f"no zone named {_show(z)}")
        elif not isinstance(z, str):
            r.err(f"{path}.zones[{j}]", f"must be a zone name, not {_show(z)}")
    name = m.get("name")
    if name is None and len(pair) == 2:
        name = f"{pair[0]}--{pair[1]}"
    elif name is not None:
        name = r.name(name, f"{path}.name")
    rules: list[ProtocolRule] = []
    protos = r.seq(m.get("protocols"), f"{path}.protocols")
    if "protocols" in m and not protos:
        r.err(f"{path}.protocols", "must list at least one protocol")
    for j, p in enumerate(protos):
        rule = _protocol(r, p, f"{path}.protocols[{j}]")
        if rule is not None:
            rules.append(rule)
    classes: frozenset[str] | None = None
    if "function_classes" in m:
        found: set[str] = set()
        for j, c in enumerate(r.seq(m["function_classes"], f"{path}.function_classes")):
            if c not in CLASSES:
                r.err(f"{path}.function_classes[{j}]", f"must be one of {', '.join(CLASSES)}, not {_show(c)}")
            else:
                found.add(c)
        classes = frozenset(found)
    initiators: set[str] = set()
    if "initiators" in m:
        for j, z in enumerate(r.seq(m["initiators"], f"{path}.initiators")):
            if z not in pair:
                r.err(f"{path}.initiators[{j}]", f"must be one of the conduit's zones, not {_show(z)}")
            else:
                initiators.add(z)
    else:
        initiators = {z for z in pair if isinstance(z, str)}
    desc = m.get("description", "")
    if not isinstance(desc, str):
        r.err(f"{path}.description", "must be a string")
    if len(r.errors) > n or not isinstance(name, str):
        return None
    return Conduit(name, (pair[0], pair[1]), tuple(rules), classes, frozenset(initiators))


def _protocol(r: _Reader, value: Any, path: str) -> ProtocolRule | None:
    if isinstance(value, str):
        value = {"protocol": value}
    m = r.mapping(value, path, ("protocol", "ports"), ("protocol",))
    proto = m.get("protocol")
    if "protocol" in m and (not isinstance(proto, str) or not _PROTOCOL.match(proto)):
        r.err(f"{path}.protocol", f"must be a protocol name such as modbus, s7comm or tcp/4840, not {_show(proto)}")
        return None
    if "ports" not in m:
        return ProtocolRule(proto) if isinstance(proto, str) else None
    ports: set[int] = set()
    for j, p in enumerate(r.seq(m["ports"], f"{path}.ports")):
        port = r.int_in(p, f"{path}.ports[{j}]", 0, 65535)
        if port is not None:
            ports.add(port)
    return ProtocolRule(proto, frozenset(ports)) if isinstance(proto, str) else None
