"""Server-side SVG for the web dashboard: a stacked time-series bar chart and a Purdue-level network map.

The SVG is written inline into HTML pages served under a strict Content-Security-Policy, so it holds no
``<script>``, no ``style=`` attribute and no event-handler attribute: only presentation attributes
(``fill``, ``stroke``, ``font-size``...) and ``class`` names the page's stylesheet may refine.

Device names, zone names and protocol names come off the network and are attacker-controlled: every
text and attribute value goes through :func:`_esc` (``html.escape(..., quote=True)`` after removing the
characters XML 1.0 forbids and the bidirectional overrides), class names are reduced to ``[a-z0-9_-]``,
colours are checked against a strict pattern and links are kept only when they are site-relative paths.

Public API: :func:`stacked_bars`, :func:`network_map` (with :class:`MapNode` and :class:`MapEdge`),
:func:`protocol_color` and :func:`role_color`. Every function returns a ``str`` and is deterministic.
"""

from __future__ import annotations

import html
import ipaddress
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

SVG_NS: Final = "http://www.w3.org/2000/svg"
FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

# characters XML 1.0 forbids (a label holding one would make the document ill-formed) and the
# bidirectional controls that let a name display as something else
_UNSAFE_CHARS: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_COLOR: Final = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?|[a-zA-Z]{3,20}")
_CLASS_UNSAFE: Final = re.compile(r"[^a-z0-9_-]")
#: the largest timestamp ``datetime`` can render (9999-12-31 23:59:59 UTC)
_MAX_TS: Final = 253402300799.0
ELLIPSIS: Final = "\u2026"

#: protocol colours: a protocol name hashes (CRC-32) into this list; red is kept for alerts
PROTOCOL_PALETTE: Final[tuple[str, ...]] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
)

#: node colours by role; any other role is drawn in ``ROLE_FALLBACK``
ROLE_PALETTE: Final[Mapping[str, str]] = {
    "plc": "#2e7d32",
    "rtu": "#558b2f",
    "ied": "#9e9d24",
    "hmi": "#1565c0",
    "engineering_workstation": "#6a1b9a",
    "historian": "#ef6c00",
    "server": "#00838f",
    "client": "#5d4037",
    "network": "#37474f",
    "unknown": "#bdbdbd",
}
ROLE_FALLBACK: Final = "#757575"
ALERT_COLOR: Final = "#d32f2f"

#: Purdue levels, top band first, and their names
LEVEL_NAMES: Final[Mapping[int, str]] = {
    5: "enterprise",
    4: "business",
    3: "operations",
    2: "supervisory",
    1: "basic control",
    0: "process",
}
NO_ZONE: Final = "no zone"
LABEL_CHARS: Final = 18
LEGEND_PROTOCOLS: Final = 12


# --------------------------------------------------------------------------------------------------
# helpers


def _clean(text: object) -> str:
    """``text`` as a string without the characters XML forbids or that reorder what is displayed."""
    return _UNSAFE_CHARS.sub("\ufffd", str(text))


def _esc(text: object) -> str:
    """``text`` escaped for an XML text node or a double- or single-quoted attribute value."""
    return html.escape(_clean(text), quote=True)


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when something was cut."""
    if limit < 1:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _class_name(text: str) -> str:
    """A class-name fragment made of ``[a-z0-9_-]`` only."""
    return _CLASS_UNSAFE.sub("", text.strip().lower().replace(" ", "_"))[:32] or "other"


def _safe_href(href: str) -> str:
    """``href`` when it is a site-relative path, ``#`` otherwise (``//host`` and ``/\\host`` leave the site)."""
    if href.startswith("/") and not href.startswith(("//", "/\\")):
        return href
    return "#"


def _text_width(text: str, size: float) -> float:
    """An estimate of the width of ``text`` in ``size`` px sans-serif."""
    return len(text) * size * 0.6


def protocol_color(name: str) -> str:
    """The colour of a protocol: its lower-cased name hashed (CRC-32) into :data:`PROTOCOL_PALETTE`."""
    key = name.strip().lower().encode("utf-8", "surrogatepass")
    return PROTOCOL_PALETTE[zlib.crc32(key) % len(PROTOCOL_PALETTE)]


