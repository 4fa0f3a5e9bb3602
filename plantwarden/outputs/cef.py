"""ArcSight Common Event Format (CEF) version 0 for alert documents (docs/outputs.md, "CEF").

``CEF:0|plantwarden|plantwarden|<version>|<detection>|<title>|<severity>|<extensions>``. In the header a
backslash and a pipe are escaped (``\\\\``, ``\\|``); in extension values a backslash, an equals sign and
line breaks (``\\\\``, ``\\=``, ``\\n``, ``\\r``). Line breaks in the header become ``\\n``/``\\r`` as well,
so that no value can end the line or forge a field.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

#: our severity -> CEF severity (0-10; ArcSight reads 0-3 low, 4-6 medium, 7-8 high, 9-10 very high)
CEF_SEVERITY: Final = {"low": 3, "medium": 5, "high": 8, "critical": 10}
VENDOR: Final = "plantwarden"
PRODUCT: Final = "plantwarden"
#: the longest value written for one extension (CEF receivers cut long values; ours cut first)
MAX_VALUE: Final = 1023
#: the longest header field written (the title can be long: it quotes wire strings)
MAX_HEADER: Final = 512

_HEADER = str.maketrans({"\\": "\\\\", "|": "\\|", "\n": "\\n", "\r": "\\r"})
_EXT = str.maketrans({"\\": "\\\\", "=": "\\=", "\n": "\\n", "\r": "\\r"})


def escape_header(value: Any) -> str:
    return ("" if value is None else str(value))[:MAX_HEADER].translate(_HEADER)


def escape_extension(value: Any) -> str:
    return ("" if value is None else str(value))[:MAX_VALUE].translate(_EXT)


@cache
def product_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("plantwarden")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        return "0"


def cef_severity(severity: Any) -> int:
    return CEF_SEVERITY.get(str(severity), 5)


def cef_message(doc: Mapping[str, Any]) -> str:
    """One alert document (docs/alerts.md) as one CEF line (without a line break)."""
    head = "|".join(escape_header(v) for v in (
        "CEF:0", VENDOR, PRODUCT, product_version(), doc.get("detection"), doc.get("title"),
        cef_severity(doc.get("severity"))))
    ext: list[tuple[str, Any]] = [
        ("externalId", doc.get("id")),
        ("start", _ms(doc.get("first_seen"))),
        ("end", _ms(doc.get("last_seen"))),
        ("cnt", doc.get("count")),
    ]
    ext += _address("src", "c6a2", doc.get("src"))
    ext += _address("dst", "c6a3", doc.get("dst"))
    ext += [
        ("cs1Label", "technique"), ("cs1", doc.get("technique")),
        ("cs2Label", "technique_name"), ("cs2", doc.get("technique_name")),
        ("cs3Label", "state"), ("cs3", doc.get("state")),
        ("cs4Label", "key"), ("cs4", doc.get("key")),
    ]
    ioc = first_indicator(doc)
    if ioc is not None:
        ext += [("cs5Label", "indicator"), ("cs5", f"{ioc.get('indicator_kind')}:{ioc.get('indicator')}"),
                ("cs6Label", "indicator_source"), ("cs6", ioc.get("indicator_source"))]
    tactics = doc.get("tactics")
    if tactics:
        ext.append(("cat", ",".join(str(t) for t in tactics)))
    ext.append(("msg", doc.get("title")))
    body = " ".join(f"{k}={escape_extension(v)}" for k, v in ext if v is not None and v != "")
    return f"{head}|{body}"


def first_indicator(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The details of the first evidence item that names an indicator (alerts of ``ioc.match``)."""
    for item in doc.get("evidence") or ():
        details = item.get("details") if isinstance(item, Mapping) else None
        if isinstance(details, Mapping) and details.get("indicator") is not None:
            return details
    return None


def _ms(ts: Any) -> int | None:
    return int(round(float(ts) * 1000)) if isinstance(ts, int | float) else None


def _address(v4_key: str, v6_key: str, addr: Any) -> list[tuple[str, Any]]:
    """CEF's ``src``/``dst`` hold IPv4 addresses; IPv6 goes to ``c6a2``/``c6a3`` with their labels;
    anything else (e.g. a MAC) is left out."""
    if not isinstance(addr, str):
        return []
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return []
    if ip.version == 4:
        return [(v4_key, str(ip))]
    label = "source_ipv6" if v4_key == "src" else "destination_ipv6"
    return [(v6_key + "Label", label), (v6_key, str(ip))]
