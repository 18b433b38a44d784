"""A simulated clock over a synthetic city: disclosure decisions day by day, checked independently.

A few thousand records (seeded random data: items, penalty mixes, tiers, decision dates 2019-01-01 to
2026-11-27, natural persons and organisations, corrections, revocations, repairs, objections) are
looked at weekly from 2021-01-01 for five years (then quarterly to 2030, so that windows under Order 36
run out too), from the day each record enters the city, and on each record's own boundary days. For the
public viewer, each decision must match a publicity window computed here from the rule-set data with
our own month arithmetic (not by calling the publicity module): never shown after the last day, never
hidden within it while published and current, never shown after a repair or revocation. The subject
must always see its own record.
"""

from __future__ import annotations

import calendar
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from xinyong.catalog import CatalogItem, CountsFrom, Duration, RuleSet, load_catalog
from xinyong.domain.disclosure import RecordFacts, RecordStatus, Viewer, Visibility, decide
from xinyong.domain.enums import Disclosure, Role, SubjectKind, Tier
from xinyong.domain.publicity import classify_penalty_tier

CATALOG = load_catalog()
RULESETS = CATALOG.rulesets
SEED = 20260401
RECORDS = 2500
FIRST_DECISION, LAST_DECISION = date(2019, 1, 1), date(2026, 11, 27)
CLOCK_START = date(2021, 1, 1)
CLOCK_END = date(2025, 12, 31)  # five years

PUBLIC = Viewer.public()
SUBJECT = Viewer(Role.SUBJECT, is_subject=True)

ITEM_WEIGHTS = {
    "administrative_penalty": 40,
    "market_regulation_penalty": 18,
    "court_dishonest_debtor": 8,
    "court_consumption_restriction": 4,
    "abnormal_operations_list": 5,
    "samr_serious_illegal_list": 2,
    "tax_arrears_announcement": 3,
    "major_tax_violation": 2,
    "wage_arrears_list": 2,
    "construction_market_bad_record": 3,
    "administrative_licensing": 6,
    "integrity_honours": 2,
    "enterprise_registration": 2,
    "public_utility_arrears": 3,
}
PENALTY_ITEMS = frozenset({"administrative_penalty", "market_regulation_penalty"})
# (penalty categories, fine range in 万元 or None, restricted for years (lo, hi) or None), weight
PENALTY_MIXES: list[tuple[tuple[str, ...], tuple[str, str] | None, tuple[int, int] | None, int]] = [
    (("01",), None, None, 8),  # warning only
    (("02",), None, None, 4),  # 通报批评
    (("03",), ("0.005", "0.3"), None, 16),  # small fine
    (("03",), ("0.3", "200"), None, 16),  # larger fine
    (("01", "03"), ("0.01", "0.2"), None, 6),
    (("03", "04"), ("1", "80"), None, 10),  # fine + confiscation of illegal gains
    (("03", "06"), ("0.5", "20"), None, 4),  # fine + licence suspension
    (("08",), None, None, 3),  # licence revocation
    (("10",), None, None, 3),  # suspension of production
    (("12",), None, (1, 6), 3),  # restriction of practice
    (("03", "09"), ("5", "100"), (1, 5), 3),  # fine + restriction of business
]
SECTOR_TAGS = {"sz_fire": ("fire_safety",), "sz_emergency": ("work_safety",)}


# ---------------------------------------------------------------------------------------------
# the synthetic city


