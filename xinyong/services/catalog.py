"""Catalog use cases: record which catalog version is in force, and read it.

The catalog itself is data (YAML, see ``xinyong.catalog``); the store keeps every
version that was ever loaded so each record can say under which version it entered.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import Connection, insert, select, update

from xinyong.catalog import Catalog, CatalogItem
from xinyong.domain.actor import Actor
from xinyong.domain.permissions import require
from xinyong.errors import NotFound
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import catalog_items, catalog_versions, source_units


def item_definition(item: CatalogItem) -> dict[str, Any]:
    """A JSON-ready view of an item (enums as their values, tuples as lists)."""
    text = json.dumps(dataclasses.asdict(item), default=_plain, ensure_ascii=False)
    plain: dict[str, Any] = json.loads(text)
    return plain


def _plain(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    return str(value)


def sync(store: Store, catalog: Catalog, actor: Actor) -> bool:
    """Store the catalog version and its source units if new. Returns True when something was added."""
    require(actor, "catalog.load")
    with store.write() as conn:
        known = conn.execute(
            select(catalog_versions.c.version).where(catalog_versions.c.version == catalog.version)
        ).first()
        added_units = _sync_units(conn, catalog)
        if known is not None:
            return added_units > 0
        _insert_version(conn, catalog, actor)
        events.append(
            conn,
            actor,
            "catalog:load",
            "catalog",
            catalog.version,
            {"items": sorted(catalog.items), "units_added": added_units},
        )
        return True


def _insert_version(conn: Connection, catalog: Catalog, actor: Actor) -> None:
    conn.execute(
        insert(catalog_versions).values(
            version=catalog.version,
            loaded_at=events.now(),
            item_count=len(catalog.items),
            loaded_by=actor.label(),
        )
    )
    rows = [
        {
            "version": catalog.version,
            "code": item.code,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "category": item.category,
            "tier": item.tier.value,
            "disclosure": item.disclosure.value,
            "sharing_scope": item.sharing_scope.value,
            "definition": item_definition(item),
        }
        for item in catalog.items.values()
    ]
    conn.execute(insert(catalog_items), rows)


def units_items(catalog: Catalog) -> dict[str, list[str]]:
    """Which catalog items each source unit may supply, from the items' ``source_units``."""
    out: dict[str, list[str]] = {code: [] for code in catalog.units}
    for item in catalog.items.values():
        for unit in item.source_units:
            out.setdefault(unit, []).append(item.code)
    return {k: sorted(v) for k, v in out.items()}


def _sync_units(conn: Connection, catalog: Catalog) -> int:
    """Catalog units get exactly the items the catalog allocates them; other units keep only what is
    still grantable to their domain. Returns the number of units added or changed."""
    existing = {r.code: r for r in conn.execute(select(source_units))}
    allowed = units_items(catalog)
    changed = 0
    for u in catalog.units.values():
        if u.code not in existing:
            conn.execute(
                insert(source_units).values(
                    code=u.code,
                    name_zh=u.name_zh,
                    name_en=u.name_en,
                    uscc=u.uscc,
                    domain=u.domain,
                    items=allowed.get(u.code, []),
                    active=True,
                    created_at=events.now(),
                )
            )
            changed += 1
        elif list(existing[u.code].items or []) != allowed.get(u.code, []):
            _set_items(conn, u.code, allowed.get(u.code, []))
            changed += 1
    for code, row in existing.items():
        if code not in catalog.units:
            keep = sorted(set(row.items or []) & domain_items(catalog, row.domain))
            if keep != list(row.items or []):
                _set_items(conn, code, keep)
                changed += 1
    return changed


def _set_items(conn: Connection, code: str, items: list[str]) -> None:
    conn.execute(update(source_units).where(source_units.c.code == code).values(items=items))


def domain_items(catalog: Catalog, domain: str) -> set[str]:
    domains = {u.code: u.domain for u in catalog.units.values()}
    return {i.code for i in catalog.items.values() if any(domains.get(u) == domain for u in i.source_units)}


def get_item(catalog: Catalog, code: str) -> CatalogItem:
    try:
        return catalog.items[code]
    except KeyError:
        raise NotFound(
            f"catalog item {code!r} does not exist",
            message_zh=f"目录中没有信息项 {code}",
            rule="catalog.item",
        ) from None


def loaded_versions(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(catalog_versions).order_by(catalog_versions.c.loaded_at.desc()))
        return [dict(r._mapping) for r in rows]
