"""``nft -j list ruleset`` output -> :class:`Ruleset`.

Malformed JSON or a document without the ``nftables`` array raises :class:`RulesetError`; anything
inside the array it cannot read is counted in ``Ruleset.unparsed`` (by JSON path) or kept in the rule
as an opaque match. Never raises anything else.
"""

from __future__ import annotations

import json
from typing import Any

from plantwarden.core.errors import InvalidInput
from plantwarden.firewall.model import (
    ANY_ADDR,
    ANY_NAMES,
    ANY_PORT,
    CT_STATES,
    V4,
    V6,
    Chain,
    Intervals,
    Names,
    Rule,
    Ruleset,
    Unparsed,
    address_range,
    complement,
    intersect,
    network,
    normalize,
)

_FAMILY_SPACE = {"ip": V4, "ip6": V6, "inet": ANY_ADDR, "bridge": ANY_ADDR, "netdev": ANY_ADDR, "arp": ANY_ADDR}
_PORT_PROTOS = frozenset({"tcp", "udp", "sctp", "udplite", "dccp"})
_PROTO_NUMBERS = {1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp", 136: "udplite", 33: "dccp"}
_SERVICES = {"ssh": 22, "telnet": 23, "http": 80, "https": 443, "domain": 53, "snmp": 161, "ntp": 123,
             "ftp": 21, "smtp": 25, "bootps": 67, "bootpc": 68, "mbap": 502, "iso-tsap": 102}
_VERDICTS = {"accept": "accept", "drop": "drop", "reject": "reject", "return": "return", "queue": "queue",
             "jump": "jump", "goto": "goto", "continue": None}
#: statements that neither match nor decide (they do not narrow the match)
_HARMLESS = frozenset({"counter", "log", "comment", "notrack", "meta", "mangle", "ct", "flow"})
MAX_DEPTH = 64


class RulesetError(InvalidInput):
    """The rule set cannot be read at all (not JSON, truncated, or not an nftables document)."""


def parse_nft_json(text: str) -> Ruleset:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise RulesetError(f"not valid JSON (truncated?): {exc}") from None
    items = doc.get("nftables") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise RulesetError('not an nftables JSON rule set: expected {"nftables": [...]} (nft -j list ruleset)')
    rs = Ruleset("nftables-json")
    chains: dict[tuple[str, str, str], Chain] = {}
    sets: dict[tuple[str, str, str], Any] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("set"), dict):
            s = item["set"]
            sets[(str(s.get("family")), str(s.get("table")), str(s.get("name")))] = s.get("elem", [])
    for idx, item in enumerate(items):
        where = f"nftables[{idx}]"
        if not isinstance(item, dict) or len(item) != 1:
            rs.unparsed.append(Unparsed(where, "not a one-key object", _short(item)))
            continue
        (kind, obj), = item.items()
        if kind in ("metainfo", "table", "set", "map", "element", "flowtable", "counter", "quota", "limit",
                    "ct helper", "ct timeout", "ct expectation", "secmark", "synproxy"):
            continue
        if not isinstance(obj, dict):
            rs.unparsed.append(Unparsed(where, f"{kind} is not an object", _short(item)))
            continue
        if kind == "chain":
            key = (str(obj.get("family")), str(obj.get("table")), str(obj.get("name")))
            ch = chains.get(key)
            if ch is None:
                ch = chains[key] = Chain(f"{key[0]} {key[1]}", key[2], source=where)
                rs.chains.append(ch)
            if obj.get("hook") is not None:
                ch.hook = str(obj.get("hook"))
                ch.policy = str(obj.get("policy", "accept"))
                ch.kind = str(obj.get("type", "filter"))
            continue
        if kind == "rule":
            key = (str(obj.get("family")), str(obj.get("table")), str(obj.get("chain")))
            ch = chains.get(key)
            if ch is None:
                ch = chains[key] = Chain(f"{key[0]} {key[1]}", key[2], source=where)
                rs.chains.append(ch)
            ch.rules.append(_rule(rs, ch, obj, where, sets, key[0], key[1]))
            continue
        rs.unparsed.append(Unparsed(where, f"unknown object {kind!r}", _short(item)))
    return rs