def _day(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def _in_force(family: str, on: date) -> RuleSet | None:
    for ruleset in RULESETS:
        if (
            ruleset.family == family
            and ruleset.valid_from <= on
            and (ruleset.valid_to is None or on <= ruleset.valid_to)
        ):
            return ruleset
    return None


def _penalty(
    rng: random.Random, item: CatalogItem, decided: date, person: bool
) -> tuple[Tier, tuple[str, ...], Duration | None]:
    """A penalty mix, classified by the rule set in force on the decision date (if any)."""
    mixes = [m[:3] for m in PENALTY_MIXES]
    codes, fines, banned = rng.choices(mixes, weights=[m[3] for m in PENALTY_MIXES])[0]
    fine = None
    if fines is not None:
        lo, hi = (Decimal(x) for x in fines)
        fine = (lo + (hi - lo) * Decimal(rng.random())).quantize(Decimal("0.000001"))
    restriction = Duration(months=12 * rng.randint(*banned)) if banned else None
    assert item.publicity is not None
    ruleset = _in_force(item.publicity, decided)
    tier = item.tier
    if ruleset is not None:
        tier = classify_penalty_tier(ruleset, codes, fine, "2" if person else "1")
    return tier, codes, restriction


def _record(rng: random.Random) -> RecordFacts:
    code = rng.choices(list(ITEM_WEIGHTS), weights=list(ITEM_WEIGHTS.values()))[0]
    item = CATALOG.item(code)
    others = [k for k in item.subject_kinds if k is not SubjectKind.INDIVIDUAL]
    person = not others or (SubjectKind.INDIVIDUAL in item.subject_kinds and rng.random() < 0.35)
    kind = SubjectKind.INDIVIDUAL if person else rng.choice(others)
    decided = _day(rng, FIRST_DECISION, LAST_DECISION)
    unit = rng.choice(item.source_units)
    codes: tuple[str, ...] = ()
    tier, restriction = item.tier, None
    if code in PENALTY_ITEMS:
        tier, codes, restriction = _penalty(rng, item, decided, person)
    published = None
    if code == "market_regulation_penalty":
        published = decided + timedelta(days=rng.randint(1, 28))  # within 20 working days
    elif rng.random() < 0.3:  # some units report the publication date (a minor penalty: published anyway)
        published = decided + timedelta(days=rng.randint(0, 10))
    roll = rng.random()
    status: RecordStatus = "current"
    revoked = None
    if roll < 0.03:
        status = "superseded"
    elif roll < 0.08:
        status, revoked = "revoked", decided + timedelta(days=rng.randint(3, 900))
    repaired = None
    if item.tier.negative and rng.random() < 0.12:
        repaired = decided + timedelta(days=rng.randint(90, 1200))
    return RecordFacts(
        item=item,
        subject_kind=kind,
        decision_date=decided,
        tier=tier,
        unit=unit,
        tags=SECTOR_TAGS.get(unit, ()),
        penalty_categories=codes,
        restriction_period=restriction,
        status=status,
        revoked_on=revoked,
        repaired_on=repaired,
        under_objection=rng.random() < 0.05,
        under_review=rng.random() < 0.03,
        published_on=published,
    )


def city() -> list[RecordFacts]:
    rng = random.Random(SEED)
    return [_record(rng) for _ in range(RECORDS)]


# ---------------------------------------------------------------------------------------------
# the expected window, from the rule-set data


def _plus(start: date, period: Duration) -> date:
    """Civil Code art. 202: same day of the final month, or its last day when there is none."""
    years, month0 = divmod(start.month - 1 + period.months, 12)
    year, month = start.year + years, month0 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=period.days)


def _longest(periods: list[Duration | None]) -> Duration | None:
    return None if any(p is None for p in periods) else max(p for p in periods if p is not None)


@dataclass(frozen=True)
class Window:
    first: date  # first day shown
    last: date | None  # last day shown; None = no fixed end


def expected_window(facts: RecordFacts) -> Window | None:
    """When the public may see the record if nothing else happens; None = never."""
    item, decided = facts.item, facts.decision_date
    assert decided is not None
    first = max(decided, facts.published_on or decided)
    if item.disclosure is not Disclosure.PUBLIC:
        return None
    if item.publicity is None:
        return Window(first, None)
    ruleset = _in_force(item.publicity, decided)
    if ruleset is None:
        return None
    codes, tags = set(facts.penalty_categories), set(item.tags) | set(facts.tags)
    if codes and ruleset.unpublished_if_only and codes <= ruleset.unpublished_if_only:
        return None
    base = ruleset.tiers.get(facts.tier or item.tier)
    matched = [o for o in ruleset.overrides if tags & set(o.tags) or codes & set(o.categories)]
    replacing = [o for o in matched if o.replace]
    base_max = base.max_period if base else None
    raising = [o for o in matched if not o.replace]
    if replacing:  # a list's own period replaces the tier's
        maxima = [None if o.no_max else (o.max_period or base_max) for o in replacing]
        published = True
    elif base is not None:
        maxima = [base_max]
        published = base.published
    else:
        return None  # no rule for this tier
    # overrides that raise the period (several kinds of decision: the longest)
    maxima += [None if o.no_max else (o.max_period or m) for m in list(maxima) for o in raising]
    longest = _longest(maxima)
    if facts.restriction_period and codes & ruleset.restriction_categories and longest is not None:
        longest = max(longest, facts.restriction_period)  # SAMR Order 45 art. 13 ¶3
    start = decided
    if ruleset.counts_from is CountsFrom.PUBLICATION_DATE and facts.published_on is not None:
        start = facts.published_on
    if not published:
        if base is None or base.max_if_published is None or facts.published_on is None:
            return None  # not published in principle, and was not
        return Window(first, _plus(start, base.max_if_published))
    return Window(max(first, start), None if longest is None else _plus(start, longest))


