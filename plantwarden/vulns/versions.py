"""Firmware and software versions, and the version ranges ICS advisories write (docs/vulns.md).

Versions
--------
``parse_version`` turns a version as a device or an advisory writes it into a :class:`Version`: a
hashable key with a total order. Its parts, compared in this order:

* ``prefix``: letters written before the first number ("R" in ``R6.03.10``, "a" in ``A17``, "mx" in
  ``MX-V4.0.1.15``, "un30" in ``UN30 1.76``). A lone ``v``/``V`` is not a prefix (``V3.2`` is ``3.2``)
  and neither are the words version/ver/firmware/fw/rev (``FW 01`` is ``01``). Versions with different
  prefixes sort by prefix but are *incomparable* for matching: a range only answers for versions with
  its own prefix.
* ``kind``: dates (``2021-06-16``, ``20210616``, ``2021/06/16``) are kind 1, every other version kind 0;
  a date and a version are incomparable.
* ``release``: the leading numbers, separated by ``.``, ``-``, ``_`` or IOS-style parentheses
  (``15.2(7)E3`` has release 15.2.7). Trailing zeros do not count: ``1.0`` equals ``1.0.0``.
* ``tail``: qualifier words, each with the numbers that follow it. Pre-release words (dev < alpha <
  beta < pre/preview/rc) sort *before* the bare release; every other word sorts after it, ranked
  release (``R2``) > service pack / update (``SP``, ``Update``, ``Upd``, ``u``, ``QU``, ``TCU``) >
  hotfix / patch (``HF``, ``Hotfix``, ``P``, ``Patch``) > build / revision (``build``, ``Rev``) > any
  other short word (``E3``, ``a``, ``M1``), which compares by spelling. So
  ``V4.2 < V4.2 SP1 < V4.2 SP1 HF3 < V4.2 SP2 < V4.3`` and ``1.0 rc1 < 1.0``. Synonyms are one word:
  ``Upd6`` equals ``Update 6``, ``Hotfix 8`` equals ``HF8``, ``Service Pack 1`` equals ``SP1``.
* ``wildcard``: ``4.2.x`` (or ``R15x``) stands for every version of the 4.2 series. A wildcard is a
  pattern for ranges, not something a device runs: ranges refuse to place one.

Text that is no version (no number, long words such as "comcode", catalog numbers such as
``1783-SAD4T0SBK9``) raises :class:`~plantwarden.core.errors.InvalidInput`; ``version_or_none``
returns None instead.

Ranges
------
``parse_range`` reads the text of a CSAF ``product_version_range`` or ``product_version`` leaf and
returns a :class:`VersionRange` (a union of intervals) or, when the text cannot be read without
guessing, :class:`Unparsed` with the reason. The forms it reads:

* ``vers:<scheme>/*`` and ``vers:<scheme>/<c1>|<c2>...`` per the purl ``vers`` specification:
  comparators ``<``, ``<=``, ``>``, ``>=``, ``=``, ``!=`` (a bare version means ``=``); constraints are
  sorted by version and must alternate between lower (``>``/``>=``) and upper (``<``/``<=``) bounds;
  a leading upper bound opens downwards, a trailing lower bound opens upwards, each lower bound
  followed by an upper bound is an interval, ``=`` adds a point, ``!=`` removes one.
* ``*``, ``All versions`` (all versions).
* One constraint: ``<V3.2``, ``<= 1.52``, ``> 8.0.4`` (``=<`` and ``=>`` are read as ``<=``/``>=``).
* Constraints written one after another (``>= 2019 SP1 < 2020 Upd1``, ``All versions >V1.1 and
  <V2.0.1``) or joined by ``|`` (``>= 2.0 | <= 2.5``). Unlike ``vers:``, these are read in the order
  written: a lower bound pairs with the upper bound after it; a bare item (``5.1.0-x``) is one version
  or one series. Two lower (or two upper) bounds in a row, an interval whose lower end is above its
  upper end, and an upward ray together with a downward ray are reported, not guessed.
* Text before an operator is the component the bound is about (``BIOS < V22`` has component "BIOS");
  so is text before the version inside a ``|`` item (``<=VDS R7.50``). All bounds of one range must
  name the same component. Conditions (only/when/if/unless/except) are reported.
* ``prior to X``, ``earlier than X``, ``before X`` (< X, with any leading text as the component);
  ``X and prior``, ``X and earlier``, ``X or earlier`` (<= X); ``up to X`` (<= X); ``X and later`` (>= X).
* ``from X to Y``, ``X to Y``, ``X through Y``, ``X - Y`` (inclusive at both ends), ``20-33`` (whole
  major revisions 20 through 33) and ``X (including) and Y (excluding)`` ([X, Y)).
* Lists of plain versions: ``V1.0|V1.1``, ``V1.1, V1.2, and V1.3`` (a set of versions).
* A plain version: that version exactly (``11.3.x``: that series).
* A trailing remark in parentheses is kept as ``note`` and does not change the range, except
  ``(and prior versions)`` (makes it ``<=``), ``(14.x series)`` (only that series), ``(Build N)`` (a
  build qualifier) and remarks that start with excluding/except/only/not (reported).

``VersionRange.contains(version)`` answers True or False, or None when the version cannot be placed:
it is no version, a wildcard, or has another prefix or kind than the bounds it would be compared with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal
from urllib.parse import unquote

from plantwarden.core.errors import InvalidInput

# ------------------------------------------------------------------------------------------ versions

#: qualifier word (lower case) -> canonical spelling
_SYNONYMS: Final[dict[str, str]] = {
    "sp": "sp", "servicepack": "sp",
    "update": "update", "upd": "update", "u": "update",
    "qu": "qu", "tcu": "tcu",
    "hf": "hf", "hotfix": "hf", "fix": "hf",
    "p": "patch", "patch": "patch", "pl": "patch",
    "r": "r", "rel": "r", "release": "r",
    "build": "build", "bld": "build",
    "rev": "rev", "revision": "rev",
    "dev": "dev", "alpha": "alpha", "beta": "beta", "pre": "rc", "preview": "rc", "rc": "rc",
}
#: canonical qualifier -> rank (negative: before the bare release; positive: after it)
_RANKS: Final[dict[str, int]] = {
    "dev": -4, "alpha": -3, "beta": -2, "rc": -1,
    "r": 6, "sp": 5, "update": 5, "qu": 5, "tcu": 5, "hf": 4, "patch": 4, "build": 3, "rev": 3,
}
_OTHER_RANK: Final = 2
_MAX_OTHER_WORD: Final = 3  # longer unknown words are prose, not qualifiers
_MAX_SWITCHES: Final = 4  # letter/digit alternations in one run; more is a catalog number
_MAX_PREFIX_PARTS: Final = 2  # "MX-V4.0" has one part once the V goes; "GATE-E1" two
_MAX_PREFIX_PART: Final = 4  # letters in one part: "R", "FW", "GATE"; longer is prose
_END: Final[tuple[int, str, tuple[int, ...]]] = (0, "", ())

_FILLER = re.compile(r"^(?:versions?|ver\.?|firmware|fw|rev(?:ision)?)(?=[\s_.:-]*[vV]?\d)[\s_.:-]*", re.I)
_TAGGED = re.compile(r"^([A-Za-z]+\d+)\s+([vV]?\d.*)$")  # "UN30 1.76": a tag with digits, then a version
_PREFIX = re.compile(r"^([A-Za-z]+(?:[-_][A-Za-z]+)*)(?:[-_.]|(?<=[vV])\s)?(?=\d)")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_PACKED_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TOKENS = re.compile(r"\d+|[A-Za-z]+|[\s._\-()]+|.")
_SERVICE_PACK = re.compile(r"service\s*pack", re.I)
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A parsed version; compare and hash by value (``text`` is only what was read)."""

    prefix: str
    kind: int
    release: tuple[int, ...]
    tail: tuple[tuple[int, str, tuple[int, ...]], ...]
    wildcard: bool = False
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text

    def comparable(self, other: Version) -> bool:
        """Whether the two can be placed relative to each other (same prefix, both dates or neither)."""
        return self.prefix == other.prefix and self.kind == other.kind

    @property
    def is_date(self) -> bool:
        return self.kind == 1


