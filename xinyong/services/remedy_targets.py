"""What an objection or repair is about: a stored record, or an entry on an untrustworthy list.

Records are handled here in full. List entries (严重失信主体名单 etc.) live in the lists service:
:class:`ListEntries` is the small interface the remedies use, implemented over the lists service by
:class:`xinyong.services.list_remedies.ListRemedies`, which :func:`lists` returns for the platform at
hand. Another implementation may be put in its place with :func:`connect_lists` (``None`` restores the
lists service); nothing has to be wired at startup for list entries to work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, select

from xinyong.catalog import Catalog
from xinyong.catalog.model import Duration
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Tier
from xinyong.errors import NotFound
from xinyong.store.tables import records, source_units

if TYPE_CHECKING:
    from xinyong.services.platform import Platform

PENALTY_CATEGORY_FIELD = "CF_CFLB"
SECTOR_TAGS = {"fire_safety": "fire_safety", "work_safety": "work_safety"}
LISTED_ITEMS = ("abnormal_operations_list", "samr_serious_illegal_list")  # SAMR repair condition
# Removal conditions (list types' ``removal_conditions``) the remedies remove an entry on: an approved
# repair (early removal), an objection upheld (the listing decision revoked, 错误列入).
REPAIRED, REVOKED = "repaired", "decision_revoked"


@dataclass(frozen=True)
class Target:
    kind: str  # record | list_entry
    id: str
    subject_id: str
    unit_code: str
    item_code: str
    family: str | None  # publicity rule-set family of the item
    tier: Tier
    decision_date: date | None
    status: str = "current"
    tags: tuple[str, ...] = ()
    penalty_categories: tuple[str, ...] = ()
    restriction_period: Duration | None = None
    document_number: str | None = None


class ListEntries(Protocol):
    """What the remedies need from the lists service (严重失信主体名单 and other lists)."""

    def target(self, conn: Connection, entry_id: str) -> Target | None:
        """The entry as a target (subject, deciding unit, list item, period facts), or None."""

    def remove(
        self,
        conn: Connection,
        actor: Actor,
        entry_id: str,
        on: date,
        reason: str,
        document_number: str | None,
    ) -> None:
        """Remove the entry from its list on ``on`` (repair approved or objection upheld), ending its
        measures (联合惩戒措施), appending the list's own transition and audit event."""


def removal_reason(condition: str, text: str) -> str:
    """The ``reason`` handed to :meth:`ListEntries.remove`: the removal condition, then the unit's text."""
    return f"{condition}: {text}"


def removal_condition(reason: str) -> tuple[str, str]:
    """(condition, text) of a :func:`removal_reason`; a bare text means an objection upheld (revoked)."""
    condition, sep, text = reason.partition(": ")
    return (condition, text) if sep and condition in (REPAIRED, REVOKED) else (REVOKED, reason)


_lists: ListEntries | None = None  # None: the lists service (xinyong.services.list_remedies)


def connect_lists(lists: ListEntries | None) -> None:
    """Put another implementation in place of the lists service (``None`` restores it)."""
    global _lists
    _lists = lists


def lists(platform: Platform) -> ListEntries:
    """The list entries the remedies act on: the connected implementation, else the lists service."""
    if _lists is not None:
        return _lists
    from xinyong.services.list_remedies import ListRemedies  # imports the lists service: not at load

    return ListRemedies(platform)


def load(conn: Connection, platform: Platform, kind: str, target_id: str) -> Target:
    catalog = platform.catalog
    found = _record(conn, catalog, target_id) if kind == "record" else lists(platform).target(conn, target_id)
    if found is None:
        raise NotFound(f"no {kind} {target_id!r}", message_zh="没有该条信用信息", rule=f"remedy.{kind}")
    return found


def _record(conn: Connection, catalog: Catalog, record_id: str) -> Target | None:
    row = conn.execute(select(records).where(records.c.id == record_id)).first()
    if row is None:
        return None
    item = catalog.items.get(row.item_code)
    fields = dict(row.fields or {})
    categories = fields.get(PENALTY_CATEGORY_FIELD) or ()
    domain = conn.execute(select(source_units.c.domain).where(source_units.c.code == row.unit_code)).scalar()
    return Target(
        kind="record",
        id=row.id,
        subject_id=row.subject_id,
        unit_code=row.unit_code,
        item_code=row.item_code,
        family=item.publicity if item else None,
        tier=Tier(row.tier),
        decision_date=row.decision_date,
        status=row.status,
        tags=(SECTOR_TAGS[domain],) if domain in SECTOR_TAGS else (),
        penalty_categories=tuple(categories) if isinstance(categories, list) else (),
        document_number=row.document_number,
    )


def later_same_kind(conn: Connection, target: Target) -> date | None:
    """The decision date of a later current record of the same item for the same subject (SAMR)."""
    if target.decision_date is None:
        return None
    return conn.execute(
        select(records.c.decision_date)
        .where(
            records.c.subject_id == target.subject_id,
            records.c.item_code == target.item_code,
            records.c.status == "current",
            records.c.decision_date > target.decision_date,
        )
        .order_by(records.c.decision_date)
        .limit(1)
    ).scalar()


def listed(conn: Connection, subject_id: str) -> bool:
    """Whether the subject has a current record on a SAMR list (abnormal operations, serious illegal)."""
    row = conn.execute(
        select(records.c.id)
        .where(
            records.c.subject_id == subject_id,
            records.c.item_code.in_(LISTED_ITEMS),
            records.c.status == "current",
        )
        .limit(1)
    ).first()
    return row is not None
