"""Server-side SVG (plantwarden/web/svg.py): well-formed, CSP-safe with hostile names, laid out readably
and deterministically, and faithful to the counts it is given."""

from __future__ import annotations

import itertools
import math
import random
import re
import time
import xml.etree.ElementTree as ET

import pytest

from plantwarden.web.svg import (
    PROTOCOL_PALETTE,
    ROLE_FALLBACK,
    MapEdge,
    MapNode,
    network_map,
    protocol_color,
    role_color,
    stacked_bars,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = ("<script>alert(1)</script>", '"onload="x', "'onmouseover='y", '=HYPERLINK("http://evil/","x")')
T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
SEVERITIES = ["critical", "high", "medium", "low"]
COLORS = {"critical": "#b71c1c", "high": "#ef6c00", "medium": "#fbc02d", "low": "#90a4ae"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == NS + "svg"
    return root


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def assert_csp_safe(svg: str) -> None:
    """No script element, no event handler and no style attribute, in the text and in the parsed tree."""
    assert "<script" not in svg.lower()
    for tag in re.findall(r"<[^>]*>", svg):  # escaped text never holds a raw < or >
        assert not re.search(r"\son[a-z]*\s*=", tag, re.IGNORECASE), tag
        assert not re.search(r"\sstyle\s*=", tag, re.IGNORECASE), tag
    for el in parse(svg).iter():
        assert el.tag.rsplit("}", 1)[-1] not in ("script", "style", "foreignObject")
        for name in el.attrib:
            local = name.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), (el.tag, name)
            assert local != "style", el.tag


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(NS + "title")]


# ---------------------------------------------------------------------------------------------------
# stacked bars


def severity_series(n: int = 200, step: float = 600.0) -> dict[str, list[tuple[float, int]]]:
    rnd = random.Random(7)
    return {s: [(T0 + rnd.randrange(n) * step, rnd.randrange(0, 9)) for _ in range(n)] for s in SEVERITIES}


def segment_counts(root: ET.Element) -> dict[str, int]:
    """category -> the sum of the counts in the bar segments' tooltips ("category: start – end UTC: n")."""
    totals: dict[str, int] = {}
    for rect in root.iter(NS + "rect"):
        if "segment" not in classes(rect):
            continue
        title = rect.find(NS + "title")
        assert title is not None and title.text
        head, count = title.text.rsplit(": ", 1)
        category = head.rsplit(": ", 1)[0]
        assert int(count) > 0
        totals[category] = totals.get(category, 0) + int(count)
    return totals


def tick_texts(root: ET.Element, klass: str) -> list[str]:
    return [t.text or "" for t in root.iter(NS + "text") if klass in classes(t)]


def test_bars_segment_totals_equal_the_input() -> None:
    series = severity_series()
    svg = stacked_bars(series, order=SEVERITIES, colors=COLORS, title="Alerts by severity")
    root = parse(svg)
    expected = {s: sum(n for _, n in pts) for s, pts in series.items()}
    assert segment_counts(root) == {s: n for s, n in expected.items() if n}
    assert sum(segment_counts(root).values()) == sum(expected.values())
    legend = [t.text for t in root.iter(NS + "text") if t.text and ": " in t.text]
    assert legend == [f"{s}: {expected[s]}" for s in SEVERITIES]
    assert root.get("role") == "img" and root.get("aria-label") == "Alerts by severity"


def test_bars_stack_in_order_and_use_given_colours() -> None:
    series = {"zeta": [(T0, 1)], "low": [(T0, 2)], "critical": [(T0, 3)], "alpha": [(T0, 4)]}
    root = parse(stacked_bars(series, order=SEVERITIES, colors={**COLORS, "alpha": "url(#x)"}, title="t"))
    segments = [r for r in root.iter(NS + "rect") if "segment" in classes(r)]
    names = [(r.find(NS + "title").text or "").split(": ")[0] for r in segments]  # type: ignore[union-attr]
    assert names == ["critical", "low", "alpha", "zeta"]  # order first, then the others sorted
    ys = [float(r.get("y", "nan")) for r in segments]
    assert ys == sorted(ys, reverse=True)  # stacked upwards
    fills = {n: r.get("fill") for n, r in zip(names, segments, strict=True)}
    assert fills["critical"] == COLORS["critical"] and fills["low"] == COLORS["low"]
    assert fills["alpha"] == protocol_color("alpha")  # an unsafe colour is replaced
    assert len(segments) == 4  # equal timestamps: one bucket