def role_color(name: str) -> str:
    """The colour of an asset role (:data:`ROLE_PALETTE`), :data:`ROLE_FALLBACK` for any other role."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    return ROLE_PALETTE.get(key, ROLE_FALLBACK)


def _svg_open(width: float, height: float, extra: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" font-family="{_esc(FONT)}" font-size="11" {extra}>'
    )


def _message_svg(title: str, message: str, width: float, height: float, klass: str) -> str:
    """A placeholder SVG that only says ``message``."""
    return "".join(
        (
            _svg_open(
                width, height, f'class="{klass} empty" role="img" aria-label="{_esc(title)}: {_esc(message)}"'
            ),
            f"<title>{_esc(title)}</title>",
            f'<rect x="0.5" y="0.5" width="{_num(width - 1)}" height="{_num(height - 1)}" fill="#fafafa" '
            'stroke="#e0e0e0" class="frame"/>',
            f'<text x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" dominant-baseline="middle" '
            f'fill="#757575" font-size="13" class="no-data">{_esc(message)}</text>',
            "</svg>",
        )
    )


# --------------------------------------------------------------------------------------------------
# stacked bars


def _nice_ticks(top: int) -> list[int]:
    """3 to 5 round tick values from 0 covering ``top``: steps of 1, 2 or 5 times a power of ten."""
    top = max(top, 1)
    magnitude = 1
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * magnitude
            intervals = -(-top // step)
            if intervals <= 4:
                return [i * step for i in range(max(intervals, 2) + 1)]
        magnitude *= 10


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _month_ticks(t0: float, t1: float, months: int) -> list[float]:
    """Month starts between ``t0`` and ``t1`` whose month index is a multiple of ``months``."""
    start = _utc(t0)
    index = start.year * 12 + start.month - 1
    if (start.day, start.hour, start.minute, start.second, start.microsecond) != (1, 0, 0, 0, 0):
        index += 1
    index += -index % months
    ticks: list[float] = []
    while index // 12 <= 9999:
        ts = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp()
        if ts > t1:
            break
        ticks.append(ts)
        index += months
    return ticks


def _time_ticks(t0: float, t1: float) -> list[tuple[float, str]]:
    """3 to 5 (timestamp, label) pairs for the x axis, on round times when possible (UTC).

    The label format follows the span: ``%H:%M`` under 2 days, ``%m-%d`` under 90 days, else
    ``%Y-%m``. Round times whose labels repeat (00:00 twice in a 40-hour span) are not used: the
    fallback is 5, 4 or 3 evenly spaced times, whichever has the most distinct labels (repeats
    dropped). A zero span has one label; a span too short for its format (seconds) may have fewer.
    """
    span = t1 - t0
    fmt = "%H:%M" if span < 2 * 86400 else "%m-%d" if span < 90 * 86400 else "%Y-%m"
    if span <= 0:
        return [(t0, _utc(t0).strftime(fmt))]
    candidates: list[list[float]] = []
    if fmt == "%Y-%m":
        for months in (1, 2, 3, 4, 6, 12, 24, 36, 60, 120, 240, 600, 1200, 2400, 6000):
            candidates.append(_month_ticks(t0, t1, months))
    else:
        minutes = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720)
        days = (1, 2, 3, 4, 5, 7, 10, 14, 21, 30)
        steps = [m * 60 for m in minutes] if fmt == "%H:%M" else [d * 86400 for d in days]
        for step in steps:
            first = math.ceil(t0 / step) * step
            count = int((t1 - first) // step) + 1 if first <= t1 else 0
            candidates.append([float(first + i * step) for i in range(count)])
    for ticks in candidates:
        labelled = [(ts, _utc(ts).strftime(fmt)) for ts in ticks]
        if 3 <= len(labelled) <= 5 and len({label for _, label in labelled}) == len(labelled):
            return labelled
    best: dict[str, float] = {}
    for count in (5, 4, 3):
        seen: dict[str, float] = {}
        for i in range(count):
            ts = t0 + span * i / (count - 1)
            seen.setdefault(_utc(ts).strftime(fmt), ts)
        if len(seen) > len(best):
            best = seen
    return [(ts, label) for label, ts in best.items()]


def _bucket_time(ts: float, seconds: bool) -> str:
    return _utc(ts).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def stacked_bars(
    series: Mapping[str, Sequence[tuple[float, int]]],
    *,
    order: Sequence[str],
    colors: Mapping[str, str],
    title: str,
    width: int = 720,
    height: int = 220,
    buckets: int = 48,
) -> str:
    """A stacked bar chart of counts over time, as an SVG string.

    ``series`` maps a category (a severity, a protocol...) to ``(epoch seconds, count)`` points. The
    points are binned into ``buckets`` equal time buckets from the earliest to the latest timestamp
    (one bucket when they are equal; never more buckets than the plot has pixels) and each bucket is a
    stack of one segment per category, in ``order`` from the bottom (categories not in ``order`` go
    last, sorted). Each segment holds a ``<title>`` tooltip "category: start – end UTC: count".

    Points with a negative, NaN, infinite or unrenderable timestamp, or a negative count, are skipped;
    without any point left the SVG says "no data". ``colors`` maps a category to a colour (``#rgb``,
    ``#rrggbb`` or a colour keyword); other categories get :func:`protocol_color`.
    """
    width = max(int(width), 240)
    height = max(int(height), 120)
    points: dict[str, list[tuple[float, int]]] = {}
    for category, raw in series.items():
        kept: list[tuple[float, int]] = []
        for ts, count in raw:
            t = float(ts)
            c = float(count)
            if not (math.isfinite(t) and 0.0 <= t <= _MAX_TS and math.isfinite(c) and c >= 0):
                continue
            kept.append((t, int(c)))
        points[str(category)] = kept
    stamps = [t for kept in points.values() for t, _ in kept]
    if not stamps:
        return _message_svg(title, "no data", width, height, "chart stacked-bars")

    in_order = [c for c in dict.fromkeys(str(o) for o in order) if c in points]
    categories = in_order + sorted(c for c in points if c not in set(in_order))
    t0, t1 = min(stamps), max(stamps)

    margin_right, margin_top, axis_h, row_h = 12.0, 28.0, 20.0, 18.0
    # the legend: one item per category, wrapped into rows
    legend: list[tuple[str, str, float, int]] = []  # (category, text, x, row)
    totals = {c: sum(n for _, n in points[c]) for c in categories}
    lx, row = 10.0, 0
    for category in categories:
        text = f"{_truncate(category, 24)}: {totals[category]}"
        item_w = 14 + _text_width(text, 11) + 16
        if lx > 10 and lx + item_w > width - margin_right:
            lx, row = 10.0, row + 1
        legend.append((category, text, lx, row))
        lx += item_w
    legend_h = (row + 1) * row_h + 6
    plot_top = margin_top
    plot_h = height - margin_top - axis_h - legend_h - 4
    if plot_h < 60:
        height += int(math.ceil(60 - plot_h))
        plot_h = 60.0
    plot_bottom = plot_top + plot_h

    # binning
    provisional_w = width - 60 - margin_right
    nb = max(1, min(int(buckets), int(provisional_w))) if t1 > t0 else 1
    bucket_s = (t1 - t0) / nb
    counts = {c: [0] * nb for c in categories}
    for category in categories:
        for t, n in points[category]:
            index = min(nb - 1, int((t - t0) / bucket_s)) if bucket_s > 0 else 0
            counts[category][index] += n
    stack_max = max(sum(counts[c][i] for c in categories) for i in range(nb))
    ticks = _nice_ticks(stack_max)
    top = ticks[-1]
    margin_left = 10 + _text_width(str(top), 10) + 8
    plot_left = margin_left
    plot_w = width - margin_left - margin_right
    slot = plot_w / nb
    gap = 1.0 if slot > 4 else 0.0
    fill = {
        c: colors[c] if c in colors and _COLOR.fullmatch(colors[c]) else protocol_color(c) for c in categories
    }

    out: list[str] = [
        _svg_open(width, height, f'class="chart stacked-bars" role="img" aria-label="{_esc(title)}"'),
        f"<title>{_esc(title)}</title>",
        f'<text x="{_num(plot_left)}" y="17" font-size="13" font-weight="600" fill="#212121" '
        f'class="chart-title">{_esc(title)}</text>',
        '<g class="y-axis">',
    ]
    for value in ticks:
        y = plot_bottom - value / top * plot_h
        out.append(
            f'<line x1="{_num(plot_left)}" y1="{_num(y)}" x2="{_num(plot_left + plot_w)}" y2="{_num(y)}" '
            f'stroke="{"#9e9e9e" if value == 0 else "#eeeeee"}" stroke-width="1" class="grid"/>'
        )
        out.append(
            f'<text x="{_num(plot_left - 6)}" y="{_num(y)}" text-anchor="end" dominant-baseline="middle" '
            f'font-size="10" fill="#616161" class="y-tick">{value}</text>'
        )
    out.append("</g>")

    seconds = bucket_s < 60
    out.append('<g class="bars">')
    for i in range(nb):
        start = t0 + i * bucket_s
        end = t1 if i == nb - 1 else t0 + (i + 1) * bucket_s
        span_text = f"{_bucket_time(start, seconds)} \u2013 {_bucket_time(end, seconds)} UTC"
        x = plot_left + i * slot + gap / 2
        base = 0
        for category in categories:
            n = counts[category][i]
            if n <= 0:
                continue
            y_low = plot_bottom - base / top * plot_h
            base += n
            y_high = plot_bottom - base / top * plot_h
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y_high)}" width="{_num(max(slot - gap, 0.5))}" '
                f'height="{_num(max(y_low - y_high, 0.5))}" fill="{_esc(fill[category])}" '
                f'class="segment"><title>{_esc(category)}: {span_text}: {n}</title></rect>'
            )
    out.append("</g>")

    out.append('<g class="x-axis">')
    for ts, label in _time_ticks(t0, t1):
        x = plot_left + ((ts - t0) / (t1 - t0) * plot_w if t1 > t0 else plot_w / 2)
        anchor = "start" if x - plot_left < 20 else "end" if plot_left + plot_w - x < 20 else "middle"
        out.append(
            f'<line x1="{_num(x)}" y1="{_num(plot_bottom)}" x2="{_num(x)}" y2="{_num(plot_bottom + 4)}" '
            'stroke="#9e9e9e" stroke-width="1" class="tick"/>'
        )
        out.append(
            f'<text x="{_num(x)}" y="{_num(plot_bottom + 15)}" text-anchor="{anchor}" font-size="10" '
            f'fill="#616161" class="x-tick">{_esc(label)}</text>'
        )
    out.append("</g>")

    legend_top = plot_bottom + axis_h + 4
    out.append('<g class="legend">')
    for category, text, x, item_row in legend:
        y = legend_top + item_row * row_h
        out.append(
            f'<g class="legend-item"><title>{_esc(category)}: {totals[category]}</title>'
            f'<rect x="{_num(x)}" y="{_num(y)}" width="10" height="10" '
            f'fill="{_esc(fill[category])}"/>'
            f'<text x="{_num(x + 14)}" y="{_num(y + 9)}" fill="#424242">{_esc(text)}</text></g>'
        )
    out.append("</g></svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# network map


@dataclass(frozen=True, slots=True)
class MapNode:
    """One device on the network map; ``href`` is kept only when it is a site-relative path."""

    id: int
    label: str
    ip: str
    role: str
    level: int | None
    zone: str | None
    href: str
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class MapEdge:
    """Traffic of one protocol from ``src`` to ``dst`` (node ids)."""

    src: int
    dst: int
    protocol: str
    flows: int


NODE_R: Final = 7.0
CELL_W: Final = 104.0
CELL_H: Final = 38.0
BOX_PAD: Final = 8.0
BOX_HEAD: Final = 20.0
BOX_GAP: Final = 10.0
BAND_HEAD: Final = 26.0
BAND_PAD: Final = 8.0
BAND_GAP: Final = 10.0
MARGIN: Final = 12.0


def _band_of(level: int | None) -> int | None:
    """The band a level is drawn in: 0-5, or None (unknown) for no level or one outside 0-5."""
    return level if level is not None and level in LEVEL_NAMES else None


def _band_rank(band: int | None) -> int:
    return 6 if band is None else 5 - band


def _band_label(band: int | None) -> str:
    return "Unknown level" if band is None else f"Level {band} \u2014 {LEVEL_NAMES[band]}"


def _ip_key(ip: str) -> tuple[int, int, int, str]:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return (1, 0, 0, ip)
    return (0, address.version, int(address), ip)


def _node_key(node: MapNode) -> tuple[object, ...]:
    band = _band_of(node.level)
    zone = node.zone
    return (
        _band_rank(band),
        zone is None,
        zone or "",
        _ip_key(node.ip),
        node.id,
        node.label,
        node.role,
        node.href,
        node.alerts,
        node.level if node.level is not None else -1,
    )


def _columns(sizes: Sequence[int], total: int) -> list[int]:
    """Columns per zone in one row of zone boxes: at least one each, the rest to the tallest zone."""
    cols = [1] * len(sizes)
    spare = total - len(sizes)
    while spare > 0:
        best = -1
        best_rows = 0
        for i, (n, c) in enumerate(zip(sizes, cols, strict=True)):
            rows = -(-n // c)
            if c < n and rows > best_rows:
                best, best_rows = i, rows
        if best < 0 or best_rows <= 1:
            break
        cols[best] += 1
        spare -= 1
    return cols


@dataclass(slots=True)
class _Box:
    zone: str | None
    nodes: list[MapNode]
    x: float
    y: float
    w: float
    h: float
    cols: int


@dataclass(slots=True)
class _Band:
    band: int | None
    y: float
    h: float
    boxes: list[_Box]


def _layout(
    nodes: Sequence[MapNode], width: float
) -> tuple[list[_Band], dict[int, tuple[float, float]], float]:
    """Bands, zone boxes and node centres for sorted, de-duplicated ``nodes``; the y below the last band."""
    by_band: dict[int | None, dict[str | None, list[MapNode]]] = {}
    for node in nodes:
        by_band.setdefault(_band_of(node.level), {}).setdefault(node.zone, []).append(node)
    inner_x = MARGIN + BAND_PAD
    avail = width - 2 * inner_x
    min_box = CELL_W + 2 * BOX_PAD
    per_row = max(1, int((avail + BOX_GAP) // (min_box + BOX_GAP)))
    bands: list[_Band] = []
    centres: dict[int, tuple[float, float]] = {}
    y = MARGIN
    for band in sorted(by_band, key=_band_rank):
        zones = list(by_band[band].items())
        boxes: list[_Box] = []
        row_y = y + BAND_HEAD
        for start in range(0, len(zones), per_row):
            chunk = zones[start : start + per_row]
            k = len(chunk)
            total_cols = max(k, int((avail - (k - 1) * BOX_GAP - k * 2 * BOX_PAD) // CELL_W))
            cols = _columns([len(members) for _, members in chunk], total_cols)
            base_w = [c * CELL_W + 2 * BOX_PAD for c in cols]
            extra = max(0.0, avail - (k - 1) * BOX_GAP - sum(base_w))
            grid_rows = max(-(-len(members) // c) for (_, members), c in zip(chunk, cols, strict=True))
            box_h = BOX_HEAD + grid_rows * CELL_H + BOX_PAD / 2
            x = inner_x
            for (zone, members), c, w0 in zip(chunk, cols, base_w, strict=True):
                w = w0 + extra * c / sum(cols)
                box = _Box(zone, members, x, row_y, w, box_h, c)
                pitch = (w - 2 * BOX_PAD) / c
                for i, node in enumerate(members):
                    r, col = divmod(i, c)
                    cx = x + BOX_PAD + (col + 0.5) * pitch
                    cy = row_y + BOX_HEAD + r * CELL_H + NODE_R + 5
                    centres[node.id] = (cx, cy)
                boxes.append(box)
                x += w + BOX_GAP
            row_y += box_h + BOX_GAP
        h = row_y - BOX_GAP + BAND_PAD - y
        bands.append(_Band(band, y, h, boxes))
        y += h + BAND_GAP
    return bands, centres, y


def _edge_width(flows: int) -> float:
    return min(8.0, 1.0 + math.log10(1 + max(flows, 0)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def network_map(nodes: Sequence[MapNode], edges: Sequence[MapEdge], *, width: int = 1200) -> str:
    """The network map as an SVG string: one band per Purdue level, zone boxes, devices and traffic.

    Bands go from level 5 down to level 0, then the devices without a (0-5) level; only bands holding
    a device are drawn. In a band the devices are grouped by zone (``None``: "no zone") into boxes side
    by side (wrapping onto more rows of boxes when they do not fit), the devices of a zone in a grid
    that grows downwards, so the height follows the content. Devices are sorted by (level, zone, ip);
    a repeated node id keeps its first occurrence in that order. Each device is a link (``<a>``) to its
    ``href`` when that is a site-relative path (``#`` otherwise), coloured by role, ringed in red (class
    ``alerting``) when it has alerts, its label cut to 18 characters and its details in a ``<title>``.

    Edges are drawn first, as gentle curves between device centres coloured by protocol, wider with
    more flows; repeated (src, dst, protocol) edges are merged, self-loops and edges to unknown nodes
    skipped. A legend lists the protocols (the 12 with most flows, then "+N more") and the roles shown.
    """
    width = max(int(width), 320)
    ordered: list[MapNode] = []
    seen: set[int] = set()
    for node in sorted(nodes, key=_node_key):
        if node.id not in seen:
            seen.add(node.id)
            ordered.append(node)
    if not ordered:
        return _message_svg("Network map", "no devices", width, 120, "network-map")

    bands, centres, bottom = _layout(ordered, width)
    by_id = {node.id: node for node in ordered}

    merged: dict[tuple[int, int, str], int] = {}
    for edge in edges:
        if edge.src == edge.dst or edge.src not in centres or edge.dst not in centres:
            continue
        key = (edge.src, edge.dst, str(edge.protocol))
        merged[key] = merged.get(key, 0) + max(int(edge.flows), 0)
    pairs: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
    for key in sorted(merged):
        src, dst, _ = key
        pairs.setdefault((min(src, dst), max(src, dst)), []).append(key)

    protocol_flows: dict[str, int] = {}
    for (_, _, protocol), flows in merged.items():
        protocol_flows[protocol] = protocol_flows.get(protocol, 0) + flows
    protocols = sorted(protocol_flows, key=lambda p: (-protocol_flows[p], p))
    roles = sorted({node.role for node in ordered})

    # the legend below the bands: a row of protocols (wrapped), then a row of roles
    legend_items: list[tuple[str, str, str, float, float, str]] = []  # (kind, colour, text, x, y, title)
    lx, ly = MARGIN, bottom + 14

    def place(kind: str, colour: str, text: str, title: str) -> None:
        nonlocal lx, ly
        item_w = 16 + _text_width(text, 11) + 14
        if lx > MARGIN and lx + item_w > width - MARGIN:
            lx, ly = MARGIN, ly + 18
        legend_items.append((kind, colour, text, lx, ly, title))
        lx += item_w

    if protocols:
        place("heading", "", "Protocols:", "")
        for protocol in protocols[:LEGEND_PROTOCOLS]:
            text = _truncate(protocol, LABEL_CHARS)
            place(
                "protocol",
                protocol_color(protocol),
                text,
                f"{protocol}: {_plural(protocol_flows[protocol], 'flow')}",
            )
        if len(protocols) > LEGEND_PROTOCOLS:
            rest = protocols[LEGEND_PROTOCOLS:]
            place("more", "", f"+{len(rest)} more", ", ".join(rest))
        lx, ly = MARGIN, ly + 18
    place("heading", "", "Roles:", "")
    for role in roles[:LEGEND_PROTOCOLS]:
        place("role", role_color(role), _truncate(role, LABEL_CHARS), role)
    if len(roles) > LEGEND_PROTOCOLS:
        place("more", "", f"+{len(roles) - LEGEND_PROTOCOLS} more", ", ".join(roles[LEGEND_PROTOCOLS:]))
    height = ly + 12 + MARGIN

    label = f"Network map: {_plural(len(ordered), 'device')}, {_plural(len(merged), 'connection')}"
    out: list[str] = [
        _svg_open(width, height, f'class="network-map" role="group" aria-label="{_esc(label)}"'),
        f"<title>{_esc(label)}</title>",
        '<g class="bands">',
    ]
    for i, band in enumerate(bands):
        band_class = "unknown" if band.band is None else str(band.band)
        out.append(
            f'<g class="band band-{band_class}"><rect x="{_num(MARGIN)}" y="{_num(band.y)}" '
            f'width="{_num(width - 2 * MARGIN)}" height="{_num(band.h)}" rx="6" '
            f'fill="{"#f5f7fa" if i % 2 == 0 else "#eef1f5"}" stroke="#d5dae1" class="band-bg"/>'
            f'<text x="{_num(MARGIN + BAND_PAD)}" y="{_num(band.y + 17)}" font-size="13" font-weight="600" '
            f'fill="#37474f" class="band-label">{_esc(_band_label(band.band))}</text>'
        )
        for box in band.boxes:
            zone = NO_ZONE if box.zone is None else box.zone
            head = f"{zone} \u00b7 {_plural(len(box.nodes), 'device')}"
            head = _truncate(head, int((box.w - 2 * BOX_PAD) // (11 * 0.6)))
            out.append(
                f'<g class="zone{" no-zone" if box.zone is None else ""}"><title>{_esc(zone)}</title>'
                f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" height="{_num(box.h)}" rx="4" '
                'fill="#ffffff" stroke="#b0bec5" stroke-dasharray="4 3" class="zone-box"/>'
                f'<text x="{_num(box.x + BOX_PAD)}" y="{_num(box.y + 14)}" fill="#546e7a" '
                f'class="zone-label">{_esc(head)}</text></g>'
            )
        out.append("</g>")
    out.append("</g>")

    out.append('<g class="edges" fill="none" stroke-linecap="round">')
    for (a, b), keys in sorted(pairs.items()):
        ax, ay = centres[a]
        bx, by = centres[b]
        length = math.hypot(bx - ax, by - ay) or 1.0
        nx, ny = -(by - ay) / length, (bx - ax) / length
        for k, key in enumerate(keys):
            src, dst, protocol = key
            bow = min(0.12 * length, 40.0) + (k - (len(keys) - 1) / 2) * 14.0
            cx, cy = (ax + bx) / 2 + nx * bow, (ay + by) / 2 + ny * bow
            (x1, y1), (x2, y2) = centres[src], centres[dst]
            s, d = by_id[src], by_id[dst]
            flows = merged[key]
            tip = f"{s.label} ({s.ip}) \u2192 {d.label} ({d.ip}) {protocol}, {_plural(flows, 'flow')}"
            out.append(
                f'<path d="M{_num(x1)} {_num(y1)} Q{_num(cx)} {_num(cy)} {_num(x2)} {_num(y2)}" '
                f'stroke="{protocol_color(protocol)}" stroke-width="{_num(_edge_width(flows))}" '
                f'stroke-opacity="0.6" class="edge proto-{_class_name(protocol)}"><title>{_esc(tip)}</title></path>'
            )
    out.append("</g>")

    out.append('<g class="nodes">')
    for band in bands:
        for box in band.boxes:
            for node in box.nodes:
                cx, cy = centres[node.id]
                zone = NO_ZONE if node.zone is None else node.zone
                level = "unknown" if node.level is None else str(node.level)
                details = [node.label, node.ip, f"role: {node.role}", f"zone: {zone}", f"level: {level}"]
                if node.alerts > 0:
                    details.append(f"{_plural(node.alerts, 'open alert')}")
                shown = _truncate(node.label or node.ip, LABEL_CHARS)
                out.append(f'<a href="{_esc(_safe_href(node.href))}" class="node">')
                tip = "\n".join(details)
                out.append(f"<title>{_esc(tip)}</title>")
                if node.alerts > 0:
                    out.append(
                        f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(NODE_R + 3.5)}" fill="none" '
                        f'stroke="{ALERT_COLOR}" stroke-width="2.5" class="alerting"/>'
                    )
                out.append(
                    f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(NODE_R)}" fill="{role_color(node.role)}" '
                    f'stroke="#263238" stroke-width="1" class="node-dot role-{_class_name(node.role)}"/>'
                    f'<text x="{_num(cx)}" y="{_num(cy + NODE_R + 12)}" text-anchor="middle" font-size="9.5" '
                    f'fill="#263238" stroke="#ffffff" stroke-width="2.5" stroke-opacity="0.85" paint-order="stroke" '
                    f'class="node-label">{_esc(shown)}</text></a>'
                )
    out.append("</g>")

    out.append('<g class="legend">')
    for kind, colour, text, x, y, title in legend_items:
        tip = f"<title>{_esc(title)}</title>" if title else ""
        if kind == "heading":
            out.append(
                f'<text x="{_num(x)}" y="{_num(y + 4)}" font-weight="600" fill="#37474f">{_esc(text)}</text>'
            )
            continue
        if kind == "protocol":
            swatch = (
                f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 12)}" y2="{_num(y)}" stroke="{colour}" '
                'stroke-width="3"/>'
            )
        elif kind == "role":
            swatch = f'<circle cx="{_num(x + 6)}" cy="{_num(y)}" r="5" fill="{colour}" stroke="#263238"/>'
        else:
            swatch = ""
        out.append(
            f'<g class="legend-item legend-{kind}">{tip}{swatch}'
            f'<text x="{_num(x + (16 if swatch else 0))}" y="{_num(y + 4)}" fill="#424242">{_esc(text)}</text></g>'
        )
    out.append("</g></svg>")
    return "".join(out)