def _strip_zeros(nums: list[int]) -> tuple[int, ...]:
    while len(nums) > 1 and nums[-1] == 0:
        nums = nums[:-1]
    return tuple(nums)


def _switches(run: str) -> int:
    return sum(1 for a, b in zip(run, run[1:], strict=False) if a.isdigit() != b.isdigit())


def _date(text: str, source: str) -> Version | None:
    m = _ISO_DATE.match(text) or _PACKED_DATE.match(text)
    if m is None:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1970 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return Version("", 1, (y, mo, d), (_END,), False, source)


def _bad(text: str, why: str) -> InvalidInput:
    return InvalidInput(f"{text!r} is not a version: {why}")


def parse_version(text: str) -> Version:
    """Parse a version (see the module docstring); raise InvalidInput for text that is no version."""
    if not isinstance(text, str):
        raise InvalidInput(f"a version must be text, not {type(text).__name__}")
    source = text
    s = _WS.sub(" ", text).strip().strip(",;")
    if not s:
        raise _bad(source, "it is empty")
    s = _SERVICE_PACK.sub("SP", s)
    s = _FILLER.sub("", s, count=1)
    date = _date(s, source)
    if date is not None:
        return date
    prefix = ""
    tagged = _TAGGED.match(s)
    if tagged and not re.fullmatch(r"[vV]\d+", tagged.group(1)):
        prefix, s = tagged.group(1).lower(), tagged.group(2)
        s = re.sub(r"^[vV](?=\d)", "", s)
    else:
        m = _PREFIX.match(s)
        if m:
            parts = re.split(r"[-_]", m.group(1).lower())
            if parts[-1] == "v":
                parts = parts[:-1]
            if len(parts) > _MAX_PREFIX_PARTS or any(len(p) > _MAX_PREFIX_PART for p in parts):
                raise _bad(source, f"{m.group(1)!r} is a word, not a version prefix")
            prefix = "-".join(parts)
            s = s[m.end():]
        elif not s[:1].isdigit():
            raise _bad(source, "it does not start with a number")
    if s.count("(") != s.count(")"):
        raise _bad(source, "unbalanced parentheses")
    for run in re.findall(r"[A-Za-z0-9]+", s):
        if _switches(run) > _MAX_SWITCHES:
            raise _bad(source, f"{run!r} looks like a catalog or serial number")
    tokens = _TOKENS.findall(s)
    if tokens and len(tokens[0]) >= 4 and tokens[0].startswith("0"):
        raise _bad(source, f"{tokens[0]!r} looks like a part number")
    release: list[int] = []
    tail: list[tuple[int, str, tuple[int, ...]]] = []
    wildcard = False
    word: str | None = None
    nums: list[int] = []
    i = 0
    # the release: numbers joined by . - _ ( ) without spaces
    while i < len(tokens):
        tok = tokens[i]
        if tok.isdigit():
            release.append(int(tok))
            i += 1
            continue
        if tok.strip() == tok and set(tok) <= set("._-()") and i + 1 < len(tokens) and tokens[i + 1].isdigit():
            i += 1
            continue
        break
    if not release:
        raise _bad(source, "no number")

    def close() -> None:
        nonlocal word, nums
        if word is not None:
            tail.append((_RANKS.get(word, _OTHER_RANK), word, _strip_zeros(nums) if nums else ()))
        word, nums = None, []

    after_space = False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if not tok.strip() or set(tok) <= set(" ._-()"):
            after_space = after_space or " " in tok
            continue
        if tok.isdigit():
            if word is None or (nums and after_space):
                raise _bad(source, f"a number ({tok}) that belongs to no qualifier")
            nums.append(int(tok))
        elif tok.isalpha():
            low = tok.lower()
            if low == "x" and i == len(tokens) and word is None and not tail:
                wildcard = True
            else:
                close()
                canon = _SYNONYMS.get(low)
                if canon is None and len(low) > _MAX_OTHER_WORD:
                    raise _bad(source, f"the word {tok!r}")
                word = canon or low
        else:
            raise _bad(source, f"the character {tok!r}")
        after_space = False
    close()
    if wildcard:
        return Version(prefix, 0, tuple(release), (_END,), True, source)
    return Version(prefix, 0, _strip_zeros(release), (*tail, _END), False, source)