def test_bars_bucket_count_and_one_bucket_per_slot() -> None:
    series = {"modbus": [(T0 + i * 60.0, 1) for i in range(1000)]}
    root = parse(stacked_bars(series, order=[], colors={}, title="flows", buckets=10))
    xs = {r.get("x") for r in root.iter(NS + "rect") if "segment" in classes(r)}
    assert len(xs) == 10
    assert segment_counts(root) == {"modbus": 1000}


def test_bars_y_ticks_are_round() -> None:
    for peak in (1, 3, 4, 5, 7, 10, 13, 49, 50, 51, 99, 100, 101, 999, 1234, 48_000, 10**7 + 1):
        svg = stacked_bars({"x": [(T0, peak), (T0 + 3600, 0)]}, order=[], colors={}, title="t")
        values = [int(v) for v in tick_texts(parse(svg), "y-tick")]
        assert 3 <= len(values) <= 5, (peak, values)
        assert values[0] == 0 and values[-1] >= peak, (peak, values)
        step = values[1]
        assert values == [i * step for i in range(len(values))], (peak, values)
        magnitude = 10 ** int(math.log10(step))
        assert step % magnitude == 0 and step // magnitude in (1, 2, 5), (peak, values)
        assert values[-2] < peak or len(values) == 3, (peak, values)  # no needless tick above the peak


def test_bars_x_labels_follow_the_span() -> None:
    for span, pattern in (
        (6 * 3600.0, r"\d\d:\d\d"),
        (40 * 3600.0, r"\d\d:\d\d"),
        (10 * 86400.0, r"\d\d-\d\d"),
        (80 * 86400.0, r"\d\d-\d\d"),
        (400 * 86400.0, r"\d{4}-\d\d"),
        (20 * 365 * 86400.0, r"\d{4}-\d\d"),
    ):
        series = {"a": [(T0, 1), (T0 + span, 2)]}
        labels = tick_texts(parse(stacked_bars(series, order=[], colors={}, title="t")), "x-tick")
        assert 3 <= len(labels) <= 5, (span, labels)
        assert all(re.fullmatch(pattern, label) for label in labels), (span, labels)
        assert len(set(labels)) == len(labels), (span, labels)


def test_bars_x_labels_are_round_utc_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30: a local-time label would be off by 5.5 hours
    time.tzset()
    try:
        series = {"a": [(T0, 1), (T0 + 6 * 3600, 1)]}  # 22:13:20 to 04:13:20 UTC
        labels = tick_texts(parse(stacked_bars(series, order=[], colors={}, title="t")), "x-tick")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert labels == ["00:00", "02:00", "04:00"]


def test_bars_x_labels_any_span() -> None:
    rnd = random.Random(11)
    for _ in range(300):
        start, span = rnd.uniform(0, 4e9), 10 ** rnd.uniform(2.5, 9.5)
        svg = stacked_bars({"a": [(start, 1), (start + span, 1)]}, order=[], colors={}, title="t")
        labels = tick_texts(parse(svg), "x-tick")
        assert 3 <= len(labels) <= 5 and len(set(labels)) == len(labels), (start, span, labels)


def test_bars_empty_and_invalid_points_say_no_data() -> None:
    cases: list[dict[str, list[tuple[float, int]]]] = [
        {},
        {"critical": []},
        {"critical": [(math.nan, 3), (math.inf, 1), (-math.inf, 1), (-5.0, 2), (1e300, 1)]},
        {"high": [(T0, -4)]},
    ]
    for series in cases:
        svg = stacked_bars(series, order=SEVERITIES, colors=COLORS, title="Alerts <b>")
        root = parse(svg)
        assert "no data" in "".join(root.itertext())
        assert not [r for r in root.iter(NS + "rect") if "segment" in classes(r)]
        assert_csp_safe(svg)


def test_bars_skip_invalid_timestamps_and_keep_the_rest() -> None:
    series = {"low": [(math.nan, 100), (T0, 2), (-1.0, 100), (T0 + 600, 3), (math.inf, 100)]}
    root = parse(stacked_bars(series, order=SEVERITIES, colors=COLORS, title="t"))
    assert segment_counts(root) == {"low": 5}


def test_bars_escape_hostile_names() -> None:
    series = {name: [(T0 + i * 60, i + 1)] for i, name in enumerate(HOSTILE)}
    svg = stacked_bars(
        series, order=[HOSTILE[0]], colors={HOSTILE[1]: '"/><script>x</script>'}, title=HOSTILE[0]
    )
    assert_csp_safe(svg)
    root = parse(svg)
    assert root.get("aria-label") == HOSTILE[0]
    assert segment_counts(root) == {name: i + 1 for i, name in enumerate(HOSTILE)}
    assert HOSTILE[0] in titles(root)


