"""Shared helpers for the list, measure, screening and job tests."""

from __future__ import annotations

from datetime import date

from xinyong import ids
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.lists import Entry
from xinyong.services import lists
from xinyong.services.platform import Platform

COURT = Actor(role=Role.SOURCE_UNIT, unit="sz_court", user="judge-li")
SAMR = Actor(role=Role.SOURCE_UNIT, unit="sz_samr", user="officer-wang")
TAX = Actor(role=Role.SOURCE_UNIT, unit="sz_tax", user="officer-zhao")
ADULT = "11010519491231002X"  # GB 11643 example, born 1949
COMPANY = "91440300708461136T"
OTHER_COMPANY = "914403001922038216"
D0 = date(2026, 3, 2)  # a Monday


def resident_id(birth: date, region: str = "440305", seq: str = "123") -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + ids.resident_id_check_char(first17)


MINOR = resident_id(date(2015, 6, 1))


def court_listing(
    platform: Platform,
    identifier: str = ADULT,
    ground: str = "refuses_settlement",
    on: date = D0,
    name: str = "张三",
) -> Entry:
    """A court-list entry proposed, decided and published on ``on`` (no advance notice on this list)."""
    entry = lists.propose(
        platform,
        COURT,
        list_type_code="court_dishonest_debtor",
        identifier=identifier,
        ground=ground,
        basis_document="(2025)粤0304民初1234号",
        facts="拒不履行和解协议",
        subject_name=name,
        on=on,
    )
    lists.decide(platform, COURT, entry.id, decision_document="(2026)粤0304执555号", on=on)
    return lists.publish(platform, COURT, entry.id, on=on)


def samr_listing(platform: Platform, identifier: str = COMPANY, on: date = D0) -> Entry:
    """A SAMR serious-list entry through notice, the defence window, decision and publication."""
    entry = lists.propose(
        platform,
        SAMR,
        list_type_code="samr_serious_illegal",
        identifier=identifier,
        ground="heavy_fine",
        basis_document="深市监罚〔2026〕12号",
        facts="销售假冒伪劣产品，从重处罚",
        subject_name="某某公司",
        on=on,
    )
    entry = lists.notify(platform, SAMR, entry.id, document="深市监告〔2026〕3号", on=on)
    assert entry.defence_until is not None
    day = entry.defence_until.toordinal() + 1
    lists.decide(platform, SAMR, entry.id, decision_document="深市监列〔2026〕7号", on=date.fromordinal(day))
    return lists.publish(platform, SAMR, entry.id, on=date.fromordinal(day))
