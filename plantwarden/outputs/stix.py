"""STIX 2.1 sightings of alert documents (docs/outputs.md, "STIX").

One bundle: an ``identity`` for the sensor (``where_sighted_refs`` and ``created_by_ref`` of every
sighting), and per alert one ``sighting``:
- an alert of ``ioc.match`` is a sighting of its indicator: the feed's own indicator id when the
  indicator came from STIX, else an ``indicator`` object made here with the equivalent pattern; its
  ``observed-data`` holds the observed value and the two addresses as STIX cyber observables;
- any other alert is a sighting of an ``attack-pattern`` that names its ATT&CK for ICS technique in
  an external reference (source ``mitre-attack``, the technique id and URL).
Object ids of what is made here are UUIDv5 of their content, so exporting twice gives the same ids.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from plantwarden.outputs.cef import first_indicator

#: the namespace of the UUIDv5 ids made by this module
NAMESPACE: Final = uuid.UUID("5b6f0a8e-4b7c-5d0e-9a1f-3c2d7e8f9a10")
SENSOR_NAME: Final = "plantwarden sensor"
_MAX_COUNT: Final = 999_999_999  # STIX caps a sighting's count
#: created/modified of the objects that describe no traffic (identity, attack patterns, indicators made
#: here): fixed, so that each keeps one id and one version however often it is exported
DEFINED: Final = datetime(2024, 1, 1, tzinfo=UTC)


def _id(kind: str, *parts: Any) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(str(p) for p in parts))}"


def _time(ts: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


def _sco_for(kind: str, value: str) -> Any:
    """The STIX cyber observable of an observed value (None when there is none)."""
    import stix2

    if kind in ("ip", "cidr"):
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return None
        return stix2.IPv4Address(value=str(ip)) if ip.version == 4 else stix2.IPv6Address(value=str(ip))
    if kind == "domain":
        return stix2.DomainName(value=value)
    if kind == "url":
        return stix2.URL(value=value)
    if kind == "sha256":
        return stix2.X509Certificate(hashes={"SHA-256": value})
    return None


def _pattern(kind: str, value: str) -> str:
    quoted = value.replace("\\", "\\\\").replace("'", "\\'")
    if kind in ("ip", "cidr"):
        net = ipaddress.ip_network(value, strict=False)
        return f"[{'ipv4-addr' if net.version == 4 else 'ipv6-addr'}:value = '{quoted}']"
    if kind == "domain":
        return f"[domain-name:value = '{quoted}']"
    if kind == "url":
        return f"[url:value = '{quoted}']"
    algo = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}[kind]
    return f"[file:hashes.'{algo}' = '{quoted}']"


def sightings_bundle(docs: Iterable[Mapping[str, Any]], now: float) -> str:
    """A STIX 2.1 bundle (JSON text) of sightings of the alert documents; ``now`` stamps the objects
    made here that have no traffic time of their own (the identity)."""
    import stix2

    made = _time(now)
    identity = stix2.Identity(id=_id("identity", SENSOR_NAME), name=SENSOR_NAME, identity_class="system",
                              created=DEFINED, modified=DEFINED,
                              description="plantwarden passive OT/ICS security sensor")
    objects: dict[str, Any] = {identity.id: identity}
    for doc in docs:
        first, last = _time(doc.get("first_seen")), _time(doc.get("last_seen"))
        count = max(1, min(int(doc.get("count") or 1), _MAX_COUNT))
        ref = f"plantwarden alert {doc.get('id')}"
        common: dict[str, Any] = {
            "created_by_ref": identity.id, "where_sighted_refs": [identity.id], "first_seen": first,
            "last_seen": last, "count": count, "description": str(doc.get("title") or ""),
            "external_references": [{"source_name": "plantwarden", "external_id": f"alert-{doc.get('id')}",
                                     "description": f"{doc.get('detection')} ({doc.get('state')})"}],
            "created": made, "modified": made,
        }
        ioc = first_indicator(doc)
        if ioc is not None and ioc.get("indicator_kind") and ioc.get("indicator"):
            kind, value = str(ioc["indicator_kind"]), str(ioc["indicator"])
            target = ioc.get("stix_id")
            if not (isinstance(target, str) and target.startswith("indicator--")):
                ind = stix2.Indicator(id=_id("indicator", kind, value), pattern=_pattern(kind, value),
                                      pattern_type="stix", valid_from=DEFINED, created=DEFINED, modified=DEFINED,
                                      name=f"{kind} {value}", created_by_ref=identity.id,
                                      description=str(ioc.get("indicator_description") or "") or None)
                objects[ind.id] = ind
                target = ind.id
            seen_kind = "ip" if kind == "cidr" else kind
            scos = [o for o in (_sco_for(seen_kind, str(ioc.get("observed") or value)),
                                _sco_for("ip", str(doc.get("src"))), _sco_for("ip", str(doc.get("dst"))))
                    if o is not None]
            for o in scos:
                objects[o.id] = o
            observed_refs = []
            if scos:
                observed = stix2.ObservedData(id=_id("observed-data", ref), first_observed=first,
                                              last_observed=last, number_observed=count,
                                              object_refs=list(dict.fromkeys(o.id for o in scos)),
                                              created_by_ref=identity.id, created=made, modified=made)
                objects[observed.id] = observed
                observed_refs = [observed.id]
            sighting = stix2.Sighting(id=_id("sighting", ref), sighting_of_ref=target,
                                      **({"observed_data_refs": observed_refs} if observed_refs else {}), **common)
        else:
            technique = str(doc.get("technique") or "")
            name = str(doc.get("technique_name") or technique or "unknown technique")
            ap = stix2.AttackPattern(
                id=_id("attack-pattern", technique), name=name, created=DEFINED, modified=DEFINED,
                created_by_ref=identity.id,
                external_references=[{"source_name": "mitre-attack", "external_id": technique,
                                      "url": f"https://attack.mitre.org/techniques/{technique}"}])
            objects[ap.id] = ap
            sighting = stix2.Sighting(id=_id("sighting", ref), sighting_of_ref=ap.id, **common)
        objects[sighting.id] = sighting
    bundle = stix2.Bundle(objects=list(objects.values()), allow_custom=False)
    return str(bundle.serialize(pretty=True))