def live(facts: RecordFacts, day: date) -> bool:
    """Current on ``day``: not a superseded version, not yet revoked or repaired."""
    if facts.status == "superseded":
        return False
    if facts.revoked_on is not None and facts.revoked_on <= day:
        return False
    return facts.repaired_on is None or day < facts.repaired_on


def boundary_days(facts: RecordFacts, window: Window | None) -> set[date]:
    days: set[date] = set()
    for edge in (facts.decision_date, facts.published_on, facts.revoked_on, facts.repaired_on):
        if edge is not None:
            days |= {edge - timedelta(days=1), edge}
    if window is not None:
        days |= {window.first - timedelta(days=1), window.first}
        if window.last is not None:
            days |= {window.last, window.last + timedelta(days=1)}
    return days  # also outside the walk: Order 36 windows (from 2026-04-01) end in 2026-2029


# ---------------------------------------------------------------------------------------------
# the walk


def check_public(facts: RecordFacts, window: Window | None, day: date) -> str | None:
    decision = decide(facts, PUBLIC, day, RULESETS)
    within = window is not None and window.first <= day and (window.last is None or day <= window.last)
    expected = within and live(facts, day)
    if decision.visible == expected:
        masked = decision.visibility is Visibility.MASKED
        if decision.visible and masked != (facts.subject_kind is SubjectKind.INDIVIDUAL):
            return f"{day}: {decision.visibility} for a {facts.subject_kind} ({facts})"
        return None
    if decision.visible and window is not None and window.last is not None and day > window.last:
        problem = f"shown after its last day {window.last}"
    elif decision.visible and facts.repaired_on is not None and day >= facts.repaired_on:
        problem = f"shown after its repair on {facts.repaired_on}"
    elif decision.visible:
        problem = "shown although not published or not current"
    else:
        problem = f"hidden within its window {window} ({decision.reason})"
    return f"{day}: {problem}: {facts.item.code} {facts}"


def test_a_city_over_five_years() -> None:
    records = city()
    windows = [expected_window(f) for f in records]
    weeks = [CLOCK_START + timedelta(days=7 * k) for k in range((CLOCK_END - CLOCK_START).days // 7 + 1)]
    weeks += [date(year, month, 1) for year in range(2026, 2031) for month in (1, 4, 7, 10)]  # and after
    problems: list[str] = []
    reasons: Counter[str] = Counter()
    checks = 0
    for facts, window in zip(records, windows, strict=True):
        own = boundary_days(facts, window)
        # a record is in the city from its decision date on (the day before is a boundary day)
        assert facts.decision_date is not None
        existing = [w for w in weeks if w >= facts.decision_date]
        for day in sorted(own.union(existing)):
            checks += 1
            problem = check_public(facts, window, day)
            if problem is not None:
                problems.append(problem)
        for day in sorted(own.union(existing[::13])):
            mine = decide(facts, SUBJECT, day, RULESETS)
            if mine.visible != (facts.status != "superseded") or mine.counts_for_owner != mine.visible:
                problems.append(f"{day}: the subject gets {mine.visibility} ({mine.reason}): {facts}")
            reasons[mine.reason] += 1
    assert problems[:20] == [], f"{len(problems)} problems in {checks} checks"
    # the city exercises every state the public can meet
    expected_states = {
        "within_publicity",
        "publicity_ended",
        "not_published",
        "not_yet_published",
        "no_rule_set",
        "no_fixed_end",
        "no_publicity_period",
        "not_public",
        "repaired",
        "revoked",
        "superseded",
    }
    assert expected_states <= set(reasons), expected_states - set(reasons)
    assert checks > 300_000


def test_the_city_is_varied() -> None:
    records = city()
    kinds = Counter(f.subject_kind for f in records)
    assert kinds[SubjectKind.INDIVIDUAL] > RECORDS // 10 and kinds[SubjectKind.ENTERPRISE] > RECORDS // 3
    tiers = Counter(f.tier for f in records if f.item.code in PENALTY_ITEMS)
    assert {Tier.MINOR, Tier.GENERAL, Tier.SERIOUS} <= set(tiers)
    decided = [f.decision_date for f in records if f.decision_date is not None]
    assert min(decided) < date(2019, 5, 1) and max(decided) > date(2026, 4, 1)  # both sides of every switch
    rulesets = Counter(w.ruleset for f in records if (w := decide(f, PUBLIC, CLOCK_END, RULESETS).window))
    assert {"ndrc_2019_527", "ndrc_order_58_practice", "ndrc_order_36", "samr_order_45"} <= set(rulesets)
    assert sum(f.repaired_on is not None for f in records) > 50
    assert sum(f.status == "revoked" for f in records) > 30