def version_or_none(text: str | None) -> Version | None:
    """``parse_version`` that answers None for text that is no version."""
    if text is None:
        return None
    try:
        return parse_version(text)
    except InvalidInput:
        return None


def _place(v: Version, bound: Version) -> int | None:
    """-1, 0 or 1 as ``v`` is below, at (or inside a wildcard's series) or above ``bound``; None if
    incomparable."""
    if not v.comparable(bound):
        return None
    if bound.wildcard:
        n = len(bound.release)
        head = (v.release + (0,) * n)[:n]
        return (head > bound.release) - (head < bound.release)
    a, b = (v.release, v.tail), (bound.release, bound.tail)
    return (a > b) - (a < b)


# -------------------------------------------------------------------------------------------- ranges


@dataclass(frozen=True, slots=True)
class Interval:
    """Versions between two bounds (None: unbounded). A point is lower == upper, both inclusive."""

    lower: Version | None = None
    upper: Version | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True

    def contains(self, v: Version) -> bool | None:
        result = True
        if self.lower is not None:
            c = _place(v, self.lower)
            if c is None:
                return None
            result = c > 0 or (c == 0 and self.lower_inclusive)
        if self.upper is not None:
            c = _place(v, self.upper)
            if c is None:
                return None
            result = result and (c < 0 or (c == 0 and self.upper_inclusive))
        return result

    def __str__(self) -> str:
        if self.lower is not None and self.lower == self.upper:
            return f"={self.lower.text}"
        parts = []
        if self.lower is not None:
            parts.append((">=" if self.lower_inclusive else ">") + self.lower.text)
        if self.upper is not None:
            parts.append(("<=" if self.upper_inclusive else "<") + self.upper.text)
        return " ".join(parts) or "*"