def _short(x: Any) -> str:
    try:
        text = json.dumps(x, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(type(x))
    return text if len(text) <= 200 else text[:197] + "..."


class _Opaque(Exception):
    pass


def _rule(rs: Ruleset, ch: Chain, obj: dict[str, Any], where: str, sets: dict[tuple[str, str, str], Any],
          family: str, table: str) -> Rule:
    space = _FAMILY_SPACE.get(family, ANY_ADDR)
    f: dict[str, Any] = {"src": space, "dst": space, "protocols": ANY_NAMES, "sports": ANY_PORT,
                         "dports": ANY_PORT, "in_ifaces": ANY_NAMES, "out_ifaces": ANY_NAMES,
                         "states": CT_STATES}
    opaque: list[str] = []
    action: str | None = None
    target: str | None = None
    exprs = obj.get("expr")
    if not isinstance(exprs, list):
        rs.unparsed.append(Unparsed(where, "rule without an expr list", _short(obj)))
        exprs = []
        opaque.append("unparsed")
        action = "unparsed"
    for st in exprs:
        if not isinstance(st, dict) or len(st) != 1:
            opaque.append(_short(st))
            continue
        (k, v), = st.items()
        if k == "match" and isinstance(v, dict):
            try:
                _match(f, v, sets, family, table)
            except (_Opaque, ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):
                opaque.append(_short(v))
            continue
        if k in _VERDICTS:
            action = _VERDICTS[k]
            if k in ("jump", "goto") and isinstance(v, dict):
                target = str(v.get("target"))
            continue
        if k in _HARMLESS:
            continue
        if k == "vmap":  # a verdict map decides, but per packet: an action the analysis cannot compare
            action = "vmap"
            opaque.append(_short(st))
            continue
        opaque.append(_short(st))  # limit, quota, xt (iptables-nft compat), ...
    handle = obj.get("handle")
    comment = obj.get("comment")
    return Rule(
        table=ch.table, chain=ch.name, position=len(ch.rules) + 1, source=where, text=_text(exprs, comment),
        action=action, target=target, opaque=tuple(opaque), handle=handle if isinstance(handle, int) else None,
        comment=comment if isinstance(comment, str) else None, **f)


def _text(exprs: list[Any], comment: Any) -> str:
    """A compact rendering of the rule for reports (not nft syntax: the JSON expressions, shortened)."""
    parts = []
    for st in exprs:
        if isinstance(st, dict) and "counter" in st:
            continue
        parts.append(_short(st))
    text = " ".join(parts)
    return text if len(text) <= 400 else text[:397] + "..."


def _match(f: dict[str, Any], m: dict[str, Any], sets: dict[tuple[str, str, str], Any], family: str,
           table: str) -> None:
    op = m.get("op", "==")
    left, right = m.get("left"), m.get("right")
    if isinstance(right, str) and right.startswith("@"):
        elems = sets.get((family, table, right[1:]))
        if not isinstance(elems, list):
            raise _Opaque
        right = {"set": elems}
    if op not in ("==", "!=", "in", "<", "<=", ">", ">="):
        raise _Opaque
    neg = op == "!="
    if not isinstance(left, dict) or len(left) != 1:
        raise _Opaque
    (lk, lv), = left.items()
    if not isinstance(lv, dict):
        raise _Opaque
    if lk == "payload":
        proto, fld = lv.get("protocol"), lv.get("field")
        if proto in ("ip", "ip6") and fld in ("saddr", "daddr"):
            if op not in ("==", "!=", "in"):
                raise _Opaque
            addrs = intersect(_addresses(right), V4 if proto == "ip" else V6)
            space = V4 if proto == "ip" else V6
            if neg:
                addrs = complement(addrs, space)
            name = "src" if fld == "saddr" else "dst"
            f[name] = intersect(f[name], addrs)
            # the match also says "this is IPv4 (IPv6)"
            other = "dst" if name == "src" else "src"
            f[other] = intersect(f[other], space)
            return
        if proto in ("ip", "ip6") and fld in ("protocol", "nexthdr"):
            _protocols(f, right, neg, op)
            return
        if (proto in _PORT_PROTOS or proto == "th") and fld in ("sport", "dport"):
            ports = _ports(right, op)
            if neg:
                ports = complement(ports, ANY_PORT)
            name = "sports" if fld == "sport" else "dports"
            f[name] = intersect(f[name], ports)
            if proto != "th":
                f["protocols"] = f["protocols"].intersect(Names(frozenset({proto}), False))
            return
        raise _Opaque
    if lk == "meta":
        key = lv.get("key")
        if key == "l4proto":
            _protocols(f, right, neg, op)
            return
        if key in ("iifname", "oifname"):
            if op not in ("==", "!=", "in"):
                raise _Opaque
            names = Names(frozenset(str(x) for x in _flat(right)), neg)
            name = "in_ifaces" if key == "iifname" else "out_ifaces"
            f[name] = f[name].intersect(names)
            return
        if key in ("nfproto", "protocol"):  # meta protocol is the ethertype: ip / ip6
            vals = {str(x) for x in _flat(right)}
            fam = {"ipv4": V4, "ipv6": V6, "ip": V4, "ip6": V6}
            space = normalize([s for v in vals for s in fam[v]])
            if neg:
                space = complement(space, ANY_ADDR)
            f["src"], f["dst"] = intersect(f["src"], space), intersect(f["dst"], space)
            return
        raise _Opaque
    if lk == "ct" and lv.get("key") == "state" and "dir" not in lv:
        vals = {str(x) for x in _flat(right)}
        if not vals <= CT_STATES or op not in ("==", "!=", "in"):
            raise _Opaque
        f["states"] = f["states"] & (CT_STATES - vals if neg else frozenset(vals))
        return
    raise _Opaque


def _flat(right: Any) -> list[Any]:
    if isinstance(right, dict) and "set" in right:
        right = right["set"]
    if isinstance(right, list):
        out = []
        for x in right:
            if isinstance(x, dict) and "elem" in x and isinstance(x["elem"], dict):
                x = x["elem"].get("val")
            if isinstance(x, dict | list):
                raise _Opaque
            out.append(x)
        return out
    if isinstance(right, dict):
        raise _Opaque
    return [right]


def _items(right: Any) -> list[Any]:
    if isinstance(right, dict) and "set" in right:
        right = right["set"]
    items = right if isinstance(right, list) else [right]
    out = []
    for x in items:
        if isinstance(x, dict) and "elem" in x and isinstance(x["elem"], dict):
            x = x["elem"].get("val")
        out.append(x)
    return out


def _addresses(right: Any) -> Intervals:
    spans: list[tuple[int, int]] = []
    for x in _items(right):
        if isinstance(x, str):
            spans.extend(network(x))
        elif isinstance(x, dict) and isinstance(x.get("prefix"), dict):
            p = x["prefix"]
            spans.extend(network(f"{p['addr']}/{int(p['len'])}"))
        elif isinstance(x, dict) and isinstance(x.get("range"), list) and len(x["range"]) == 2:
            spans.extend(address_range(str(x["range"][0]), str(x["range"][1])))
        else:
            raise _Opaque
    return normalize(spans)


def _port(x: Any) -> int:
    if isinstance(x, bool):
        raise _Opaque
    if isinstance(x, str):
        x = int(x) if x.isdigit() else _SERVICES.get(x)
    if not isinstance(x, int) or not 0 <= x <= 65535:
        raise _Opaque
    return x


def _ports(right: Any, op: str) -> Intervals:
    if op in ("<", "<=", ">", ">="):
        p = _port(right)
        lo, hi = {"<": (0, p - 1), "<=": (0, p), ">": (p + 1, 65535), ">=": (p, 65535)}[op]
        return normalize([(lo, hi)])
    spans = []
    for x in _items(right):
        if isinstance(x, dict) and isinstance(x.get("range"), list) and len(x["range"]) == 2:
            spans.append((_port(x["range"][0]), _port(x["range"][1])))
        else:
            p = _port(x)
            spans.append((p, p))
    return normalize(spans)


def _protocols(f: dict[str, Any], right: Any, neg: bool, op: str) -> None:
    if op not in ("==", "!=", "in"):
        raise _Opaque
    names = set()
    for x in _flat(right):
        if isinstance(x, bool):
            raise _Opaque
        names.add(_PROTO_NUMBERS.get(x, str(x)) if isinstance(x, int) else str(x).lower())
    f["protocols"] = f["protocols"].intersect(Names(frozenset(names), neg))
