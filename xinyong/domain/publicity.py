"""Publicity periods of negative credit information (公示期限), computed from catalog rule sets.

Pure functions over :class:`~xinyong.catalog.model.RuleSet` data:

* :func:`ruleset_in_force` picks the version of a rule-set family in force on a date (normally the
  decision date: NDRC Order 58 practice until 2026-03-31, NDRC Order 36 from 2026-04-01);
* :func:`classify_penalty_tier` turns a penalty decision into minor / general / serious using the
  rule set's classification hints;
* :func:`publicity_window` says whether the information is published, when repair may first be
  applied for and when publication ends.

Date arithmetic (Civil Code arts. 201-202, 民法典第二百零一条、第二百零二条): a period counts from the
day after its start date and ends on the corresponding day of the last month, or that month's last
day when there is none, so a 3-month period from 2025-11-30 ends on 2026-02-28 (clamped, never rolled
over into March). ``ends`` is that last day of publication (inclusive); ``earliest_repair`` is the
first day after the minimum period, i.e. the day a repair application may first be filed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from xinyong.catalog.model import Catalog, CountsFrom, Duration, PeriodOverride, PeriodRule, RuleSet
from xinyong.domain.enums import Tier
from xinyong.errors import InvalidInput

__all__ = [
    "NoRuleSetInForce",
    "PublicityWindow",
    "classify_penalty_tier",
    "publicity_window",
    "ruleset_in_force",
]


class NoRuleSetInForce(InvalidInput):
    """No rule set of the family covers the date (or the family does not exist)."""

    code = "no_ruleset_in_force"


@dataclass(frozen=True)
class PublicityWindow:
    """How long a piece of negative information is published."""

    published: bool
    earliest_repair: date | None  # first day a repair application may be filed; None = no repair
    ends: date | None  # last day of publication (inclusive); None = not published or no fixed end
    basis: str  # human-readable: rule set, tier, periods and why
    starts: date  # the date the periods count from
    ruleset: str = ""  # RuleSet.code
    tier: Tier = Tier.GENERAL
    min_period: Duration | None = None
    max_period: Duration | None = None
    ends_if_published: date | None = None  # for tiers not published by default (Order 36 minor)


def ruleset_in_force(catalog_or_rulesets: Catalog | Iterable[RuleSet], family: str, on: date) -> RuleSet:
    """The rule set of ``family`` whose validity covers ``on``; raises NoRuleSetInForce if none."""
    rulesets = (
        catalog_or_rulesets.rulesets
        if isinstance(catalog_or_rulesets, Catalog)
        else tuple(catalog_or_rulesets)
    )
    of_family = [r for r in rulesets if r.family == family]
    if not of_family:
        raise NoRuleSetInForce(
            f"no publicity rule-set family {family!r} in the catalog",
            message_zh=f"目录中没有公示期限规则族 {family}",
            rule="publicity.unknown_family",
        )
    matching = [r for r in of_family if r.covers(on)]
    if not matching:
        spans = "; ".join(f"{r.code}: {r.valid_from} to {r.valid_to or 'open'}" for r in of_family)
        raise NoRuleSetInForce(
            f"no rule set of family {family!r} is in force on {on.isoformat()} (rule sets: {spans})",
            message_zh=f"{on.isoformat()} 没有有效的 {family} 公示期限规则",
            rule="publicity.no_ruleset_in_force",
        )
    return matching[0]  # the loader guarantees rule sets of one family do not overlap


def classify_penalty_tier(
    ruleset: RuleSet,
    penalty_category_codes: Iterable[str],
    fine_wan: Decimal | None,
    counterparty_category: str | None,
) -> Tier:
    """Minor, general or serious, from the penalty categories (enum penalty_category) and the fine.

    * any serious category (revocation, closure, restriction of practice or production …) or a fine
      at or above ``serious_fine_min_wan`` for the counterparty category → serious;
    * only minor categories (warning, 通报批评, fine), and a fine, if any, known and at most
      ``minor_fine_max_wan`` for the counterparty category → minor (when the counterparty category
      is unknown, the smallest threshold applies; an unknown fine amount is not minor);
    * otherwise the rule set's default (general).
    """
    hints = ruleset.classification
    codes = frozenset(penalty_category_codes)
    if codes & hints.serious_categories:
        return Tier.SERIOUS
    serious_fine = _threshold(hints.serious_fine_min_wan, counterparty_category, largest=True)
    if fine_wan is not None and serious_fine is not None and fine_wan >= serious_fine:
        return Tier.SERIOUS
    if codes and hints.minor_categories and codes <= hints.minor_categories:
        if hints.fine_category is None or hints.fine_category not in codes:
            return Tier.MINOR
        minor_fine = _threshold(hints.minor_fine_max_wan, counterparty_category, largest=False)
        if fine_wan is not None and minor_fine is not None and fine_wan <= minor_fine:
            return Tier.MINOR
    return hints.default


def _threshold(values: Mapping[str, Decimal], category: str | None, *, largest: bool) -> Decimal | None:
    if not values:
        return None
    if category is not None and category in values:
        return values[category]
    # Unknown counterparty: the most cautious threshold (fewest decisions become minor or serious).
    return max(values.values()) if largest else min(values.values())


def publicity_window(
    ruleset: RuleSet,
    tier: Tier,
    decision_date: date,
    tags: Iterable[str] = (),
    penalty_category_codes: Iterable[str] = (),
    *,
    published_on: date | None = None,
    restriction_period: Duration | None = None,
) -> PublicityWindow:
    """The publicity window of one piece of information under ``ruleset``.

    ``tags`` and ``penalty_category_codes`` select overrides (e.g. special equipment: minimum 1 year);
    when several apply (a multi-type decision) each period is the longest of them. ``published_on``
    is the publication date for rule sets counting from publication (SAMR Order 45); without it the
    decision date is used. ``restriction_period`` is the length of a production or practice ban,
    which extends the end where the rule set says so (SAMR Order 45 art. 13 ¶3).
    """
    codes = frozenset(penalty_category_codes)
    tag_set = frozenset(tags)
    start, start_note = _start(ruleset, decision_date, published_on)
    if codes and ruleset.unpublished_if_only and codes <= ruleset.unpublished_if_only:
        return PublicityWindow(
            published=False,
            earliest_repair=None,
            ends=None,
            basis=f"{_title(ruleset)}: a decision only of penalty categories {', '.join(sorted(codes))} "
            "is not published",
            starts=start,
            ruleset=ruleset.code,
            tier=tier,
        )
    rule, matched = _effective_rule(ruleset, tier, tag_set, codes)
    max_period = rule.max_period
    extended = False
    banned = restriction_period is not None and bool(codes & ruleset.restriction_categories)
    if (
        banned
        and restriction_period is not None
        and max_period is not None
        and restriction_period > max_period
    ):
        max_period, extended = restriction_period, True
    window_ends = max_period.after(start) if max_period is not None else None
    earliest = _earliest_repair(rule, start)
    basis = _basis(ruleset, tier, rule, max_period, start, start_note, matched, extended)
    if not rule.published:
        if_published = rule.max_if_published.after(start) if rule.max_if_published is not None else None
        return PublicityWindow(
            published=False,
            earliest_repair=earliest,
            ends=None,
            basis=basis,
            starts=start,
            ruleset=ruleset.code,
            tier=tier,
            min_period=rule.min_period,
            max_period=rule.max_if_published,
            ends_if_published=if_published,
        )
    return PublicityWindow(
        published=True,
        earliest_repair=earliest,
        ends=window_ends,
        basis=basis,
        starts=start,
        ruleset=ruleset.code,
        tier=tier,
        min_period=rule.min_period,
        max_period=max_period,
    )


def _start(ruleset: RuleSet, decision_date: date, published_on: date | None) -> tuple[date, str]:
    if ruleset.counts_from is CountsFrom.PUBLICATION_DATE:
        if published_on is not None:
            return published_on, f"from the publication date {published_on.isoformat()}"
        return decision_date, (
            f"from the decision date {decision_date.isoformat()} (the rule counts from publication; "
            "no publication date was given)"
        )
    return decision_date, f"from the decision date {decision_date.isoformat()}"


def _effective_rule(
    ruleset: RuleSet, tier: Tier, tags: frozenset[str], codes: frozenset[str]
) -> tuple[PeriodRule, tuple[PeriodOverride, ...]]:
    matched = tuple(o for o in ruleset.overrides if o.matches(tags, codes))
    replacing = [o for o in matched if o.replace]
    base = ruleset.tiers.get(tier)
    if base is None and not replacing:
        raise NoRuleSetInForce(
            f"rule set {ruleset.code} has no publicity rule for tier {tier.value}",
            message_zh=f"规则 {ruleset.code} 未规定{tier.zh}信息的公示期限",
            rule="publicity.no_tier_rule",
        )
    template = base or PeriodRule()
    if replacing:
        candidates = [_apply(template, o) for o in replacing]
        candidates += [_apply(c, o) for c in candidates for o in matched if not o.replace]
    else:
        candidates = [template] + [_apply(template, o) for o in matched]
    return _longest(candidates), matched


def _apply(rule: PeriodRule, override: PeriodOverride) -> PeriodRule:
    return replace(
        rule,
        min_period=override.min_period if override.min_period is not None else rule.min_period,
        max_period=None if override.no_max else (override.max_period or rule.max_period),
        repairable=rule.repairable if override.repairable is None else override.repairable,
    )


def _longest(rules: list[PeriodRule]) -> PeriodRule:
    """Combine candidate rules, keeping the longest period of each kind (None = unlimited)."""

    def longest(periods: list[Duration | None]) -> Duration | None:
        return None if any(p is None for p in periods) else max(p for p in periods if p is not None)

    return replace(
        rules[0],
        published=any(r.published for r in rules),
        min_period=longest([r.min_period for r in rules]),
        max_period=longest([r.max_period for r in rules]),
        repairable=all(r.repairable for r in rules),
    )


def _earliest_repair(rule: PeriodRule, start: date) -> date | None:
    if not rule.repairable or rule.min_period is None:
        return None
    if rule.min_period.is_zero:
        return start  # repairable as soon as the obligations are fulfilled
    return rule.min_period.after(start) + timedelta(days=1)


def _title(ruleset: RuleSet) -> str:
    return f"{ruleset.name_en} [{ruleset.code}]"


def _basis(
    ruleset: RuleSet,
    tier: Tier,
    rule: PeriodRule,
    max_period: Duration | None,
    start: date,
    start_note: str,
    matched: tuple[PeriodOverride, ...],
    extended: bool,
) -> str:
    parts = [f"{_title(ruleset)}, {tier.value} ({tier.zh})"]
    if not rule.published:
        shown = rule.max_if_published.describe() if rule.max_if_published else "no fixed period"
        parts.append(f"not published by default; if published, at most {shown}")
    else:
        parts.append(f"maximum {max_period.describe() if max_period else 'none (no fixed end)'}")
    if not rule.repairable:
        parts.append("no early repair")
    elif rule.min_period is not None and rule.min_period.is_zero:
        parts.append("repairable once the obligations are fulfilled")
    elif rule.min_period is not None:
        parts.append(f"minimum {rule.min_period.describe()} before repair")
    parts.append(start_note)
    labels = [", ".join((*o.tags, *o.categories)) for o in matched]
    if labels:
        parts.append(f"longest period of: {'; '.join(labels)}")
    if extended:
        parts.append("extended to the restriction period")
    if not ruleset.verified or any(not o.verified for o in matched):
        parts.append("UNVERIFIED rule: check the official text")
    return "; ".join(parts)