def test_bars_deterministic() -> None:
    series = severity_series()
    a = stacked_bars(series, order=SEVERITIES, colors=COLORS, title="t")
    b = stacked_bars(dict(reversed(list(series.items()))), order=SEVERITIES, colors=COLORS, title="t")
    assert a == b


# ---------------------------------------------------------------------------------------------------
# network map


def node(i: int, **kw: object) -> MapNode:
    fields: dict[str, object] = {
        "id": i,
        "label": f"dev{i}",
        "ip": f"10.0.{i // 250}.{i % 250 + 1}",
        "role": "plc",
        "level": 1,
        "zone": "cell",
        "href": f"/assets/{i}",
    }
    fields.update(kw)
    return MapNode(**fields)  # type: ignore[arg-type]


def node_links(root: ET.Element) -> dict[str, ET.Element]:
    """First line of each node's title (its full label) -> its <a> element."""
    links: dict[str, ET.Element] = {}
    for a in root.iter(NS + "a"):
        title = a.find(NS + "title")
        assert title is not None and title.text
        links[title.text.split("\n")[0]] = a
    return links


def dots(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(NS + "circle") if "node-dot" in classes(c)]


def centre(el: ET.Element) -> tuple[float, float]:
    return float(el.get("cx", "nan")), float(el.get("cy", "nan"))


def test_map_escapes_hostile_names() -> None:
    nodes = [
        node(i, label=name, zone=name, role=name, ip=name if i == 3 else f"10.0.0.{i}")
        for i, name in enumerate(HOSTILE)
    ]
    nodes.append(node(10, label="bad\x00\x1b\ufffe\u202eexe.txt"))
    edges = [MapEdge(0, 1, HOSTILE[0], 3), MapEdge(1, 2, HOSTILE[1], 1), MapEdge(2, 10, "s7", 4)]
    svg = network_map(nodes, edges)
    assert_csp_safe(svg)
    assert "<script>" not in svg and "alert(1)</script>" not in svg
    root = parse(svg)
    links = node_links(root)
    for name in HOSTILE:
        assert name in links
        title = links[name].find(NS + "title")
        assert title is not None and f"zone: {name}" in (title.text or "")
    assert any(t.startswith(f"{HOSTILE[0]} (10.0.0.0) \u2192 ") for t in titles(root))
    for el in root.iter():  # hostile roles and protocols stay out of class names
        assert re.fullmatch(r"[a-z0-9_ -]*", el.get("class", "")), el.get("class")


def test_map_links_neutralise_foreign_hrefs() -> None:
    hrefs = {
        "ok": "/assets/1",
        "query": '/assets/2?x="a"&y=<b>',
        "js": "javascript:alert(1)",
        "js-upper": " JavaScript:alert(1)",
        "data": "data:text/html,<script>alert(1)</script>",
        "remote": "https://evil.example/",
        "proto-relative": "//evil.example/",
        "backslash": "/\\evil.example/",
        "empty": "",
    }
    nodes = [node(i, label=name, href=href) for i, (name, href) in enumerate(hrefs.items())]
    svg = network_map(nodes, [])
    assert_csp_safe(svg)
    root = parse(svg)
    links = node_links(root)
    assert {name: a.get("href") for name, a in links.items()} == {
        "ok": "/assets/1",
        "query": '/assets/2?x="a"&y=<b>',
        "js": "#",
        "js-upper": "#",
        "data": "#",
        "remote": "#",
        "proto-relative": "#",
        "backslash": "#",
        "empty": "#",
    }
    assert "javascript" not in svg.lower()
    # every node circle and label is inside a link
    inside = {id(c) for a in root.iter(NS + "a") for c in a.iter(NS + "circle")}
    assert all(id(c) in inside for c in dots(root))
    assert len(dots(root)) == len(links) == len(hrefs)


