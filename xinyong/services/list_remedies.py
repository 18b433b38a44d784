"""Objections and repair of list entries (名单信息的异议和信用修复), over the lists service.

:class:`ListRemedies` is the :class:`xinyong.services.remedy_targets.ListEntries` the remedies use
unless another implementation is connected. A list entry is a target of family ``list_period`` with
the list's tag (its catalog item's tags, e.g. ``samr_serious_list``), so the repair periods come
from the catalog's ``list_period`` rule set; :func:`repair_checks` adds the list type's own rules
(each list's rules prevail): early removal on repair only where the list type names ``repaired``
among its removal conditions (SAMR serious list, Shenzhen serious list; not the court list, whose
entries go on the statutory triggers), and not before ``early_removal_after`` on the list.

A removal goes through :func:`xinyong.services.lists.remove` (the list's due process: condition,
document, deadline, transition and audit event) inside the remedy's own transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from xinyong.catalog import Catalog
from xinyong.catalog.lists import ListType, of
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Tier
from xinyong.domain.lists import ListState
from xinyong.domain.repair import Check
from xinyong.services import lists as lists_service
from xinyong.services.remedy_targets import REPAIRED, REVOKED, Target, removal_condition
from xinyong.store.tables import list_entries

if TYPE_CHECKING:
    from xinyong.services.platform import Platform

FAMILY = "list_period"
_CURRENT = frozenset({ListState.DECIDED, ListState.PUBLISHED})


class ListRemedies:
    """The lists service as the remedies see it (see the module docstring)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def target(self, conn: Connection, entry_id: str) -> Target | None:
        row = conn.execute(select(list_entries).where(list_entries.c.id == entry_id)).first()
        if row is None:
            return None
        catalog = self.platform.catalog
        lt = lists_service.list_type(catalog, row.list_type)
        item = catalog.items.get(lt.catalog_item) if lt.catalog_item else None
        state = ListState(row.state)
        return Target(
            kind="list_entry",
            id=row.id,
            subject_id=row.subject_id or "",  # an unregistered subject has no account to act for it
            unit_code=row.unit_code,
            item_code=lt.catalog_item or lt.code,
            family=FAMILY,
            tier=Tier(item.tier) if item else Tier.SERIOUS,
            decision_date=row.starts_on or row.decided_on,
            status="current" if state in _CURRENT else state.value,
            tags=tuple(item.tags) if item and item.tags else (lt.code,),
            document_number=row.decision_document,
        )

    def remove(
        self,
        conn: Connection,
        actor: Actor,
        entry_id: str,
        on: date,
        reason: str,
        document_number: str | None,
    ) -> None:
        """The list's own removal, in the caller's transaction (a SAVEPOINT on ``conn``)."""
        bound = replace(self.platform, store=self.platform.store.bound_to(conn))
        row = conn.execute(select(list_entries.c.list_type).where(list_entries.c.id == entry_id)).first()
        lt = lists_service.list_type(bound.catalog, row.list_type) if row else None
        condition, text = removal_condition(reason)
        if lt is not None and condition not in lt.removal_conditions:
            condition = REVOKED
        lists_service.remove(
            bound,
            actor,
            entry_id,
            reason=condition,
            document=document_number or "",
            on=on,
            note=text,
        )


def list_type_of(catalog: Catalog, target: Target) -> ListType | None:
    """The list type of a list-entry target (by its catalog item or list type code), if known."""
    if target.kind != "list_entry":
        return None
    types = of(catalog).list_types.values()
    return next((lt for lt in types if target.item_code in (lt.code, lt.catalog_item)), None)


def repair_checks(catalog: Catalog, target: Target, on: date) -> tuple[tuple[Check, ...], date | None]:
    """The list type's own repair rules for a list entry: (checks, earliest application day).

    Empty for records and for list entries of unknown list types (the rule set's periods then apply).
    ``earliest`` is None when the list allows no repair application at all.
    """
    lt = list_type_of(catalog, target)
    if lt is None:
        return (), None
    if REPAIRED not in lt.removal_conditions:
        zh = "、".join(c.zh for c in lt.removal_conditions.values())
        en = "; ".join(c.en for c in lt.removal_conditions.values())
        return (
            Check(
                "list_no_repair",
                False,
                f"{lt.name_zh}不适用信用修复申请，按法定情形移出：{zh}",
                f"the {lt.name_en} has no repair application; entries are removed on: {en}",
            ),
        ), None
    start = target.decision_date
    if start is None:
        return (), None
    earliest = lt.early_removal_after.after(start)
    ok = on >= earliest
    period = lt.early_removal_after
    return (
        Check(
            "list_early_removal",
            ok,
            f"{lt.name_zh}列入满{period}后方可申请提前移出，{earliest} 起可申请",
            f"early removal from the {lt.name_en} may be applied for after {period.describe()} "
            f"on the list: applications from {earliest}",
        ),
    ), earliest
