"""Is one product of an advisory, at one version, affected? (docs/vulns.md)

``decide(advisory, product_id, version)``:

1. A product id the advisory does not define is ``unknown``.
2. A product id that no product_status lists, but that is a part of relationships ("firmware X
   installed on device Y"), is decided through those relationships: affected if any is, unknown if
   none is but one is unknown, else not affected.
3. A product in known_affected, first_affected or last_affected is decided by its range: no version
   information (a product_name leaf) means all versions, so affected; an unparseable range is
   ``unknown`` with the parser's reason; otherwise the range answers, and ``unknown`` when it cannot
   place the version (another prefix, a date against a version, no version observed).
4. A product only in known_not_affected, fixed or first_fixed (or only recommended) is not affected;
   one only under_investigation is unknown.

Matching inventory names to advisory products is not done here (``plantwarden.vulns.names``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from plantwarden.vulns.csaf import AFFECTED_KEYS, NOT_AFFECTED_KEYS, Advisory, Product
from plantwarden.vulns.versions import Unparsed

Verdict = Literal["affected", "not_affected", "unknown"]


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reason: str


def _by_range(product: Product, version: str | None) -> Decision:
    rng = product.range
    if rng is None:
        return Decision("affected", "listed as affected with no version information: all versions")
    if isinstance(rng, Unparsed):
        return Decision("unknown", f"range {rng.text!r} cannot be read: {rng.reason}")
    if not (version and version.strip()) and not rng.all_versions:
        return Decision("unknown", f"no version to compare with range {rng.text!r}")
    inside = rng.contains(version)
    about = f" (version of {rng.component})" if rng.component else ""
    if inside is None:
        return Decision("unknown", f"version {version!r} cannot be compared with range {rng.text!r}{about}")
    if inside:
        return Decision("affected", f"version {version!r} is in range {rng.text!r}{about}")
    return Decision("not_affected", f"version {version!r} is outside range {rng.text!r}{about}")


def _direct(product: Product, version: str | None, statuses: frozenset[str]) -> Decision:
    if statuses & AFFECTED_KEYS:
        return _by_range(product, version)
    if statuses & NOT_AFFECTED_KEYS:
        return Decision("not_affected", f"listed as {', '.join(sorted(statuses & NOT_AFFECTED_KEYS))}")
    if "under_investigation" in statuses:
        return Decision("unknown", "under investigation")
    return Decision("not_affected", "only listed as recommended")


def decide(advisory: Advisory, product_id: str, version: str | None) -> Decision:
    """Whether ``product_id`` of ``advisory`` at ``version`` is affected (see the module docstring)."""
    product = advisory.products.get(product_id)
    if product is None:
        return Decision("unknown", f"{advisory.tracking_id} defines no product {product_id!r}")
    statuses = advisory.statuses_of(product_id)
    if statuses:
        return _direct(product, version, statuses)
    related = [(p, advisory.statuses_of(p.product_id)) for p in advisory.relationships_of(product_id)]
    decisions = [(p, _direct(p, version, st)) for p, st in related if st]
    if not decisions:
        return Decision("unknown", f"no product_status of {advisory.tracking_id} lists {product_id!r}")
    for verdict in ("affected", "unknown"):
        for p, d in decisions:
            if d.verdict == verdict:
                return Decision(verdict, f"as {p.name!r}: {d.reason}")
    return Decision("not_affected", f"not affected in any of its {len(decisions)} relationships")