def test_map_bands_top_to_bottom() -> None:
    levels = [0, 3, None, 5, 1, 9, 2]  # 9 is no Purdue level: drawn as unknown; level 4 has no node
    nodes = [node(i, level=level, label=f"n{i}") for i, level in enumerate(levels)]
    root = parse(network_map(nodes, []))
    bands = [g for g in root.iter(NS + "g") if "band" in classes(g)]
    labels = []
    extents = []
    for band in bands:
        text = next(t for t in band.iter(NS + "text") if "band-label" in classes(t))
        rect = next(r for r in band.iter(NS + "rect") if "band-bg" in classes(r))
        labels.append(text.text)
        top = float(rect.get("y", "nan"))
        extents.append((top, top + float(rect.get("height", "nan"))))
    assert labels == [
        "Level 5 \u2014 enterprise",
        "Level 3 \u2014 operations",
        "Level 2 \u2014 supervisory",
        "Level 1 \u2014 basic control",
        "Level 0 \u2014 process",
        "Unknown level",
    ]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(extents))  # stacked, not overlapping
    band_of = {5: 0, 3: 1, 2: 2, 1: 3, 0: 4, None: 5, 9: 5}
    links = node_links(root)
    for i, level in enumerate(levels):
        circle = next(c for c in links[f"n{i}"].iter(NS + "circle") if "node-dot" in classes(c))
        top, bottom = extents[band_of[level]]
        assert top < centre(circle)[1] < bottom, (i, level)


def test_map_zones_boxes_hold_their_nodes() -> None:
    nodes = [node(i, zone=[None, "cell-a", "cell-b"][i % 3], label=f"n{i}") for i in range(30)]
    root = parse(network_map(nodes, []))
    boxes = {}
    for g in root.iter(NS + "g"):
        if "zone" in classes(g):
            rect = next(g.iter(NS + "rect"))
            title = g.find(NS + "title")
            assert title is not None
            boxes[title.text] = tuple(float(rect.get(k, "nan")) for k in ("x", "y", "width", "height"))
    assert set(boxes) == {"cell-a", "cell-b", "no zone"}
    links = node_links(root)
    for i in range(30):
        x, y, w, h = boxes[[None, "cell-a", "cell-b"][i % 3] or "no zone"]
        cx, cy = centre(next(c for c in links[f"n{i}"].iter(NS + "circle") if "node-dot" in classes(c)))
        assert x < cx < x + w and y < cy < y + h


def test_map_500_nodes_do_not_overlap() -> None:
    rnd = random.Random(42)
    nodes = [
        node(
            i,
            label=f"plc-{i}-" + "x" * rnd.randrange(0, 30),
            level=rnd.choice([0, 1, 2, 3]),
            zone=rnd.choice(["north", "south", None]),
            role=rnd.choice(
                ["plc", "hmi", "historian", "engineering_workstation", "server", "client", "odd"]
            ),
            alerts=rnd.choice([0, 0, 0, 2]),
        )
        for i in range(500)
    ]
    edges = [
        MapEdge(rnd.randrange(500), rnd.randrange(500), "modbus", rnd.randrange(1, 500)) for _ in range(400)
    ]
    svg = network_map(nodes, edges)
    root = parse(svg)
    circles = dots(root)
    assert len(circles) == 500
    radius = float(circles[0].get("r", "nan"))
    assert radius >= 5
    points = [centre(c) for c in circles]
    for (ax, ay), (bx, by) in itertools.combinations(points, 2):
        assert math.hypot(ax - bx, ay - by) >= 2 * radius
    _, _, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert all(radius <= x <= width - radius and radius <= y <= height - radius for x, y in points)
    assert width == 1200 and height > 1000  # grows downwards
    shown = {}
    for full, a in node_links(root).items():
        text = next(t for t in a.iter(NS + "text") if "node-label" in classes(t))
        shown[full] = text.text or ""
    assert len(shown) == 500
    for full, label in shown.items():
        assert label == (full if len(full) <= 18 else full[:17] + "\u2026")
    rings = [c for c in root.iter(NS + "circle") if "alerting" in classes(c)]
    assert len(rings) == sum(1 for n in nodes if n.alerts > 0)


def test_map_labels_truncated_but_titles_full() -> None:
    long = "Siemens S7-1500 line 4 filler"
    root = parse(network_map([node(1, label=long, ip="192.168.0.7", role="plc", zone="cell 4")], []))
    label = next(t for t in root.iter(NS + "text") if "node-label" in classes(t))
    assert label.text == long[:17] + "\u2026"
    title = node_links(root)[long].find(NS + "title")
    assert title is not None and title.text is not None
    assert title.text.split("\n")[:4] == [long, "192.168.0.7", "role: plc", "zone: cell 4"]


