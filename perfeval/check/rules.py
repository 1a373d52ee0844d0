"""Read the free-text scoring rules (评分规则) of a self-evaluation form.

Two shapes can be computed on:

- itemised points, "①…（1分）②…（2分）" → :func:`itemised_points`;
- rate bands, "预算执行率在90%及以上得8分；78%以上不到90%得6-8分；…" →
  :func:`parse_bands`, checked by :func:`band_problems` for overlaps, gaps and awards
  above the weight, with :func:`suggest_fix` for the two classic slips and
  :func:`score_range` for the points a given rate allows.

Text is NFKC-normalised first (（含） → (含), １００％ → 100%), numbers are exact
``Decimal`` and rates stay in percent as written (90 means 90%). Bound words follow
Civil Code art. 1259: 以上, 以下, 以内, 届满 include the number; 不满, 超过, 以外 exclude it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise

from .. import fmt
from ..wording import POINT_MARK, POST_BOUNDS, PRE_BOUNDS, alternation

__all__ = [
    "Band",
    "BandProblem",
    "Bound",
    "band_problems",
    "itemised_points",
    "parse_bands",
    "score_range",
    "suggest_fix",
]

_NUM = r"\d+(?:\.\d+)?"
_SEP = r"(?:至|到|-|~|〜|—|–)"
# "(含)", "(不含)", "(不含70%)", or a bare "含"/"不含" right after the number.
_MARK = r"\(\s*不?含[^()]*\)|不?含"

_RANGE = (
    rf"(?<![\d.])(?P<a>{_NUM})\s*%?(?:\s*(?P<am>{_MARK}))?\s*{_SEP}\s*"
    rf"(?P<b>{_NUM})\s*%(?:\s*(?P<bm>{_MARK}))?"
)
_TOKEN = (
    rf"(?:(?P<pre>{alternation(PRE_BOUNDS)})\s*)?(?<![\d.])(?P<num>{_NUM})\s*%"
    rf"(?:\s*(?P<m1>{_MARK}))?(?:\s*(?P<post>{alternation(POST_BOUNDS)}))?"
    rf"(?:\s*(?P<m2>\(\s*不?含[^()]*\)))?"
)
_CONDITION = re.compile(f"{_RANGE}|{_TOKEN}")
_PERCENT = re.compile(rf"{_NUM}\s*%")
_AWARD = re.compile(
    rf"不得分|不计分|(?:得|(?<![合共总])计)\s*(?P<lo>{_NUM})(?:\s*分?\s*{_SEP}\s*(?P<hi>{_NUM}))?\s*分"
)
_DEDUCTION = re.compile(rf"扣\s*(?:除\s*)?{_NUM}")
_AT_OR_BELOW = re.compile(rf"(?<![\d.])({_NUM})\s*%\s*(?:\(含\)|含)?\s*(?:及以下|以下|以内)")
_NUMBER = re.compile(rf"(?<![\d.])({_NUM})")
# ①…⑳, ⑴…⒇, ⒈…, ❶…: NFKC would turn ① into a bare "1" glued to the next number.
_ENCLOSED_NUMBERS = re.compile(r"[\u2460-\u24ff\u2776-\u2793]")
_CLAUSE_BREAK = re.compile(r"[;。]|\(\d{1,2}\)")
_LEADING_NUMBER = re.compile(r"^(?:\d{1,2}\s*[、)]|\d{1,2}\.(?!\d))")
_RATE_WORD = re.compile(r"[\u4e00-\u9fff]*率")
_TRIM = " ,:、"


@dataclass(frozen=True)
class Bound:
    """One end of a band, in percent as written (90 means 90%)."""

    value: Decimal
    inclusive: bool


@dataclass(frozen=True)
class Band:
    """One band of a rate rule: the rates it claims and the points it allows.

    ``lower None`` is unbounded below, ``upper None`` unbounded above; ``text`` is the
    NFKC-normalised clause the band was read from.
    """

    lower: Bound | None
    upper: Bound | None
    points_min: Decimal
    points_max: Decimal
    text: str

    @property
    def condition(self) -> str:
        """The condition as written ("78%以上不到90%"), else the interval ("[78%, 90%)")."""
        for _, condition, _ in _segments(self.text):
            read = _read_condition(condition)
            if read is not None:
                return read[2]
        return _interval(self.lower, self.upper)


_Span = tuple[Bound | None, Bound | None]


@dataclass(frozen=True)
class BandProblem:
    """A defect of a band rule: kind is "overlap", "gap" or "over_weight".

    ``lower``/``upper`` delimit the rates concerned (the shared or unclaimed interval,
    or the band's own bounds for "over_weight"); ``description`` is one Chinese sentence.
    """

    kind: str
    bands: tuple[Band, ...]
    lower: Bound | None
    upper: Bound | None
    description: str


def _normalise(text: str) -> str:
    """NFKC with enclosed numbers turned into clause breaks, whitespace folded."""
    text = unicodedata.normalize("NFKC", _ENCLOSED_NUMBERS.sub(";", text))
    return " ".join(text.split())


def itemised_points(text: str | None) -> list[Decimal]:
    """The points itemised in parentheses: "①…（1分）②…（2分）" → [1, 2].

    "得8分", "得6-8分" (a band's range) and "不得分" are not itemised points.
    """
    if not text:
        return []
    return [Decimal(n) for n in POINT_MARK.findall(_normalise(text))]


def parse_bands(text: str | None, subject: str | None = None) -> list[Band]:
    """Every band of a rate rule: a clause with a percentage condition and an award.

    Clauses break on ；。①② and "(1)"; one clause may hold several "…得N分" awards.
    Clauses that deduct ("扣N分") or award no number ("得满分") are skipped. With a
    ``subject`` ("预算执行率"), clauses naming a different rate ("完成率") are skipped.
    """
    if not text:
        return []
    bands: list[Band] = []
    for clause in _CLAUSE_BREAK.split(_normalise(text)):
        for segment, condition, award in _segments(clause):
            if _DEDUCTION.search(condition) or not _about(segment, subject):
                continue
            read = _read_condition(condition)
            if read is not None:
                low, high = _points(award)
                bands.append(Band(read[0], read[1], low, high, segment))
    return _top_exclusive_beside_exact_100(bands)


def _top_exclusive_beside_exact_100(bands: list[Band]) -> list[Band]:
    """ "达到100%得10分；90%-100%得8分": the range stops short of the 100% the rule scores apart."""
    hundred = Bound(Decimal(100), True)
    if not any(band.lower == hundred and band.upper == hundred for band in bands):
        return bands
    return [
        replace(band, upper=Bound(Decimal(100), False))
        if band.upper == hundred and band.lower != hundred
        else band
        for band in bands
    ]


def _segments(clause: str) -> list[tuple[str, str, re.Match[str]]]:
    """(segment, condition text, award) for each award in a clause.

    The condition is the text since the previous award; a lone award with no
    percentage before it takes its condition from the text after it ("得8分:90%以上").
    """
    clause = _LEADING_NUMBER.sub("", clause.strip(_TRIM)).strip(_TRIM)
    awards = list(_AWARD.finditer(clause))
    if len(awards) == 1 and not _PERCENT.search(clause[: awards[0].start()]):
        return [(clause, clause[awards[0].end() :], awards[0])]
    found: list[tuple[str, str, re.Match[str]]] = []
    start = 0
    for award in awards:
        segment = clause[start : award.end()].strip(_TRIM)
        found.append((segment, clause[start : award.start()], award))
        start = award.end()
    return found


def _about(segment: str, subject: str | None) -> bool:
    """Whether a segment is about ``subject``: it names that rate, or no rate at all."""
    if not subject:
        return True
    wanted = re.sub(r"\(.*?\)", "", _normalise(subject)).replace(" ", "")
    named = _RATE_WORD.findall(segment)
    return not named or any(w.endswith(wanted) or wanted.endswith(w) for w in named)


def _points(award: re.Match[str]) -> tuple[Decimal, Decimal]:
    """The points an award allows: "得6-8分" → (6, 8), "不得分" → (0, 0)."""
    low = Decimal(award["lo"] or 0)
    high = Decimal(award["hi"] or low)
    return min(low, high), max(low, high)


def _read_condition(text: str) -> tuple[Bound | None, Bound | None, str] | None:
    """(lower, upper, condition as written) of a condition, or None if unreadable."""
    matches = list(_CONDITION.finditer(text))
    found: dict[str, list[Bound]] = {"lower": [], "upper": []}
    for match in matches:
        read = _range_bounds(match) if match["a"] else _token_bounds(match)
        if read is None:
            return None
        for side, bound in read:
            found[side].append(bound)
    if not matches or len(found["lower"]) > 1 or len(found["upper"]) > 1:
        return None
    lower, upper = (found[side][0] if found[side] else None for side in ("lower", "upper"))
    if not _nonempty(lower, upper):
        return None
    return lower, upper, text[matches[0].start() : matches[-1].end()].strip()


def _range_bounds(match: re.Match[str]) -> list[tuple[str, Bound]]:
    """A range: "A%(含)至B%" = [A, B), "A%至B%(含)" = (A, B], unmarked "A%-B%" = [A, B).

    An unmarked upper bound of 100% is included: no rate lies above it, and
    "90%（含）-100%" is how rules write the top band.
    """
    a, b = Decimal(match["a"]), Decimal(match["b"])
    b_mark = _mark_inclusive(match["bm"])
    a_mark = _mark_inclusive(match["am"])
    a_inclusive = a_mark if a_mark is not None else b_mark is not True
    b_inclusive = b_mark is True or (b_mark is None and max(a, b) == 100)
    if a > b:  # written high to low: "90%-80%"
        a, b, a_inclusive, b_inclusive = b, a, b_inclusive, a_inclusive
    return [("lower", Bound(a, a_inclusive)), ("upper", Bound(b, b_inclusive))]


def _token_bounds(match: re.Match[str]) -> list[tuple[str, Bound]] | None:
    """The bound one number sets from the words around it; no word means exactly N."""
    value = Decimal(match["num"])
    pre = PRE_BOUNDS.get(match["pre"] or "")
    post = POST_BOUNDS.get(match["post"] or "")
    sides = {word[0] for word in (pre, post) if word}
    if len(sides) > 1:
        return None
    if not sides or (match["pre"] == "达到" and not post and value == 100):
        exact = Bound(value, True)
        return [("lower", exact), ("upper", exact)]
    marks = [_mark_inclusive(m) for m in (match["m1"], match["m2"]) if m]
    word = post or pre
    assert word is not None
    inclusive = marks[-1] if marks and marks[-1] is not None else word[1]
    return [(word[0], Bound(value, inclusive))]


def _mark_inclusive(mark: str | None) -> bool | None:
    return None if not mark else "不含" not in mark


def _tighter(a: Bound | None, b: Bound | None, *, upper: bool) -> Bound | None:
    """The tighter of two lower (or upper) bounds; None is unbounded, a tie goes exclusive."""
    if a is None or b is None:
        return b if a is None else a
    if a.value != b.value:
        return a if (a.value < b.value) == upper else b
    return b if a.inclusive else a


def _intersect(*spans: _Span) -> _Span | None:
    """The part every interval shares, or None if they share nothing."""
    lower: Bound | None = None
    upper: Bound | None = None
    for low, up in spans:
        lower, upper = _tighter(lower, low, upper=False), _tighter(upper, up, upper=True)
    return (lower, upper) if _nonempty(lower, upper) else None


def _is_point(lower: Bound | None, upper: Bound | None) -> bool:
    return lower is not None and upper is not None and lower.value == upper.value


def _nonempty(lower: Bound | None, upper: Bound | None) -> bool:
    if lower is None or upper is None or lower.value < upper.value:
        return True
    return lower.value == upper.value and lower.inclusive and upper.inclusive


def _contains(band: Band, rate: Decimal) -> bool:
    return _intersect((band.lower, band.upper), (Bound(rate, True), Bound(rate, True))) is not None


def score_range(bands: list[Band], rate_percent: Decimal) -> tuple[Decimal, Decimal] | None:
    """The points allowed at a rate: the union over every band claiming it, or None."""
    claims = [band for band in bands if _contains(band, rate_percent)]
    if not claims:
        return None
    return min(b.points_min for b in claims), max(b.points_max for b in claims)


def band_problems(
    bands: list[Band],
    weight: Decimal | None = None,
    domain: tuple[Decimal, Decimal] = (Decimal(0), Decimal(100)),
) -> list[BandProblem]:
    """Overlaps (each pair once), gaps in ``domain`` and awards above ``weight``.

    Exact interval arithmetic; an overlap is reported with the bands' whole shared
    interval when it meets the domain. An empty list of bands has no problems.
    """
    problems = _overlaps(bands, domain) + _gaps(bands, domain)
    if weight is not None:
        problems += [_over_weight(band, weight) for band in bands if band.points_max > weight]
    return problems


def _overlaps(bands: list[Band], domain: tuple[Decimal, Decimal]) -> list[BandProblem]:
    found = []
    inside = (Bound(domain[0], True), Bound(domain[1], True))
    for i, first in enumerate(bands):
        for second in bands[i + 1 :]:
            shared = _intersect((first.lower, first.upper), (second.lower, second.upper))
            if shared is None or _intersect(shared, inside) is None:
                continue
            lower, upper = shared
            if lower is not None and _is_point(lower, upper):
                text = f"{fmt.plain(lower.value)}%同时被“{first.condition}”和“{second.condition}”两档覆盖"
            else:
                text = f"“{first.condition}”与“{second.condition}”在{_interval(lower, upper)}重叠"
            found.append(BandProblem("overlap", (first, second), lower, upper, text))
    return found


def _gaps(bands: list[Band], domain: tuple[Decimal, Decimal]) -> list[BandProblem]:
    """Unclaimed parts of the domain: each cut point and each open piece between cuts."""
    if not bands:
        return []
    low, high = domain
    ends = {b.value for band in bands for b in (band.lower, band.upper) if b is not None}
    cuts = sorted({low, high} | {value for value in ends if low < value < high})
    pieces = [(Bound(c, True), Bound(c, True), c) for c in cuts]
    pieces += [(Bound(a, False), Bound(b, False), (a + b) / 2) for a, b in pairwise(cuts)]
    gaps: list[_Span] = []
    for lower, upper, probe in sorted(pieces, key=lambda piece: piece[2]):
        if any(_contains(band, probe) for band in bands):
            continue
        last = gaps[-1][1] if gaps else None
        if last is not None and last.value == lower.value and last.inclusive != lower.inclusive:
            gaps[-1] = (gaps[-1][0], upper)  # adjacent to the previous gap: extend it
        else:
            gaps.append((lower, upper))
    return [
        BandProblem("gap", (), lower, upper, f"{_interval(lower, upper)}没有任何档次覆盖")
        for lower, upper in gaps
    ]


def _over_weight(band: Band, weight: Decimal) -> BandProblem:
    text = f"“{band.condition}”最高可得{fmt.plain(band.points_max)}分，超过该指标权重{fmt.plain(weight)}分"
    return BandProblem("over_weight", (band,), band.lower, band.upper, text)


def suggest_fix(bands: list[Band], problem: BandProblem) -> str | None:
    """A Chinese suggestion for the two classic overlap slips, otherwise None.

    - a lower bound inside the band below it that is a typo for that band's upper
      bound ("78%以上不到90%" next to "70%以上不到80%" → 80);
    - one rate claimed by "A%以上" and "A%以下" → write "不到A%".
    """
    if problem.kind != "overlap" or len(problem.bands) != 2:
        return None
    lower, upper = problem.lower, problem.upper
    if lower is not None and _is_point(lower, upper):
        return _double_claim_fix(problem.bands[0], problem.bands[1], lower.value)
    return _typo_fix(bands, problem.bands[0], problem.bands[1])


def _typo_fix(bands: list[Band], first: Band, second: Band) -> str | None:
    for high, low in ((first, second), (second, first)):
        start, end = high.lower, low.upper
        if start is None or end is None or start.inclusive == end.inclusive:
            continue  # moving the number would leave both bands on the same point
        if not (start.value < end.value and (low.lower is None or low.lower.value < start.value)):
            continue
        moved = (Bound(end.value, start.inclusive), high.upper)
        clashes = any(_intersect(moved, (o.lower, o.upper)) for o in bands if o != high)
        rewritten = _replace(high.condition, _NUMBER, start.value, fmt.plain(end.value))
        if not _nonempty(*moved) or clashes or rewritten is None:
            continue
        old, new = fmt.plain(start.value), fmt.plain(end.value)
        return f"“{old}%”很可能是“{new}%”之误：改为“{rewritten}”后与“{low.condition}”不再重叠。"
    return None


def _double_claim_fix(first: Band, second: Band, point: Decimal) -> str | None:
    claimed = Bound(point, True)
    for below, above in ((first, second), (second, first)):
        if below.upper != claimed or above.lower != claimed:
            continue
        old = below.condition
        new = _replace(old, _AT_OR_BELOW, point, f"不到{fmt.plain(point)}%")
        if new is not None:
            return f"将“{old}”改为“{new}”（低于{fmt.plain(point)}%）。"
    return None


def _replace(text: str, pattern: re.Pattern[str], value: Decimal, new: str) -> str | None:
    """``text`` with the first match whose number (group 1) equals ``value`` replaced."""
    for match in pattern.finditer(text):
        if Decimal(match[1]) == value:
            return f"{text[: match.start()]}{new}{text[match.end() :]}"
    return None


def _interval(lower: Bound | None, upper: Bound | None) -> str:
    """An interval as "[78%, 80%)" or "(−∞, 70%]", a single point as "70%"."""
    if lower is not None and _is_point(lower, upper):
        return f"{fmt.plain(lower.value)}%"
    left = "(−∞" if lower is None else f"{'[' if lower.inclusive else '('}{fmt.plain(lower.value)}%"
    right = (
        "+∞)" if upper is None else f"{fmt.plain(upper.value)}%{']' if upper.inclusive else ')'}"
    )
    return f"{left}, {right}"
