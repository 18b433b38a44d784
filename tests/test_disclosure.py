"""Disclosure decisions: who sees which record on which day, masked or not, and why."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.catalog import CatalogItem, Duration, load_catalog
from xinyong.domain.actor import Actor
from xinyong.domain.disclosure import (
    MARK_UNDER_OBJECTION,
    MARK_UNDER_REVIEW,
    REASONS,
    Decision,
    RecordFacts,
    Viewer,
    Visibility,
    decide,
    mask_fields,
    visible_fields,
)
from xinyong.domain.enums import Disclosure, Purpose, Role, SharingScope, SubjectKind, Tier
from xinyong.domain.publicity import classify_penalty_tier, ruleset_in_force

CATALOG = load_catalog()
RULESETS = CATALOG.rulesets
ROOT = Path(__file__).resolve().parents[1]

PENALTY = CATALOG.item("administrative_penalty")
SAMR_PENALTY = CATALOG.item("market_regulation_penalty")
COURT = CATALOG.item("court_dishonest_debtor")
LICENSING = CATALOG.item("administrative_licensing")
UTILITIES = CATALOG.item("public_utility_arrears")
ABNORMAL = CATALOG.item("abnormal_operations_list")
ON_REQUEST = replace(PENALTY, code="penalty_on_request", disclosure=Disclosure.ON_REQUEST)

ORG = SubjectKind.ENTERPRISE
PERSON = SubjectKind.INDIVIDUAL
ADMIN = Purpose.ADMINISTRATION

PUBLIC = Viewer.public()
SUBJECT = Viewer(Role.SUBJECT, is_subject=True)
OWN_UNIT = Viewer(Role.SOURCE_UNIT, unit="sz_fire", purpose=ADMIN)
OTHER_UNIT = Viewer(Role.SOURCE_UNIT, unit="sz_tax", purpose=ADMIN)
RELYING = Viewer(Role.RELYING_PARTY, unit="bank_x", authorized=True, purpose=Purpose.BANK_LOAN)
UNAUTHORIZED = Viewer(Role.RELYING_PARTY, unit="bank_x", purpose=Purpose.BANK_LOAN)
OPERATOR = Viewer(Role.OPERATOR, purpose=Purpose.OTHER)
AUDITOR = Viewer(Role.AUDITOR, purpose=Purpose.OTHER)
SYSTEM = Viewer(Role.SYSTEM, purpose=Purpose.OTHER)
VIEWERS = {
    "public": PUBLIC,
    "subject": SUBJECT,
    "own_unit": OWN_UNIT,
    "other_unit": OTHER_UNIT,
    "relying": RELYING,
    "unauthorized": UNAUTHORIZED,
    "operator": OPERATOR,
    "auditor": AUDITOR,
    "system": SYSTEM,
}


def penalty(
    decided: date | None = date(2026, 4, 1),
    tier: Tier = Tier.GENERAL,
    kind: SubjectKind = ORG,
    item: CatalogItem = PENALTY,
    **changes: Any,
) -> RecordFacts:
    return RecordFacts(
        item=item, subject_kind=kind, decision_date=decided, tier=tier, unit="sz_fire", **changes
    )


def see(facts: RecordFacts, on: date, viewer: Viewer = PUBLIC) -> Decision:
    return decide(facts, viewer, on, RULESETS)


def outcome(facts: RecordFacts, on: date, viewer: Viewer = PUBLIC) -> tuple[Visibility, str]:
    decision = see(facts, on, viewer)
    return decision.visibility, decision.reason


SHOWN, MASKED, HIDDEN = Visibility.SHOWN, Visibility.MASKED, Visibility.HIDDEN


# ---------------------------------------------------------------------------------------------
# superseded and revoked records


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("public", (HIDDEN, "superseded")),
        ("subject", (HIDDEN, "superseded")),
        ("own_unit", (HIDDEN, "superseded")),
        ("other_unit", (HIDDEN, "superseded")),
        ("relying", (HIDDEN, "superseded")),
        ("operator", (SHOWN, "platform_operator")),
        ("auditor", (SHOWN, "platform_operator")),
        ("system", (SHOWN, "platform_operator")),
    ],
)
def test_superseded_versions_are_history_for_the_operator_and_auditor(
    viewer: str, expected: tuple[Visibility, str]
) -> None:
    facts = penalty(status="superseded")
    decision = see(facts, date(2026, 5, 1), VIEWERS[viewer])
    assert (decision.visibility, decision.reason) == expected
    assert decision.public_reason == "superseded"
    assert not decision.counts_for_owner  # the current version is the one the subject's file counts


def test_history_needs_a_purpose_even_for_the_operator() -> None:
    facts = penalty(status="superseded")
    assert outcome(facts, date(2026, 5, 1), Viewer(Role.OPERATOR)) == (HIDDEN, "purpose_required")


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("public", (HIDDEN, "revoked")),
        ("relying", (HIDDEN, "revoked")),
        ("unauthorized", (HIDDEN, "revoked")),
        ("other_unit", (HIDDEN, "revoked")),
        ("own_unit", (HIDDEN, "revoked")),
        ("subject", (SHOWN, "revoked")),
        ("operator", (SHOWN, "platform_operator")),
        ("auditor", (SHOWN, "platform_operator")),
    ],
)
def test_revoked_records_are_withdrawn_art_48(viewer: str, expected: tuple[Visibility, str]) -> None:
    facts = penalty(status="revoked", revoked_on=date(2026, 6, 10))
    decision = see(facts, date(2026, 6, 10), VIEWERS[viewer])
    assert (decision.visibility, decision.reason) == expected
    assert decision.public_reason == "revoked"


def test_the_subject_is_told_why_a_revoked_record_is_withdrawn() -> None:
    facts = penalty(status="revoked", revoked_on=date(2026, 6, 10))
    decision = see(facts, date(2026, 7, 1), SUBJECT)
    assert decision.counts_for_owner
    assert "2026-06-10" in decision.reason_zh and "2026-06-10" in decision.reason_en
    assert "撤回公示" in decision.reason_zh and "withdrawn" in decision.reason_en


def test_revocation_takes_effect_on_its_date() -> None:
    facts = penalty(status="revoked", revoked_on=date(2026, 6, 10))
    assert outcome(facts, date(2026, 6, 9)) == (SHOWN, "within_publicity")
    assert outcome(facts, date(2026, 6, 10)) == (HIDDEN, "revoked")
    # a revocation date on a record still marked current also withdraws it
    assert outcome(penalty(revoked_on=date(2026, 6, 10)), date(2026, 6, 10)) == (HIDDEN, "revoked")
    # a revoked status without a date: withdrawn at once
    assert outcome(penalty(status="revoked"), date(2026, 4, 2)) == (HIDDEN, "revoked")


# ---------------------------------------------------------------------------------------------
# disclosure attribute and sharing scope


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("public", (SHOWN, "within_publicity")),
        ("unauthorized", (SHOWN, "within_publicity")),
        ("relying", (SHOWN, "authorized_query")),
        ("subject", (SHOWN, "within_publicity")),
        ("own_unit", (SHOWN, "own_unit")),
        ("other_unit", (SHOWN, "government_sharing")),
        ("operator", (SHOWN, "platform_operator")),
    ],
)
def test_public_items_are_shown_to_anyone_within_publicity(
    viewer: str, expected: tuple[Visibility, str]
) -> None:
    assert outcome(penalty(), date(2026, 5, 1), VIEWERS[viewer]) == expected


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("public", (HIDDEN, "authorization_required")),
        ("unauthorized", (HIDDEN, "authorization_required")),
        ("relying", (SHOWN, "authorized_query")),
        ("subject", (SHOWN, "authorization_required")),
        ("own_unit", (SHOWN, "own_unit")),
        ("other_unit", (SHOWN, "government_sharing")),
        ("operator", (SHOWN, "platform_operator")),
    ],
)
def test_on_request_items(viewer: str, expected: tuple[Visibility, str]) -> None:
    assert outcome(penalty(item=ON_REQUEST), date(2026, 5, 1), VIEWERS[viewer]) == expected


def test_on_request_needs_a_purpose_and_stops_with_publicity() -> None:
    facts = penalty(item=ON_REQUEST)
    no_purpose = Viewer(Role.RELYING_PARTY, unit="bank_x", authorized=True)
    assert outcome(facts, date(2026, 5, 1), no_purpose) == (HIDDEN, "purpose_required")
    assert outcome(facts, date(2027, 4, 2), RELYING) == (HIDDEN, "publicity_ended")


def utility(kind: SubjectKind = PERSON, **changes: Any) -> RecordFacts:
    return RecordFacts(UTILITIES, kind, date(2025, 3, 1), unit="sz_power", **changes)


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (PUBLIC, (HIDDEN, "not_public")),
        (RELYING, (HIDDEN, "not_public")),
        (UNAUTHORIZED, (HIDDEN, "not_public")),
        (SUBJECT, (SHOWN, "not_public")),
        (Viewer(Role.SOURCE_UNIT, unit="sz_power", purpose=ADMIN), (SHOWN, "own_unit")),
        (OTHER_UNIT, (SHOWN, "government_sharing")),  # conditional sharing, administration purpose
        (
            Viewer(Role.SOURCE_UNIT, unit="sz_tax", purpose=Purpose.BIDDING),
            (HIDDEN, "administration_purpose_required"),
        ),
        (Viewer(Role.SOURCE_UNIT, unit="sz_tax"), (HIDDEN, "purpose_required")),
        (OPERATOR, (SHOWN, "platform_operator")),
    ],
)
def test_not_public_items(viewer: Viewer, expected: tuple[Visibility, str]) -> None:
    assert outcome(utility(), date(2025, 4, 1), viewer) == expected


def test_sharing_scope_none_is_never_shared_with_other_units() -> None:
    unshared = replace(UTILITIES, sharing_scope=SharingScope.NONE)
    facts = RecordFacts(unshared, ORG, date(2025, 3, 1), unit="sz_power")
    assert outcome(facts, date(2025, 4, 1), OTHER_UNIT) == (HIDDEN, "sharing_not_permitted")
    own = Viewer(Role.SOURCE_UNIT, unit="sz_power", purpose=ADMIN)
    assert outcome(facts, date(2025, 4, 1), own) == (SHOWN, "own_unit")


def test_unconditional_sharing_serves_any_declared_government_purpose() -> None:
    shared = replace(UTILITIES, sharing_scope=SharingScope.UNCONDITIONAL)
    facts = RecordFacts(shared, ORG, date(2025, 3, 1), unit="sz_power")
    bidding = Viewer(Role.SOURCE_UNIT, unit="sz_finance", purpose=Purpose.BIDDING)
    assert outcome(facts, date(2025, 4, 1), bidding) == (SHOWN, "government_sharing")


def test_without_a_purpose_everyone_gets_the_public_view() -> None:
    facts = penalty(kind=PERSON)
    for role in (Role.OPERATOR, Role.SOURCE_UNIT, Role.RELYING_PARTY):
        decision = see(facts, date(2026, 5, 1), Viewer(role, unit="sz_fire", authorized=True))
        assert decision.visibility is MASKED and decision.public_view
        assert decision.reason == "within_publicity"
        assert see(facts, date(2027, 4, 2), Viewer(role, unit="sz_fire")).reason in (
            "purpose_required",
            "publicity_ended",  # a relying party has no path past the end of publicity
        )


def test_the_subject_needs_no_purpose_and_no_authorization() -> None:
    decision = see(utility(), date(2025, 4, 1), Viewer(Role.PUBLIC, is_subject=True))
    assert decision.visibility is SHOWN and not decision.public_view
    assert "本人" in decision.reason_zh and "Your own record" in decision.reason_en


def test_viewer_from_an_actor() -> None:
    actor = Actor(Role.SOURCE_UNIT, user="li", unit="sz_tax", purpose=ADMIN)
    assert Viewer.of(actor) == Viewer(Role.SOURCE_UNIT, "sz_tax", False, False, ADMIN)
    assert Viewer.of(Actor.public(), is_subject=True).is_subject


# ---------------------------------------------------------------------------------------------
# publicity periods: Order 58 practice vs Order 36 around 2026-04-01


def test_order_58_practice_up_to_2026_03_31() -> None:
    facts = penalty(date(2026, 3, 31))
    decision = see(facts, date(2029, 3, 31))
    assert (decision.visibility, decision.reason) == (SHOWN, "within_publicity")  # last day of 3 years
    assert decision.window is not None and decision.window.ruleset == "ndrc_order_58_practice"
    assert decision.window.ends == date(2029, 3, 31)
    assert outcome(facts, date(2029, 4, 1)) == (HIDDEN, "publicity_ended")


@pytest.mark.parametrize(
    ("tier", "last_day"),
    [(Tier.GENERAL, date(2027, 4, 1)), (Tier.SERIOUS, date(2029, 4, 1))],
)
def test_order_36_from_2026_04_01(tier: Tier, last_day: date) -> None:
    facts = penalty(date(2026, 4, 1), tier)
    assert see(facts, last_day).window.ruleset == "ndrc_order_36"  # type: ignore[union-attr]
    assert outcome(facts, date(2026, 4, 1)) == (SHOWN, "within_publicity")  # published from the decision
    assert outcome(facts, last_day) == (SHOWN, "within_publicity")
    assert outcome(facts, last_day + timedelta(days=1)) == (HIDDEN, "publicity_ended")


def test_order_58_minor_is_published_but_order_36_minor_is_not() -> None:
    assert outcome(penalty(date(2026, 3, 31), Tier.MINOR), date(2026, 5, 1)) == (SHOWN, "within_publicity")
    facts = penalty(date(2026, 4, 1), Tier.MINOR)
    for viewer, expected in [
        (PUBLIC, (HIDDEN, "not_published")),
        (RELYING, (HIDDEN, "not_published")),
        (SUBJECT, (SHOWN, "not_published")),
        (OWN_UNIT, (SHOWN, "own_unit")),
        (OTHER_UNIT, (SHOWN, "government_sharing")),  # not published, still shared
        (OPERATOR, (SHOWN, "platform_operator")),
    ]:
        assert outcome(facts, date(2026, 4, 2), viewer) == expected
    assert "not published by default" in see(facts, date(2026, 4, 2)).reason_en


def test_order_36_minor_published_anyway_stops_after_three_months() -> None:
    facts = penalty(date(2026, 4, 1), Tier.MINOR, published_on=date(2026, 4, 3))
    decision = see(facts, date(2026, 7, 1))
    assert (decision.visibility, decision.reason) == (SHOWN, "within_publicity")
    assert decision.window is not None and decision.window.ends == date(2026, 7, 1)
    assert outcome(facts, date(2026, 4, 2)) == (HIDDEN, "not_yet_published")
    assert outcome(facts, date(2026, 7, 2)) == (HIDDEN, "publicity_ended")


def test_the_same_penalty_either_side_of_the_switch() -> None:
    day = date(2027, 6, 1)
    assert outcome(penalty(date(2026, 3, 31)), day) == (SHOWN, "within_publicity")  # Order 58: 3 years
    assert outcome(penalty(date(2026, 4, 1)), day) == (HIDDEN, "publicity_ended")  # Order 36: 1 year


def test_527_serious_period() -> None:
    facts = penalty(date(2020, 6, 15), Tier.SERIOUS)
    assert outcome(facts, date(2023, 6, 15)) == (SHOWN, "within_publicity")
    assert outcome(facts, date(2023, 6, 16)) == (HIDDEN, "publicity_ended")


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("public", (HIDDEN, "publicity_ended")),
        ("relying", (HIDDEN, "publicity_ended")),
        ("unauthorized", (HIDDEN, "publicity_ended")),
        ("subject", (SHOWN, "publicity_ended")),
        ("own_unit", (SHOWN, "own_unit")),
        ("other_unit", (SHOWN, "government_sharing")),  # publicity ended; sharing goes on
        ("operator", (SHOWN, "platform_operator")),
    ],
)
def test_after_the_publicity_period(viewer: str, expected: tuple[Visibility, str]) -> None:
    decision = see(penalty(date(2026, 4, 1)), date(2027, 4, 2), VIEWERS[viewer])
    assert (decision.visibility, decision.reason) == expected
    assert decision.public_reason == "publicity_ended" and decision.counts_for_owner


def test_explanations_name_the_last_day() -> None:
    ended = see(penalty(date(2026, 4, 1)), date(2027, 4, 2))
    assert "2027-04-01" in ended.reason_zh and "2027-04-01" in ended.reason_en
    within = see(penalty(date(2026, 4, 1)), date(2026, 9, 1))
    assert "2027-04-01" in within.reason_zh and "inclusive" in within.reason_en


def test_decisions_before_any_rule_set() -> None:
    facts = penalty(date(2019, 4, 30))
    assert outcome(facts, date(2019, 5, 5)) == (HIDDEN, "no_rule_set")
    assert outcome(facts, date(2019, 5, 5), SUBJECT) == (SHOWN, "no_rule_set")
    assert outcome(facts, date(2019, 5, 5), OPERATOR) == (SHOWN, "platform_operator")
    assert see(facts, date(2019, 5, 5)).window is None
    assert "2019-04-30" in see(facts, date(2019, 5, 5)).reason_en
    assert outcome(penalty(date(2019, 5, 1)), date(2019, 5, 5)) == (SHOWN, "within_publicity")
    samr = penalty(date(2021, 8, 31), item=SAMR_PENALTY)
    assert outcome(samr, date(2021, 9, 5)) == (HIDDEN, "no_rule_set")


def test_a_tier_the_rule_set_does_not_cover_is_no_rule_set_not_a_crash() -> None:
    unlisted = replace(COURT, tags=())  # no list tag: the list rule set has no minor tier
    facts = RecordFacts(unlisted, ORG, date(2025, 1, 1), Tier.MINOR)
    assert outcome(facts, date(2025, 2, 1)) == (HIDDEN, "no_rule_set")


def test_no_decision_date() -> None:
    facts = penalty(None)
    assert outcome(facts, date(2026, 5, 1)) == (HIDDEN, "decision_date_missing")
    assert outcome(facts, date(2026, 5, 1), SUBJECT) == (SHOWN, "decision_date_missing")
    # items without a publicity rule do not need one
    assert outcome(RecordFacts(LICENSING, ORG, None), date(2026, 5, 1)) == (SHOWN, "no_publicity_period")


def test_not_before_the_decision_or_the_publication() -> None:
    facts = penalty(date(2026, 4, 10), published_on=date(2026, 4, 20))
    assert outcome(facts, date(2026, 4, 9)) == (HIDDEN, "not_yet_published")
    assert outcome(facts, date(2026, 4, 19)) == (HIDDEN, "not_yet_published")
    assert outcome(facts, date(2026, 4, 20)) == (SHOWN, "within_publicity")
    assert see(facts, date(2026, 4, 20)).window.ends == date(2027, 4, 10)  # type: ignore[union-attr]


def test_items_without_a_publicity_rule_are_shown_while_current() -> None:
    licence = RecordFacts(LICENSING, ORG, date(2019, 1, 2))
    assert outcome(licence, date(2035, 1, 1)) == (SHOWN, "no_publicity_period")
    assert outcome(replace(licence, subject_kind=PERSON), date(2035, 1, 1)) == (MASKED, "no_publicity_period")
    assert outcome(replace(licence, status="revoked"), date(2035, 1, 1)) == (HIDDEN, "revoked")
    assert see(licence, date(2035, 1, 1)).window is None
    assert outcome(licence, date(2019, 1, 1)) == (HIDDEN, "not_yet_published")  # not before its decision


# ---------------------------------------------------------------------------------------------
# SAMR Order 45 (GSXT), counted from publication


def samr(
    codes: tuple[str, ...], fine: str | None, decided: date, published: date, **changes: Any
) -> RecordFacts:
    rules = ruleset_in_force(RULESETS, "samr_penalty_publicity", decided)
    tier = classify_penalty_tier(rules, codes, Decimal(fine) if fine else None, "1")
    return penalty(
        decided, tier, item=SAMR_PENALTY, penalty_categories=codes, published_on=published, **changes
    )


def test_samr_warning_only_is_not_published() -> None:
    facts = samr(("01",), None, date(2025, 3, 3), date(2025, 3, 20))
    assert outcome(facts, date(2025, 3, 20)) == (HIDDEN, "not_published")
    assert outcome(facts, date(2025, 3, 20), SUBJECT) == (SHOWN, "not_published")


@pytest.mark.parametrize(
    ("codes", "fine"),
    [(("02",), None), (("03",), "5"), (("01", "03"), "0.5")],  # 通报批评; a low fine (≤ 10 万元 placeholder)
)
def test_samr_circulated_criticism_and_low_fines_three_months_from_publication(
    codes: tuple[str, ...], fine: str | None
) -> None:
    facts = samr(codes, fine, date(2025, 10, 20), date(2025, 11, 14))
    assert facts.tier is Tier.MINOR
    assert outcome(facts, date(2025, 11, 13)) == (HIDDEN, "not_yet_published")
    assert outcome(facts, date(2026, 2, 14)) == (SHOWN, "within_publicity")
    assert outcome(facts, date(2026, 2, 15)) == (HIDDEN, "publicity_ended")


def test_samr_other_penalties_three_years() -> None:
    facts = samr(("03", "04"), "50", date(2025, 1, 6), date(2025, 1, 24))
    assert facts.tier is Tier.GENERAL
    assert outcome(facts, date(2028, 1, 24)) == (SHOWN, "within_publicity")
    assert outcome(facts, date(2028, 1, 25)) == (HIDDEN, "publicity_ended")


def test_samr_bans_longer_than_three_years_set_the_period() -> None:
    facts = samr(("12",), None, date(2024, 5, 6), date(2024, 5, 20), restriction_period=Duration.parse("P5Y"))
    assert facts.tier is Tier.SERIOUS
    assert outcome(facts, date(2029, 5, 20)) == (SHOWN, "within_publicity")
    assert outcome(facts, date(2029, 5, 21)) == (HIDDEN, "publicity_ended")


# ---------------------------------------------------------------------------------------------
# month ends (Civil Code art. 202)


def test_month_end_clamping() -> None:
    minor = penalty(date(2026, 11, 30), Tier.MINOR, published_on=date(2026, 12, 1))
    assert outcome(minor, date(2027, 2, 28)) == (SHOWN, "within_publicity")
    assert outcome(minor, date(2027, 3, 1)) == (HIDDEN, "publicity_ended")
    leap = penalty(date(2028, 2, 29), Tier.SERIOUS)
    assert outcome(leap, date(2031, 2, 28)) == (SHOWN, "within_publicity")
    assert outcome(leap, date(2031, 3, 1)) == (HIDDEN, "publicity_ended")
    samr_minor = samr(("02",), None, date(2025, 11, 10), date(2025, 11, 30))
    assert outcome(samr_minor, date(2026, 2, 28)) == (SHOWN, "within_publicity")
    assert outcome(samr_minor, date(2026, 3, 1)) == (HIDDEN, "publicity_ended")


# ---------------------------------------------------------------------------------------------
# lists


def test_court_list_two_years_masked_for_persons() -> None:
    facts = RecordFacts(COURT, PERSON, date(2025, 1, 15), unit="sz_court")
    assert outcome(facts, date(2027, 1, 15)) == (MASKED, "within_publicity")
    assert outcome(facts, date(2027, 1, 16)) == (HIDDEN, "publicity_ended")
    assert outcome(replace(facts, subject_kind=ORG), date(2027, 1, 15)) == (SHOWN, "within_publicity")


def test_lists_without_a_fixed_end() -> None:
    facts = RecordFacts(ABNORMAL, ORG, date(2021, 3, 1), unit="sz_samr")
    assert outcome(facts, date(2040, 1, 1)) == (SHOWN, "no_fixed_end")


# ---------------------------------------------------------------------------------------------
# credit repair (Order 36: terminate publicity, stop sharing)


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("public", (HIDDEN, "repaired")),
        ("relying", (HIDDEN, "repaired")),
        ("other_unit", (HIDDEN, "repaired")),  # sharing stopped
        ("subject", (SHOWN, "repaired")),
        ("own_unit", (SHOWN, "own_unit")),  # the fact of the conduct stays in history
        ("operator", (SHOWN, "platform_operator")),
        ("auditor", (SHOWN, "platform_operator")),
    ],
)
def test_repair(viewer: str, expected: tuple[Visibility, str]) -> None:
    facts = penalty(date(2026, 4, 1), repaired_on=date(2026, 8, 1))
    assert see(facts, date(2026, 7, 31), VIEWERS[viewer]).visible
    decision = see(facts, date(2026, 8, 1), VIEWERS[viewer])
    assert (decision.visibility, decision.reason) == expected
    assert decision.public_reason == "repaired" and decision.counts_for_owner


def test_the_subject_sees_the_repair_date() -> None:
    decision = see(penalty(date(2026, 4, 1), repaired_on=date(2026, 8, 1)), date(2026, 9, 1), SUBJECT)
    assert "2026-08-01" in decision.reason_zh and "repaired" in decision.reason_en
    assert decision.visibility is SHOWN and decision.public_visibility is HIDDEN  # "hidden from others"


def test_the_subject_learns_what_others_see() -> None:
    decision = see(penalty(kind=PERSON), date(2026, 5, 1), SUBJECT)
    assert (decision.visibility, decision.public_visibility) == (SHOWN, MASKED)
    assert decision.public_reason == decision.reason == "within_publicity"


# ---------------------------------------------------------------------------------------------
# objection and review marks


def test_marks_are_shown_with_the_record_and_never_hide_it() -> None:
    facts = penalty(kind=PERSON, under_objection=True, under_review=True)
    for viewer in VIEWERS.values():
        plain = see(replace(facts, under_objection=False, under_review=False), date(2026, 5, 1), viewer)
        marked = see(facts, date(2026, 5, 1), viewer)
        assert (marked.visibility, marked.reason) == (plain.visibility, plain.reason)
        if marked.visible:
            assert marked.marks == (MARK_UNDER_OBJECTION, MARK_UNDER_REVIEW)
    assert see(penalty(under_review=True), date(2026, 5, 1)).marks == (MARK_UNDER_REVIEW,)
    assert see(facts, date(2027, 4, 2)).marks == ()  # nothing to mark on a hidden record


# ---------------------------------------------------------------------------------------------
# masking (Shenzhen regulation art. 38 ¶2)

SCHEMA = CATALOG.schemas["administrative_penalty"]
PERSON_FIELDS = {
    "CF_XDR_MC": "张三丰",
    "CF_XDR_LB": "2",
    "CF_XDR_ZJLX": "001",
    "CF_XDR_ZJHM": "11010519491231002X",
    "CF_WSH": "深消行罚决字〔2026〕12号",
    "CF_NR_FK": Decimal("0.5"),
}
ORG_FIELDS = {
    "CF_XDR_MC": "深圳市某某科技有限公司",
    "CF_XDR_LB": "1",
    "CF_XDR_SHXYM": "914403001922038216",
    "CF_FRDB": "欧阳娜娜",
    "CF_FR_ZJLX": "001",
    "CF_FR_ZJHM": "440524188001010014",
    "CF_WSH": "深消行罚决字〔2026〕13号",
}


def test_mask_a_natural_person() -> None:
    masked = mask_fields(PERSON_FIELDS, SCHEMA)
    assert masked["CF_XDR_MC"] == "张*丰"
    assert masked["CF_XDR_ZJHM"] == "1101051949****002X"
    assert masked["CF_WSH"] == PERSON_FIELDS["CF_WSH"] and masked["CF_NR_FK"] == Decimal("0.5")
    assert PERSON_FIELDS["CF_XDR_MC"] == "张三丰"  # the input is not changed


def test_mask_other_identity_documents() -> None:
    passport = {**PERSON_FIELDS, "CF_XDR_ZJLX": "002", "CF_XDR_ZJHM": "E12345678"}
    assert mask_fields(passport, SCHEMA)["CF_XDR_ZJHM"] == "E1*****78"


def test_an_organisation_keeps_its_name_and_legal_representative_but_not_the_id_number() -> None:
    masked = mask_fields(ORG_FIELDS, SCHEMA)
    assert masked["CF_XDR_MC"] == ORG_FIELDS["CF_XDR_MC"] and masked["CF_FRDB"] == "欧阳娜娜"
    assert masked["CF_XDR_SHXYM"] == "914403001922038216"
    assert masked["CF_FR_ZJHM"] == "4405241880****0014"


def test_mask_every_personal_field_of_a_person() -> None:
    schema = CATALOG.schema_for("court_dishonest_debtor")
    fields: dict[str, Any] = {
        "subject_name": "李四",
        "subject_category": "2",
        "id_number": "342301196405053224",
    }
    fields |= {"sex": "女", "age": 61, "case_number": "(2025)粤0304执1号", "legal_representative": ""}
    masked = mask_fields(fields, schema)
    expected = {"subject_name": "李*", "id_number": "3423011964****3224", "sex": "*", "age": None}
    assert masked == fields | expected
    restriction = CATALOG.schema_for("court_consumption_restriction")
    persons = {"subject_name": "王五", "subject_category": "2", "restricted_persons": "王五、赵六六, 钱七"}
    assert mask_fields(persons, restriction)["restricted_persons"] == "王*、赵*六, 钱*"


def test_who_is_a_natural_person() -> None:
    tax = CATALOG.schema_for("major_tax_violation")  # no category field: keyed by ID number or USCC
    assert mask_fields({"name": "周八", "id_number": "440524188001010014"}, tax)["name"] == "周*"
    assert mask_fields({"name": "某公司", "uscc": "914403001922038216"}, tax)["name"] == "某公司"
    assert mask_fields(ORG_FIELDS, SCHEMA, individual=True)["CF_FRDB"] == "欧**娜"


def test_visible_fields_follow_the_decision() -> None:
    person = penalty(kind=PERSON)
    assert visible_fields(see(person, date(2026, 5, 1)), PERSON_FIELDS, SCHEMA) == mask_fields(
        PERSON_FIELDS, SCHEMA
    )
    assert visible_fields(see(person, date(2026, 5, 1), SUBJECT), PERSON_FIELDS, SCHEMA) == PERSON_FIELDS
    assert visible_fields(see(person, date(2026, 5, 1), RELYING), PERSON_FIELDS, SCHEMA) == PERSON_FIELDS
    assert visible_fields(see(person, date(2027, 4, 2)), PERSON_FIELDS, SCHEMA) is None
    org = see(penalty(), date(2026, 5, 1))
    assert org.visibility is SHOWN and org.public_view
    assert visible_fields(org, ORG_FIELDS, SCHEMA)["CF_FR_ZJHM"] == "4405241880****0014"  # type: ignore[index]
    assert visible_fields(see(penalty(), date(2026, 5, 1), OPERATOR), ORG_FIELDS, SCHEMA) == ORG_FIELDS


# ---------------------------------------------------------------------------------------------
# invariants over many records, viewers and days

ITEMS = [PENALTY, SAMR_PENALTY, COURT, LICENSING, UTILITIES, ABNORMAL, ON_REQUEST]


@settings(max_examples=300, deadline=None)
@given(
    item=st.sampled_from(ITEMS),
    kind=st.sampled_from([ORG, PERSON]),
    tier=st.sampled_from([Tier.MINOR, Tier.GENERAL, Tier.SERIOUS]),
    decided=st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 11, 27)),
    offset=st.integers(min_value=-30, max_value=6 * 365),
    status=st.sampled_from(["current", "current", "superseded", "revoked"]),
    repaired_after=st.none() | st.integers(min_value=0, max_value=4 * 365),
    objection=st.booleans(),
)
def test_invariants(
    item: CatalogItem,
    kind: SubjectKind,
    tier: Tier,
    decided: date,
    offset: int,
    status: str,
    repaired_after: int | None,
    objection: bool,
) -> None:
    repaired = None if repaired_after is None else decided + timedelta(days=repaired_after)
    facts = RecordFacts(item, kind, decided, tier, unit="sz_fire", repaired_on=repaired)
    facts = replace(facts, status=status, under_objection=objection)  # type: ignore[arg-type]
    today = decided + timedelta(days=offset)
    seen = {name: see(facts, today, viewer) for name, viewer in VIEWERS.items()}
    for decision in seen.values():
        assert decision.reason in REASONS and decision.public_reason in REASONS
        assert decision.reason_zh and decision.reason_en
        assert (MARK_UNDER_OBJECTION in decision.marks) == (objection and decision.visible)
    public = seen["public"]
    assert all(d.public_visibility is public.visibility for d in seen.values())
    assert public.visibility is not (SHOWN if kind is PERSON else MASKED)  # persons only de-identified
    if public.visible:  # what the public sees, everyone sees
        assert all(d.visible for d in seen.values())
    assert seen["subject"].visible == (status != "superseded")  # the subject always sees its own
    assert seen["operator"].visible and seen["auditor"].visible
    if repaired is not None and today >= repaired:
        assert not any(seen[name].visible for name in ("public", "relying", "unauthorized", "other_unit"))


# ---------------------------------------------------------------------------------------------
# docs


def test_every_reason_code_is_documented() -> None:
    text = (ROOT / "docs" / "disclosure.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    assert documented == set(REASONS)