def test_map_edges() -> None:
    nodes = [node(1, label="hmi", role="hmi", level=2), node(2, label="plc"), node(3, label="plc2")]
    edges = [
        MapEdge(1, 2, "modbus", 1),
        MapEdge(1, 3, "modbus", 1000),
        MapEdge(1, 3, "s7comm", 5),
        MapEdge(1, 99, "modbus", 5),  # unknown end
        MapEdge(2, 2, "modbus", 5),  # self-loop
        MapEdge(1, 2, "modbus", 2),  # merged with the first
    ]
    svg = network_map(nodes, edges)
    root = parse(svg)
    groups = [g for g in root.iter(NS + "g") if classes(g) & {"edges", "nodes"}]
    assert [next(iter(classes(g) & {"edges", "nodes"})) for g in groups] == ["edges", "nodes"]  # edges first
    paths = {(p.find(NS + "title").text or ""): p for p in root.iter(NS + "path")}  # type: ignore[union-attr]
    assert set(paths) == {
        "hmi (10.0.0.2) \u2192 plc (10.0.0.3) modbus, 3 flows",
        "hmi (10.0.0.2) \u2192 plc2 (10.0.0.4) modbus, 1000 flows",
        "hmi (10.0.0.2) \u2192 plc2 (10.0.0.4) s7comm, 5 flows",
    }
    width = {t.split(") ", 2)[-1]: float(p.get("stroke-width", "nan")) for t, p in paths.items()}
    assert width["modbus, 3 flows"] < width["s7comm, 5 flows"] < width["modbus, 1000 flows"]
    for title, path in paths.items():
        assert path.get("stroke") == protocol_color(title.split(") ")[-1].split(",")[0].split(" ")[-1])
    # the two edges between the same nodes do not coincide
    d1 = paths["hmi (10.0.0.2) \u2192 plc2 (10.0.0.4) modbus, 1000 flows"].get("d")
    d2 = paths["hmi (10.0.0.2) \u2192 plc2 (10.0.0.4) s7comm, 5 flows"].get("d")
    assert d1 != d2
    # edges start and end at node centres
    centres = {centre(c) for c in dots(root)}
    for path in paths.values():
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
        assert (numbers[0], numbers[1]) in centres and (numbers[4], numbers[5]) in centres


def test_map_protocol_legend_is_capped() -> None:
    nodes = [node(i) for i in range(20)]
    edges = [MapEdge(0, i, f"proto{i:02d}", 100 - i) for i in range(1, 16)]
    root = parse(network_map(nodes, edges))
    items = [g for g in root.iter(NS + "g") if "legend-protocol" in classes(g)]
    assert [next(g.iter(NS + "text")).text for g in items] == [f"proto{i:02d}" for i in range(1, 13)]
    more = [g for g in root.iter(NS + "g") if "legend-more" in classes(g)]
    assert [next(g.iter(NS + "text")).text for g in more] == ["+3 more"]


def test_map_deterministic_whatever_the_input_order() -> None:
    rnd = random.Random(3)
    nodes = [
        node(i, level=rnd.choice([None, 1, 2, 3]), zone=rnd.choice([None, "z1", "z2"])) for i in range(80)
    ]
    edges = [
        MapEdge(rnd.randrange(80), rnd.randrange(80), rnd.choice(["modbus", "dnp3"]), 3) for _ in range(60)
    ]
    first = network_map(nodes, edges)
    assert network_map(nodes, edges) == first
    shuffled_nodes, shuffled_edges = nodes[:], edges[:]
    rnd.shuffle(shuffled_nodes)
    rnd.shuffle(shuffled_edges)
    assert network_map(shuffled_nodes, shuffled_edges) == first
    # nodes within a zone are ordered by IP address, not text
    root = parse(
        network_map([node(1, ip="10.0.0.10", label="ten"), node(2, ip="10.0.0.9", label="nine")], [])
    )
    assert [t.text for t in root.iter(NS + "text") if "node-label" in classes(t)] == ["nine", "ten"]


def test_map_empty() -> None:
    svg = network_map([], [MapEdge(1, 2, "modbus", 1)])
    assert "no devices" in "".join(parse(svg).itertext())
    assert_csp_safe(svg)


def test_palettes() -> None:
    assert protocol_color("modbus") == protocol_color("Modbus ") in PROTOCOL_PALETTE
    assert len({protocol_color(f"p{i}") for i in range(200)}) == len(PROTOCOL_PALETTE)
    known = ["plc", "hmi", "engineering_workstation", "historian", "server", "client", "unknown"]
    assert len({role_color(r) for r in known}) == len(known)
    assert ROLE_FALLBACK not in {role_color(r) for r in known}
    assert role_color("toaster") == role_color("<script>") == ROLE_FALLBACK
    assert role_color("Engineering Workstation") == role_color("engineering_workstation")
