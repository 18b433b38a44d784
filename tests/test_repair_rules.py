"""Eligibility for credit repair, rule by rule, under Order 58, Order 36 and SAMR's repair rules."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.catalog import load_catalog
from xinyong.catalog.model import Duration
from xinyong.domain.enums import Tier
from xinyong.domain.repair import RepairFacts, assess, regime_for

CATALOG = load_catalog()


def penalty(tier: Tier = Tier.GENERAL, decided: date = date(2026, 6, 1), **over: object) -> RepairFacts:
    base: dict[str, object] = {
        "family": "penalty_publicity",
        "tier": tier,
        "decision_date": decided,
        "penalty_categories": ("03",),
    }
    base.update(over)
    return RepairFacts(**base)  # type: ignore[arg-type]


def samr(tier: Tier = Tier.GENERAL, decided: date = date(2025, 3, 1), **over: object) -> RepairFacts:
    return penalty(tier, decided, family="samr_penalty_publicity", **over)


def codes(result: object) -> dict[str, bool]:
    return {c.code: c.ok for c in result.checks}  # type: ignore[attr-defined]


def test_regime_follows_the_application_date() -> None:
    assert regime_for("penalty_publicity", date(2026, 3, 31)).code == "ndrc_order_58"  # type: ignore[union-attr]
    assert regime_for("penalty_publicity", date(2026, 4, 1)).code == "ndrc_order_36"  # type: ignore[union-attr]
    assert regime_for("samr_penalty_publicity", date(2026, 4, 1)).code == "samr_repair_2021"  # type: ignore[union-attr]
    assert regime_for("list_period", date(2026, 4, 1)).code == "list_rules"  # type: ignore[union-attr]
    assert regime_for("no_such_family", date(2026, 4, 1)) is None


def test_minimum_period_must_pass() -> None:
    before = assess(penalty(), date(2026, 9, 1), CATALOG)
    assert not before.eligible and before.earliest == date(2026, 9, 2)
    assert codes(before)["min_period"] is False
    on_the_day = assess(penalty(), date(2026, 9, 2), CATALOG)
    assert on_the_day.eligible and on_the_day.regime.code == "ndrc_order_36"  # type: ignore[union-attr]
    assert "2026-09-02" in next(c.zh for c in on_the_day.checks if c.code == "min_period")


def test_order_36_serious_tier_waits_a_year_where_order_58_waited_three_months() -> None:
    facts = penalty(Tier.SERIOUS, date(2025, 6, 1))
    under_58 = assess(facts, date(2026, 3, 31), CATALOG)
    assert under_58.eligible and under_58.regime.code == "ndrc_order_58"  # type: ignore[union-attr]
    under_36 = assess(facts, date(2026, 4, 1), CATALOG)
    assert not under_36.eligible and under_36.earliest == date(2026, 6, 2)


def test_fire_safety_penalty_waits_a_year_under_order_58() -> None:
    result = assess(penalty(decided=date(2025, 6, 1), tags=("fire_safety",)), date(2026, 3, 1), CATALOG)
    assert not result.eligible and result.earliest == date(2026, 6, 2)


@pytest.mark.parametrize("category", ["08", "12"])
def test_licence_revocation_and_practice_ban_cannot_be_repaired_early(category: str) -> None:
    result = assess(
        penalty(Tier.SERIOUS, date(2024, 1, 1), penalty_categories=(category,)), date(2026, 6, 1), CATALOG
    )
    assert not result.eligible and result.earliest is None
    assert codes(result)["no_early_repair"] is False


def test_minor_tier_repairable_once_obligations_are_met() -> None:
    facts = penalty(Tier.MINOR, date(2026, 5, 1), penalty_categories=("01",))
    result = assess(facts, date(2026, 5, 1), CATALOG)
    assert result.eligible and codes(result)["minor_repairable"]
    unpaid = assess(
        penalty(Tier.MINOR, date(2026, 5, 1), obligations_fulfilled=False), date(2026, 5, 2), CATALOG
    )
    assert not unpaid.eligible and codes(unpaid)["obligations"] is False


def test_bankruptcy_abuse_waits_three_years() -> None:
    result = assess(penalty(bankruptcy_abuse_on=date(2026, 1, 10)), date(2026, 10, 1), CATALOG)
    assert not result.eligible and result.earliest == date(2029, 1, 11)
    assert codes(result) == {
        "regime": True,
        "min_period": True,
        "bankruptcy_abuse": False,
        "obligations": True,
    }


def test_after_the_maximum_period_nothing_needs_repair() -> None:
    result = assess(penalty(decided=date(2026, 4, 10)), date(2027, 4, 11), CATALOG)
    assert not result.eligible and codes(result)["publicity_ended"] is False


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (penalty(status="revoked"), "not_current"),
        (penalty(repaired_on=date(2026, 10, 1)), "already_repaired"),
        (penalty(open_case=True), "case_open"),
        (penalty(Tier.POSITIVE), "not_negative"),
        (penalty(family="integrity_honours"), "no_repair_regime"),
        (penalty(decided=None), "decision_date_missing"),
    ],
)
def test_states_that_rule_repair_out(facts: RepairFacts, code: str) -> None:
    result = assess(facts, date(2026, 11, 28), CATALOG)
    assert not result.eligible and [c.code for c in result.checks] == [code]


def test_samr_general_penalty_after_one_year_with_its_conditions() -> None:
    ok = assess(samr(), date(2026, 3, 2), CATALOG)
    assert ok.eligible and ok.regime.code == "samr_repair_2021"  # type: ignore[union-attr]
    assert codes(ok)["not_listed"] and codes(ok)["no_repeat"]
    assert not assess(samr(), date(2026, 3, 1), CATALOG).eligible
    listed = assess(samr(listed=True), date(2026, 6, 1), CATALOG)
    assert codes(listed)["not_listed"] is False and not listed.eligible
    repeated = assess(samr(repeated_on=date(2026, 1, 5)), date(2026, 6, 1), CATALOG)
    assert codes(repeated)["no_repeat"] is False and "2026-01-05" in repeated.failed[0].en


@pytest.mark.parametrize("category", ["06", "07", "08", "09", "10", "12"])
def test_samr_no_early_stop_for_suspension_restriction_downgrade_revocation(category: str) -> None:
    facts = samr(Tier.GENERAL, penalty_categories=("03", category))
    assert codes(assess(facts, date(2026, 6, 1), CATALOG))["no_early_repair"] is False


def test_samr_serious_tier_is_not_repairable_by_rule_set() -> None:
    result = assess(samr(Tier.SERIOUS, restriction_period=Duration(months=12)), date(2026, 6, 1), CATALOG)
    assert not result.eligible and result.earliest is None


def test_list_entry_periods_follow_the_list_tag() -> None:
    court = penalty(Tier.SERIOUS, date(2026, 3, 1), family="list_period", tags=("court_dishonest_list",))
    assert assess(court, date(2026, 3, 1), CATALOG).eligible  # deleted once performed, at any time
    wages = penalty(Tier.SERIOUS, date(2026, 3, 1), family="list_period", tags=("wage_arrears_list",))
    assert assess(wages, date(2027, 3, 1), CATALOG).earliest == date(2027, 3, 2)