@dataclass(frozen=True, slots=True)
class VersionRange:
    """The versions a range text names: the union of ``intervals`` (all versions if ``all_versions``),
    minus ``excluded``, inside the series ``within`` when set. ``component`` is the part the bounds
    are about ("BIOS" in ``BIOS < V22``); ``note`` a remark that does not change the range."""

    text: str
    intervals: tuple[Interval, ...] = ()
    all_versions: bool = False
    excluded: tuple[Version, ...] = ()
    within: Version | None = None
    component: str | None = None
    note: str | None = None

    def contains(self, version: str | Version | None) -> bool | None:
        """True or False for a version inside or outside the range; None when it cannot be placed."""
        if self.all_versions and not self.excluded and self.within is None:
            return True
        v = version if isinstance(version, Version) else version_or_none(version)
        if v is None or v.wildcard:
            return None
        if self.within is not None:
            c = _place(v, self.within)
            if c is None:
                return None
            if c != 0:
                return False
        for ex in self.excluded:
            if v.comparable(ex) and _place(v, ex) == 0:
                return False
        if self.all_versions:
            return True
        answers = [iv.contains(v) for iv in self.intervals]
        if any(a is True for a in answers):
            return True
        if any(a is None for a in answers):
            return None
        return False

    def __str__(self) -> str:
        body = "*" if self.all_versions else " | ".join(str(i) for i in self.intervals)
        return f"{self.component}: {body}" if self.component else body


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A range text that cannot be read without guessing, and why."""

    text: str
    reason: str

    def contains(self, version: str | Version | None) -> bool | None:
        """Always None: an unread range places no version."""
        return None


class _Refuse(Exception):
    """Internal: the text cannot be read; the message is the reason."""


Op = Literal["<", "<=", ">", ">=", "=", "!="]
_OPS = re.compile(r"(>=|<=|=>|=<|!=|==|<|>|=)")
_OP_CANON: Final[dict[str, Op]] = {
    "<": "<", "<=": "<=", "=<": "<=", ">": ">", ">=": ">=", "=>": ">=", "=": "=", "==": "=", "!=": "!=",
}
_CONDITION = re.compile(r"\b(only|when|if|unless|except|excluding|running on)\b", re.I)
_INCL_EXCL = re.compile(r"^(?P<a>.+?)\s*\(including\)\s*and\s+(?P<b>.+?)\s*\(excluding\)$", re.I)
_ALL = re.compile(r"^all\s+versions?\b\s*(?P<rest>.*)$", re.I)
_VERSIONS_WORD = re.compile(r"^versions?\s+(?=[vV]?\d)", re.I)
_BEFORE = re.compile(r"^(?P<comp>.*?)\b(?:prior\s+to|earlier\s+than|older\s+than|before)\s+(?P<v>\S.*)$", re.I)
_AND_PRIOR = re.compile(
    r"^(?P<v>.+?)\s*,?\s+(?:and|or)\s+(?:all\s+)?(?:possibly\s+)?(?:prior|earlier|below|older|lower)"
    r"(?:\s+(?:versions?|releases?))?$", re.I)
_AND_LATER = re.compile(
    r"^(?P<v>.+?)\s*,?\s+(?:and|or)\s+(?:later|newer|above|higher)(?:\s+(?:versions?|releases?))?$", re.I)
_UP_TO = re.compile(r"^up\s+to\s+(?:and\s+including\s+)?(?P<v>\S.*)$", re.I)
_FROM_TO = re.compile(r"^(?:from\s+)?(?P<a>\S.*?)\s+(?:to|through|thru|-|–)\s+(?P<b>\S.*)$", re.I)
_MAJORS = re.compile(r"^(?P<a>\d{1,3})\s*-\s*(?P<b>\d{1,3})$")
_REMARK = re.compile(r"^(?P<body>.*\S)\s+\((?P<remark>[^()]*)\)$")
_SERIES = re.compile(r"^(?P<s>[vV]?\d+(?:\.\d+)*)\.x\s+series$", re.I)
_PRIOR_REMARK = re.compile(r"^(?:and\s+)?(?:possibly\s+)?(?:all\s+)?(?:prior|earlier)(?:\s+versions?)?$", re.I)
_BUILD_REMARK = re.compile(r"^build\s+\S+$", re.I)
_REFUSED_REMARK = re.compile(r"^(?:excluding|except|only|not)\b", re.I)
_LIST_SPLIT = re.compile(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+", re.I)


def _version(text: str) -> Version:
    try:
        return parse_version(text)
    except InvalidInput as e:
        raise _Refuse(str(e)) from None


def _point(v: Version) -> Interval:
    return Interval(v, v, True, True)


def _clean(text: str) -> str:
    return _WS.sub(" ", text.replace("\u00a0", " ")).strip()


def _component_split(text: str) -> tuple[str | None, Version]:
    """A version, or a component name followed by a version ("VDS R7.50")."""
    try:
        return None, parse_version(text)
    except InvalidInput as first:
        head, _, last = text.rpartition(" ")
        if head and not re.search(r"\d", head):
            try:
                return head.strip(), parse_version(last)
            except InvalidInput:
                pass
        raise _Refuse(str(first)) from None


def _floor(v: Version) -> Version:
    """The lowest version a bound stands for (a wildcard's series starts at its pattern)."""
    if not v.wildcard:
        return v
    return Version(v.prefix, v.kind, _strip_zeros(list(v.release)), (_END,), False, v.text)


def _same_scale(versions: list[Version]) -> None:
    """Refuse a range whose versions have different prefixes (or mix dates and versions)."""
    scales = {(v.prefix, v.kind) for v in versions}
    if len(scales) > 1:
        shown = ", ".join(sorted(repr(v.text) for v in versions))
        raise _Refuse(f"versions of different kinds or prefixes ({shown})")


def _ordered(items: list[tuple[Op, Version]]) -> tuple[list[Interval], list[Version]]:
    """Intervals from constraints in the order written (see the module docstring)."""
    intervals: list[Interval] = []
    excluded: list[Version] = []
    lower: tuple[Version, bool] | None = None
    down_ray: Version | None = None
    up_ray: Version | None = None
    for op, v in items:
        if op == "!=":
            excluded.append(v)
        elif op == "=":
            if lower is not None:
                raise _Refuse(f"lower bound {lower[0].text!r} has no upper bound before {v.text!r}")
            intervals.append(_point(v))
        elif op in (">", ">="):
            if lower is not None:
                raise _Refuse(f"two lower bounds in a row ({lower[0].text!r}, {v.text!r})")
            lower = (v, op == ">=")
        else:
            if lower is None:
                if down_ray is not None:
                    raise _Refuse(f"two upper bounds in a row ({down_ray.text!r}, {v.text!r})")
                down_ray = v
                intervals.append(Interval(None, v, True, op == "<="))
                continue
            lo, inclusive = lower
            c = _place(_floor(lo), v)
            if c is None:
                raise _Refuse(f"bounds {lo.text!r} and {v.text!r} cannot be compared")
            if c > 0:
                raise _Refuse(f"lower bound {lo.text!r} is above upper bound {v.text!r}")
            intervals.append(Interval(lo, v, inclusive, op == "<="))
            lower = None
    if lower is not None:
        up_ray = lower[0]
        intervals.append(Interval(lower[0], None, lower[1], True))
    if up_ray is not None and down_ray is not None:
        raise _Refuse(f"an upward and a downward open range ({down_ray.text!r}, {up_ray.text!r})")
    return intervals, excluded


def _constraints(text: str) -> tuple[list[Interval], list[Version], str | None]:
    """Constraints joined by | or written one after another, with an optional component."""
    items: list[tuple[Op, Version]] = []
    components: set[str | None] = set()
    for raw in text.split("|") if "|" in text else [text]:
        item = raw.strip()
        if not item:
            raise _Refuse("an empty item between '|'")
        parts = _OPS.split(item)
        head = parts[0].strip()
        pairs = [(parts[k], parts[k + 1].strip()) for k in range(1, len(parts), 2)]
        if not pairs:
            comp, v = _component_split(item)
            components.add(comp)
            items.append(("=", v))
            continue
        component: str | None = None
        if head:
            if _CONDITION.search(head):
                raise _Refuse(f"a condition: {head!r}")
            component = head.rstrip(" :")
            if component.count("(") > component.count(")"):
                component += ")"
        for op_text, vtext in pairs:
            vtext = re.sub(r"(?:,|\band)\s*$", "", vtext, flags=re.I).strip()
            if component and vtext.endswith(")") and vtext.count(")") > vtext.count("("):
                vtext = vtext[:-1].strip()
            if not vtext:
                raise _Refuse(f"operator {op_text!r} without a version")
            comp, v = _component_split(vtext) if component is None else (component, _version(vtext))
            components.add(comp)
            items.append((_OP_CANON[op_text], v))
    if len(components) > 1:
        names = sorted(repr(c) for c in components if c)
        raise _Refuse(f"bounds about different components ({', '.join(names)})")
    _same_scale([v for _, v in items])
    intervals, excluded = _ordered(items)
    return intervals, excluded, next(iter(components))


def _vers(text: str) -> VersionRange:
    m = re.match(r"^vers:(?P<scheme>[A-Za-z0-9.+-]+)/(?P<body>.*)$", text)
    if m is None:
        raise _Refuse("a vers: range needs vers:<scheme>/<constraints>")
    body = m.group("body")
    if body == "*":
        return VersionRange(text, all_versions=True)
    lows: list[tuple[Op, Version]] = []
    points: list[Version] = []
    excluded: list[Version] = []
    for raw in body.split("|"):
        cm = re.match(r"^(>=|<=|!=|<|>|=)?\s*(\S.*)$", raw.strip())
        if cm is None:
            raise _Refuse("an empty vers constraint")
        op: Op = _OP_CANON[cm.group(1) or "="]
        v = _version(unquote(cm.group(2)))
        if v.wildcard:
            raise _Refuse(f"a wildcard ({v.text!r}) is not a vers version")
        if op == "=":
            points.append(v)
        elif op == "!=":
            excluded.append(v)
        else:
            lows.append((op, v))
    lows.sort(key=lambda c: c[1])
    for (a, va), (b, vb) in zip(lows, lows[1:], strict=False):
        if not va.comparable(vb):
            raise _Refuse(f"vers versions {va.text!r} and {vb.text!r} cannot be compared")
        if (a[0] == ">") == (b[0] == ">"):
            raise _Refuse(f"vers constraints {a}{va.text} and {b}{vb.text} do not alternate")
    intervals = [_point(p) for p in points]
    for k, (op, v) in enumerate(lows):
        if op in (">", ">="):
            nxt = lows[k + 1] if k + 1 < len(lows) else None
            intervals.append(Interval(v, nxt[1] if nxt else None, op == ">=", nxt is not None and nxt[0] == "<="))
        elif k == 0:
            intervals.append(Interval(None, v, True, op == "<="))
    return VersionRange(text, tuple(intervals), excluded=tuple(excluded))


def _plain(text: str) -> tuple[list[Interval], str | None]:
    """Free text without operators: intervals in words, lists, or one version."""
    if m := _BEFORE.match(text):
        comp = m.group("comp").strip() or None
        if comp and _CONDITION.search(comp):
            raise _Refuse(f"a condition: {comp!r}")
        return [Interval(None, _version(m.group("v")), True, False)], comp
    if m := _AND_PRIOR.match(text):
        return [Interval(None, _version(m.group("v")), True, True)], None
    if m := _AND_LATER.match(text):
        return [Interval(_version(m.group("v")), None, True, True)], None
    if m := _UP_TO.match(text):
        return [Interval(None, _version(m.group("v")), True, True)], None
    if m := _MAJORS.match(text):
        a, b = int(m.group("a")), int(m.group("b"))
        if a < b:
            top = Version("", 0, (b,), ((0, "", ()),), True, m.group("b") + ".x")
            return [Interval(_version(m.group("a")), top, True, True)], None
    if m := _FROM_TO.match(text):
        lo, hi = _version(m.group("a")), _version(m.group("b"))
        if not lo.comparable(hi) or lo > hi:
            raise _Refuse(f"{lo.text!r} to {hi.text!r} is not an interval")
        return [Interval(lo, hi, True, True)], None
    if "," in text:
        if re.search(r",\s*(?:(?:and|or)\s*)?$", text, re.I):
            raise _Refuse("the list ends without its last item (truncated)")
        versions = [_version(i.strip()) for i in _LIST_SPLIT.split(text)]
        _same_scale(versions)
        return [_point(v) for v in versions], None
    comp, v = _component_split(text)
    if comp is not None:
        raise _Refuse(f"text before the version: {comp!r}")
    return [_point(v)], None


def _remark(text: str) -> tuple[str, str | None, Version | None]:
    """Split off a trailing parenthesised remark: (body, note, series)."""
    m = _REMARK.match(text)
    if m is None or re.search(r"[<>=]", m.group("remark")) or m.group("remark").lower() in ("including", "excluding"):
        return text, None, None
    body, remark = m.group("body"), _clean(m.group("remark"))
    if _REFUSED_REMARK.match(remark):
        raise _Refuse(f"a remark that changes the range: ({remark})")
    if _PRIOR_REMARK.match(remark):
        if _OPS.search(body):
            raise _Refuse(f"'({remark})' after a range")
        return f"{body} and prior", remark, None
    if s := _SERIES.match(remark):
        return body, None, _version(s.group("s") + ".x")
    if _BUILD_REMARK.match(remark):
        return f"{body} {remark}", None, None
    return body, remark, None


def _parse(text: str) -> VersionRange:
    s = _clean(text)
    if not s:
        raise _Refuse("empty")
    if s == "*":
        return VersionRange(text, all_versions=True)
    if s.lower().startswith("vers:"):
        return _vers(s)
    if m := _INCL_EXCL.match(s):
        lo, hi = _version(m.group("a")), _version(m.group("b"))
        if not lo.comparable(hi) or lo >= hi:
            raise _Refuse(f"{lo.text!r} (including) and {hi.text!r} (excluding) is not an interval")
        return VersionRange(text, (Interval(lo, hi, True, False),))
    s, note, within = _remark(s)
    if m := _ALL.match(s):
        rest = m.group("rest").strip()
        if not rest:
            return VersionRange(text, all_versions=True, note=note, within=within)
        if not _OPS.match(rest):
            raise _Refuse(f"'All versions' qualified by text: {rest!r}")
        s = rest
    s = _VERSIONS_WORD.sub("", s)
    if _OPS.search(s) or "|" in s:
        if _BEFORE.match(s) and "|" not in s:
            raise _Refuse("operators mixed with words")
        intervals, excluded, component = _constraints(s)
        return VersionRange(text, tuple(intervals), excluded=tuple(excluded), within=within, component=component,
                            note=note)
    intervals, component = _plain(s)
    return VersionRange(text, tuple(intervals), within=within, component=component, note=note)


@lru_cache(maxsize=4096)
def _cached(text: str) -> VersionRange | Unparsed:
    try:
        return _parse(text)
    except _Refuse as e:
        return Unparsed(text, str(e))


def parse_range(text: str) -> VersionRange | Unparsed:
    """Read a range text (see the module docstring): a VersionRange, or Unparsed with the reason."""
    if not isinstance(text, str):
        raise InvalidInput(f"a version range must be text, not {type(text).__name__}")
    return _cached(text)
