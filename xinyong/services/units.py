"""Source units (信息提供单位): who may supply which catalog items, and their API keys.

The catalog names the units that may supply each item; units from ``units.yaml`` are
synced into the store with exactly those items. An operator may register another unit
(e.g. a district branch) only for items whose catalog entry names a unit of the same
domain, so nothing outside the catalog's allocation can be granted. API keys are random,
shown once, and stored as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from xinyong import ids
from xinyong.catalog import Catalog
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.permissions import require
from xinyong.errors import Conflict, InvalidIdentifier, InvalidInput, NotFound, NotPermitted, Problem
from xinyong.services import catalog as catalog_service
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import source_units

KEY_PREFIX = "xyk_"


@dataclass(frozen=True)
class Unit:
    code: str
    name_zh: str
    name_en: str
    uscc: str
    domain: str
    items: tuple[str, ...]
    active: bool
    has_key: bool


def _unit(row: Any) -> Unit:
    return Unit(
        row.code,
        row.name_zh,
        row.name_en,
        row.uscc,
        row.domain,
        tuple(row.items or ()),
        bool(row.active),
        row.api_key_hash is not None,
    )


def list_units(store: Store) -> list[Unit]:
    with store.read() as conn:
        return [_unit(r) for r in conn.execute(select(source_units).order_by(source_units.c.code))]


def get_unit(store: Store, code: str) -> Unit:
    with store.read() as conn:
        row = conn.execute(select(source_units).where(source_units.c.code == code)).first()
    if row is None:
        raise NotFound(
            f"no source unit {code!r}", message_zh=f"没有信息提供单位 {code}", rule="units.unknown"
        )
    return _unit(row)


def grantable_items(catalog: Catalog, domain: str) -> set[str]:
    """Items whose catalog entry names a unit of this domain."""
    return catalog_service.domain_items(catalog, domain)


def add_unit(
    store: Store,
    catalog: Catalog,
    actor: Actor,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    uscc: str,
    domain: str,
    items: list[str],
) -> Unit:
    require(actor, "units.manage")
    problems = _unit_problems(catalog, code, uscc, domain, items)
    if problems:
        raise InvalidInput(
            f"unit {code!r} cannot be registered", message_zh="无法登记该信息提供单位", problems=problems
        )
    with store.write() as conn:
        if conn.execute(
            select(source_units.c.code).where((source_units.c.code == code) | (source_units.c.uscc == uscc))
        ).first():
            raise Conflict(
                f"a unit with code {code!r} or USCC {uscc} exists",
                message_zh="单位编码或代码已存在",
                rule="units.duplicate",
            )
        conn.execute(
            insert(source_units).values(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                uscc=ids.parse_uscc(uscc).code,
                domain=domain,
                items=sorted(items),
                active=True,
                created_at=events.now(),
            )
        )
        events.append(
            conn, actor, "unit:add", "unit", code, {"uscc": uscc, "domain": domain, "items": sorted(items)}
        )
    return get_unit(store, code)


def _unit_problems(catalog: Catalog, code: str, uscc: str, domain: str, items: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    try:
        ids.parse_uscc(uscc)
    except InvalidIdentifier as e:
        problems.append(Problem(e.rule or "uscc", e.message, {"field": "uscc"}, e.message_zh, uscc))
    allowed = grantable_items(catalog, domain)
    for item in items:
        if item not in catalog.items:
            problems.append(
                Problem(
                    "units.item_not_in_catalog",
                    f"{item!r} is not a catalog item",
                    {"field": "items", "entry": item},
                    f"“{item}”不在目录中",
                )
            )
        elif item not in allowed:
            problems.append(
                Problem(
                    "units.item_not_allocated",
                    f"the catalog does not name a {domain} unit as a source of {item}",
                    {"field": "items", "entry": item},
                    f"目录未规定{domain}类单位报送“{item}”",
                )
            )
    if not code.replace("_", "").isalnum():
        problems.append(
            Problem(
                "units.code",
                "a unit code is letters, digits and '_'",
                {"field": "code"},
                "单位编码只能包含字母、数字和下划线",
                code,
            )
        )
    return problems


def issue_key(store: Store, actor: Actor, code: str) -> str:
    """Create (or rotate) the unit's API key; the key is returned once and only its hash is kept."""
    require(actor, "units.manage")
    get_unit(store, code)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with store.write() as conn:
        conn.execute(
            update(source_units).where(source_units.c.code == code).values(api_key_hash=hash_key(key))
        )
        events.append(conn, actor, "unit:key_issued", "unit", code, {})
    return key


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate(store: Store, key: str | None) -> Actor:
    """The source-unit actor an API key belongs to."""
    if not key:
        raise NotPermitted(
            "this endpoint needs a source unit's API key (X-Api-Key)",
            message_zh="需要单位接口密钥",
            rule="auth.key_required",
        )
    with store.read() as conn:
        row = conn.execute(select(source_units).where(source_units.c.api_key_hash == hash_key(key))).first()
    if row is None or not row.active:
        raise NotPermitted(
            "unknown or revoked API key", message_zh="接口密钥无效或已停用", rule="auth.key_invalid"
        )
    return Actor(role=Role.SOURCE_UNIT, unit=row.code, user=f"key:{row.code}")
