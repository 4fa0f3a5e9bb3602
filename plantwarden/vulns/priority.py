"""OT prioritisation of findings (docs/vulns.md, "Priorities"): CVSS adjusted by how exposed the asset is,
how critical it is and whether the vulnerability is known to be exploited, sorted into now / next /
never.

Exposure is the widest reach seen or allowed to the asset as a server:

- ``internet``: a public (globally routable) address opened a connection to it;
- ``it``: an asset at Purdue level 4 or 5 did, or, with a zones model, a conduit lets a zone at level 4 or
  5 (or one holding public addresses) initiate to the asset's zone;
- ``ot``: only OT peers did;
- ``none``: nothing was seen connecting to it and no conduit reaches its zone.

Criticality is ``high`` for an asset tagged ``critical`` or ``safety``, and for controllers (role plc);
``medium`` for HMIs, engineering workstations and historians and for an asset tagged ``important``; ``low``
otherwise (``low`` tag too).

``score = cvss x exposure factor x criticality factor`` (internet 1.0, it 0.9, ot 0.75, none 0.4; high
1.0, medium 0.85, low 0.7). Buckets: **now** when the CVE is in the known-exploited list and the asset is
reachable at all, or the score is at least 7.0; **never** when no CVE is known exploited and nothing
reaches the asset or the score is under 4.0; **next** otherwise (a known-exploited CVE is never "never"). A finding without a CVSS score counts as
5.0.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

EXPOSURE: Final = {"internet": 1.0, "it": 0.9, "ot": 0.75, "none": 0.4}
CRITICALITY: Final = {"high": 1.0, "medium": 0.85, "low": 0.7}
ORDER: Final = ("internet", "it", "ot", "none")
DEFAULT_CVSS: Final = 5.0


@dataclass(frozen=True, slots=True)
class Priority:
    bucket: str  # now | next | never
    score: float
    exposure: str
    criticality: str
    kev: bool
    reasons: tuple[str, ...]


def _public(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def exposures(assets: Mapping[str, int | None], initiators: Mapping[str, Iterable[str]],
              model: Any = None) -> dict[str, tuple[str, str]]:
    """asset IP -> (exposure, why) from the initiators seen per server (``initiators``) and the Purdue
    levels of the assets (``assets``: ip -> level), widened by a zones model's conduits when given."""
    out: dict[str, tuple[str, str]] = {}
    for ip in assets:
        best, why = "none", "no connection to it was seen"
        for peer in initiators.get(ip, ()):
            if _public(peer):
                kind, reason = "internet", f"public address {peer} connected to it"
            elif (assets.get(peer) or 0) >= 4:
                kind, reason = "it", f"{peer} (Purdue level {assets[peer]}) connected to it"
            else:
                kind, reason = "ot", f"only OT peers connected to it (e.g. {peer})"
            if ORDER.index(kind) < ORDER.index(best):
                best, why = kind, reason
        out[ip] = (best, why)
    if model is not None:
        from plantwarden.zones.check import place

        for ip in list(out):
            z = place(model, ip, None)
            if z is None:
                continue
            for c in model.conduits:
                if z.name not in c.zones:
                    continue
                other = model.zone(c.zones[0] if c.zones[1] == z.name else c.zones[1])
                if other is None or other.name not in c.initiators:
                    continue
                public = any(n.is_global for n in other.cidrs)
                kind = "internet" if public else "it" if (other.purdue_level or 0) >= 4 else "ot"
                if ORDER.index(kind) < ORDER.index(out[ip][0]):
                    out[ip] = (kind, f"conduit {c.name} lets zone {other.name} initiate to zone {z.name}")
    return out


def criticality(role: str, tags: Iterable[str]) -> tuple[str, str]:
    t = {x.lower() for x in tags}
    if t & {"critical", "safety"}:
        return "high", f"tagged {sorted(t & {'critical', 'safety'})[0]}"
    if "low" in t:
        return "low", "tagged low"
    if role == "plc":
        return "high", "a controller"
    if "important" in t:
        return "medium", "tagged important"
    if role in ("hmi", "engineering_workstation", "historian"):
        return "medium", f"role {role}"
    return "low", f"role {role}"


def prioritise(cvss: float | None, exposure: tuple[str, str], crit: tuple[str, str],
               kev: Iterable[str]) -> Priority:
    known = sorted(kev)
    base = DEFAULT_CVSS if cvss is None else cvss
    score = round(base * EXPOSURE[exposure[0]] * CRITICALITY[crit[0]], 1)
    reasons = [f"CVSS {base:.1f}" + (" (none given)" if cvss is None else ""),
               f"exposure {exposure[0]}: {exposure[1]}", f"criticality {crit[0]}: {crit[1]}"]
    if known:
        reasons.append(f"known exploited: {', '.join(known)}")
    if (known and exposure[0] != "none") or score >= 7.0:  # (exposure none caps the score at 4.0)
        bucket = "now"
    elif not known and (exposure[0] == "none" or score < 4.0):
        bucket = "never"
    else:
        bucket = "next"
    return Priority(bucket, score, exposure[0], crit[0], bool(known), tuple(reasons))
