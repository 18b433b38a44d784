"""Publicity windows: Order 58 practice vs Order 36 around 2026-04-01, SAMR Order 45, lists, dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.catalog import Duration, RuleSet, add_months, load_catalog
from xinyong.domain.enums import Tier
from xinyong.domain.publicity import (
    NoRuleSetInForce,
    PublicityWindow,
    classify_penalty_tier,
    publicity_window,
    ruleset_in_force,
)

CATALOG = load_catalog()


def penalty_rules(on: date) -> RuleSet:
    return ruleset_in_force(CATALOG, "penalty_publicity", on)


SAMR = ruleset_in_force(CATALOG, "samr_penalty_publicity", date(2025, 1, 1))
LISTS = ruleset_in_force(CATALOG, "list_period", date(2025, 1, 1))


# ---------------------------------------------------------------------------------------------
# month arithmetic and durations


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # clamped to the end of February
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 1, 31), 13, date(2026, 2, 28)),
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # across a year end
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=0, max_value=600),
)
def test_add_months_properties(start: date, months: int) -> None:
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day <= start.day
    if end.day < start.day:  # clamped: only when the target month is too short
        assert (end + timedelta(days=1)).day == 1


@pytest.mark.parametrize(
    ("text", "months", "days"),
    [("P3M", 3, 0), ("P1Y", 12, 0), ("P1Y6M", 18, 0), ("P10D", 0, 10), ("P0D", 0, 0), ("P3Y", 36, 0)],
)
def test_duration_parse(text: str, months: int, days: int) -> None:
    duration = Duration.parse(text)
    assert (duration.months, duration.days) == (months, days)
    assert Duration.parse(str(duration)) == duration


@pytest.mark.parametrize("text", ["3M", "P", "PT1H", "P1W", "P-1M", "", "1 year"])
def test_duration_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        Duration.parse(text)


def test_durations_order() -> None:
    assert Duration.parse("P3M") < Duration.parse("P1Y") < Duration.parse("P3Y")
    assert Duration.parse("P1Y").after(date(2026, 4, 1)) == date(2027, 4, 1)
    assert Duration.parse("P1Y6M").describe() == "1 year 6 months"


# ---------------------------------------------------------------------------------------------
# which rule set is in force


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (date(2019, 5, 1), "ndrc_2019_527"),
        (date(2023, 4, 30), "ndrc_2019_527"),
        (date(2023, 5, 1), "ndrc_order_58_practice"),
        (date(2026, 3, 31), "ndrc_order_58_practice"),
        (date(2026, 4, 1), "ndrc_order_36"),
        (date(2040, 1, 1), "ndrc_order_36"),
    ],
)
def test_ruleset_in_force(on: date, code: str) -> None:
    assert penalty_rules(on).code == code
    assert ruleset_in_force(CATALOG.rulesets, "penalty_publicity", on).code == code  # an iterable also works


def test_no_ruleset_before_the_first_one() -> None:
    with pytest.raises(NoRuleSetInForce) as caught:
        penalty_rules(date(2019, 4, 30))
    assert "2019-04-30" in caught.value.message and caught.value.rule == "publicity.no_ruleset_in_force"
    with pytest.raises(NoRuleSetInForce):
        ruleset_in_force(CATALOG, "samr_penalty_publicity", date(2021, 8, 31))
    with pytest.raises(NoRuleSetInForce) as unknown:
        ruleset_in_force(CATALOG, "no_such_family", date(2025, 1, 1))
    assert unknown.value.rule == "publicity.unknown_family"


# ---------------------------------------------------------------------------------------------
# penalty publicity on both sides of 2026-04-01


def window(on: date, tier: Tier, tags: tuple[str, ...] = ()) -> PublicityWindow:
    return publicity_window(penalty_rules(on), tier, on, tags=tags)


def test_order_58_practice_the_day_before_order_36() -> None:
    result = window(date(2026, 3, 31), Tier.GENERAL)
    assert result.published and result.ruleset == "ndrc_order_58_practice"
    assert result.earliest_repair == date(2026, 7, 1)  # 3 months end 2026-06-30; apply from the next day
    assert result.ends == date(2029, 3, 31)  # maximum 3 years
    # Order 58 practice does not distinguish tiers.
    assert window(date(2026, 3, 31), Tier.MINOR).ends == window(date(2026, 3, 31), Tier.SERIOUS).ends


def test_order_36_general_from_2026_04_01() -> None:
    result = window(date(2026, 4, 1), Tier.GENERAL)
    assert result.ruleset == "ndrc_order_36"
    assert (result.earliest_repair, result.ends) == (date(2026, 7, 2), date(2027, 4, 1))
    assert result.min_period == Duration.parse("P3M") and result.max_period == Duration.parse("P1Y")
    assert "decision date 2026-04-01" in result.basis


def test_order_36_serious() -> None:
    result = window(date(2026, 4, 1), Tier.SERIOUS)
    assert (result.earliest_repair, result.ends) == (date(2027, 4, 2), date(2029, 4, 1))


def test_order_36_minor_is_not_published_by_default() -> None:
    result = window(date(2026, 4, 1), Tier.MINOR)
    assert not result.published and result.ends is None
    assert result.ends_if_published == date(2026, 7, 1)  # if published at all, at most 3 months
    assert result.earliest_repair == date(2026, 4, 1)  # repairable once obligations are fulfilled
    assert "not published by default" in result.basis


def test_the_same_penalty_on_either_side_of_the_switch() -> None:
    before = window(date(2026, 3, 31), Tier.GENERAL)
    after = window(date(2026, 4, 1), Tier.GENERAL)
    assert before.ends is not None and after.ends is not None
    assert (before.ends - before.starts).days > 2 * 365
    assert (after.ends - after.starts).days == 365


def test_527_serious_and_unverified_general() -> None:
    serious = window(date(2020, 6, 15), Tier.SERIOUS)
    assert (serious.earliest_repair, serious.ends) == (date(2020, 12, 16), date(2023, 6, 15))
    general = window(date(2020, 6, 15), Tier.GENERAL)
    assert general.ends == date(2021, 6, 15)
    assert "UNVERIFIED" in general.basis


def test_month_end_clamping_in_windows() -> None:
    late_november = window(date(2026, 11, 30), Tier.GENERAL)
    assert late_november.earliest_repair == date(2027, 3, 1)  # min period ends 2027-02-28
    assert late_november.ends == date(2027, 11, 30)
    assert window(date(2026, 11, 30), Tier.MINOR).ends_if_published == date(2027, 2, 28)
    assert window(date(2025, 11, 30), Tier.GENERAL).earliest_repair == date(2026, 3, 1)
    assert window(date(2028, 2, 29), Tier.SERIOUS).ends == date(2031, 2, 28)


# ---------------------------------------------------------------------------------------------
# sector tags and multi-type decisions


@pytest.mark.parametrize("tag", ["special_equipment", "work_safety", "fire_safety", "food_drug"])
def test_order_58_sector_minimum_of_one_year(tag: str) -> None:
    result = window(date(2025, 11, 30), Tier.GENERAL, tags=(tag,))
    assert result.earliest_repair == date(2026, 12, 1)
    assert result.ends == date(2028, 11, 30)  # the maximum is unchanged
    assert tag in result.basis


def test_food_drug_minimum_is_marked_unverified() -> None:
    assert "UNVERIFIED" in window(date(2025, 11, 30), Tier.GENERAL, tags=("food_drug",)).basis
    assert "UNVERIFIED" not in window(date(2025, 11, 30), Tier.GENERAL, tags=("work_safety",)).basis


def test_unrelated_tags_do_not_change_the_window() -> None:
    plain = window(date(2025, 11, 30), Tier.GENERAL)
    assert window(date(2025, 11, 30), Tier.GENERAL, tags=("construction", "shuang_gongshi")) == plain


def test_multi_type_decision_takes_the_longest_period() -> None:
    result = window(date(2025, 6, 10), Tier.GENERAL, tags=("environment", "work_safety", "fire_safety"))
    assert result.earliest_repair == date(2026, 6, 11)
    assert "work_safety" in result.basis and "fire_safety" in result.basis


def test_order_36_multi_type_decision_is_classified_by_its_most_serious_part() -> None:
    rules = penalty_rules(date(2026, 5, 1))
    tier = classify_penalty_tier(rules, ["03", "08"], Decimal("0.1"), "1")  # fine + revocation
    assert tier is Tier.SERIOUS
    result = publicity_window(rules, tier, date(2026, 5, 1), penalty_category_codes=["03", "08"])
    assert result.ends == date(2029, 5, 1)


# ---------------------------------------------------------------------------------------------
# tier classification (Order 36 hints)


@pytest.mark.parametrize(
    ("codes", "fine", "category", "expected"),
    [
        (["01"], None, "1", Tier.MINOR),  # warning
        (["02"], None, "2", Tier.MINOR),  # 通报批评
        (["01", "03"], Decimal("0.02"), "2", Tier.MINOR),  # 200 yuan for a citizen
        (["03"], Decimal("0.03"), "2", Tier.GENERAL),  # 300 yuan for a citizen
        (["03"], Decimal("0.3"), "1", Tier.MINOR),  # 3,000 yuan for an organisation
        (["03"], Decimal("0.31"), "1", Tier.GENERAL),
        (["03"], None, "1", Tier.GENERAL),  # amount unknown: not minor
        (["03"], Decimal("0.1"), None, Tier.GENERAL),  # counterparty unknown: smallest threshold
        (["03"], Decimal("0.01"), None, Tier.MINOR),
        (["03", "04"], Decimal("0.01"), "1", Tier.GENERAL),  # confiscation is not minor
        (["10"], None, "1", Tier.SERIOUS),  # 责令停产停业
        (["12"], None, "2", Tier.SERIOUS),  # 限制从业
        ([], None, "1", Tier.GENERAL),
    ],
)
def test_classify_order_36(
    codes: list[str], fine: Decimal | None, category: str | None, expected: Tier
) -> None:
    assert classify_penalty_tier(penalty_rules(date(2026, 4, 1)), codes, fine, category) is expected


def test_order_58_practice_classifies_everything_as_general() -> None:
    rules = penalty_rules(date(2025, 1, 1))
    assert classify_penalty_tier(rules, ["01"], None, "1") is Tier.GENERAL
    assert classify_penalty_tier(rules, ["08"], None, "1") is Tier.GENERAL


# ---------------------------------------------------------------------------------------------
# SAMR Order 45


def samr(
    codes: list[str],
    fine: Decimal | None = None,
    published_on: date | None = None,
    restriction_period: Duration | None = None,
) -> PublicityWindow:
    tier = classify_penalty_tier(SAMR, codes, fine, "1")
    return publicity_window(
        SAMR,
        tier,
        date(2025, 1, 10),
        penalty_category_codes=codes,
        published_on=published_on,
        restriction_period=restriction_period,
    )


def test_samr_warning_only_is_not_published() -> None:
    result = samr(["01"], published_on=date(2025, 2, 1))
    assert not result.published and result.ends is None
    assert samr(["01", "03"], Decimal("50")).published  # a warning with a fine is published


def test_samr_circulated_criticism_and_low_fines_stop_after_three_months() -> None:
    result = samr(["02"], published_on=date(2025, 2, 1))
    assert result.published and result.tier is Tier.MINOR
    assert result.ends == date(2025, 5, 1)  # counted from the publication date
    low_fine = samr(["03"], Decimal("2"), published_on=date(2025, 2, 1))
    assert low_fine.ends == date(2025, 5, 1)


def test_samr_other_penalties_three_years_with_early_stop() -> None:
    result = samr(["03"], Decimal("50"), published_on=date(2025, 2, 1))
    assert result.tier is Tier.GENERAL
    assert result.ends == date(2028, 2, 1)
    assert result.earliest_repair == date(2026, 2, 2)


@pytest.mark.parametrize("code", ["07", "08", "09", "10", "12"])
def test_samr_no_early_stop_for_bans_and_revocations(code: str) -> None:
    result = samr([code], published_on=date(2025, 2, 1))
    assert result.tier is Tier.SERIOUS and result.earliest_repair is None
    assert result.ends == date(2028, 2, 1)
    assert "no early repair" in result.basis


def test_samr_bans_longer_than_three_years_set_the_period() -> None:
    five_years = samr(["12"], published_on=date(2025, 2, 1), restriction_period=Duration.parse("P5Y"))
    assert five_years.ends == date(2030, 2, 1) and "restriction period" in five_years.basis
    two_years = samr(["12"], published_on=date(2025, 2, 1), restriction_period=Duration.parse("P2Y"))
    assert two_years.ends == date(2028, 2, 1)
    # a fine is not a ban: the restriction period does not apply
    fine = samr(
        ["03"], Decimal("50"), published_on=date(2025, 2, 1), restriction_period=Duration.parse("P5Y")
    )
    assert fine.ends == date(2028, 2, 1)


def test_samr_without_publication_date_counts_from_the_decision() -> None:
    result = samr(["02"])
    assert result.starts == date(2025, 1, 10) and result.ends == date(2025, 4, 10)
    assert "no publication date" in result.basis


# ---------------------------------------------------------------------------------------------
# lists


def test_court_list_two_years_and_deletable_on_performance() -> None:
    result = publicity_window(LISTS, Tier.SERIOUS, date(2025, 1, 10), tags=("court_dishonest_list",))
    assert result.ends == date(2027, 1, 10) and result.earliest_repair == date(2025, 1, 10)


def test_abnormal_operations_list_has_no_fixed_end() -> None:
    result = publicity_window(LISTS, Tier.GENERAL, date(2025, 1, 10), tags=("abnormal_operations",))
    assert result.published and result.ends is None


def test_samr_serious_list_period() -> None:
    result = publicity_window(LISTS, Tier.SERIOUS, date(2025, 1, 10), tags=("samr_serious_list",))
    assert (result.earliest_repair, result.ends) == (date(2026, 1, 11), date(2028, 1, 10))


def test_missing_tier_rule_is_a_clear_error() -> None:
    with pytest.raises(NoRuleSetInForce) as caught:
        publicity_window(LISTS, Tier.MINOR, date(2025, 1, 10))
    assert caught.value.rule == "publicity.no_tier_rule"


@given(
    st.dates(min_value=date(2026, 4, 1), max_value=date(2060, 12, 31)),
    st.sampled_from([Tier.GENERAL, Tier.SERIOUS]),
)
def test_order_36_windows_are_consistent(decision: date, tier: Tier) -> None:
    result = publicity_window(penalty_rules(decision), tier, decision)
    assert result.published and result.ends is not None and result.earliest_repair is not None
    assert decision < result.earliest_repair <= result.ends
    assert result.ends <= add_months(decision, 36)
