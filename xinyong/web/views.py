"""View models for portal pages: plain dicts in the visitor's language, built from domain objects."""

from __future__ import annotations

from typing import Any

from xinyong.catalog import Catalog, CatalogItem
from xinyong.catalog.model import Duration, FieldSchema, Retention

_UPDATE_ZH = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "yearly": "每年",
    "on_change": "变更时",
}


def duration_text(d: Duration, lang: str) -> str:
    if lang == "en":
        return d.describe()
    years, months = divmod(d.months, 12)
    parts = [f"{n}{u}" for n, u in ((years, "年"), (months, "个月"), (d.days, "日")) if n]
    return "".join(parts) or "0日"


def retention_text(r: Retention, lang: str) -> str:
    if r.duration is None:
        return "永久" if lang == "zh" else "permanent"
    return duration_text(r.duration, lang)


def _name(obj: Any, lang: str) -> str:
    return str(obj.name_en if lang == "en" else obj.name_zh)


def item_view(catalog: Catalog, item: CatalogItem, lang: str) -> dict[str, Any]:
    category = catalog.categories[item.category]
    return {
        "code": item.code,
        "name": _name(item, lang),
        "category": category.en if lang == "en" else category.zh,
        "basis": [f"{b.instrument} {b.article}".strip() for b in item.legal_basis],
        "disclosure": item.disclosure.value if lang == "en" else item.disclosure.zh,
        "sharing": item.sharing_scope.value if lang == "en" else item.sharing_scope.zh,
        "retention": retention_text(item.retention, lang),
        "tier": item.tier.value if lang == "en" else item.tier.zh,
        "tier_code": item.tier.value,
        "subjects": [k.value if lang == "en" else k.zh for k in item.subject_kinds],
        "update": item.update_frequency.value
        if lang == "en"
        else _UPDATE_ZH.get(item.update_frequency.value, ""),
        "units": [_name(catalog.units[u], lang) for u in item.source_units if u in catalog.units],
        "refusable": item.subject_may_refuse,
    }


def item_detail(catalog: Catalog, item: CatalogItem, lang: str) -> dict[str, Any]:
    view = item_view(catalog, item, lang)
    schema = catalog.schemas.get(item.schema)
    view["fields"] = _fields(schema, lang) if schema else []
    view["conditions"] = _conditions(schema, lang) if schema else []
    return view


def _fields(schema: FieldSchema, lang: str) -> list[dict[str, Any]]:
    return [
        {"code": f.code, "name": f.en if lang == "en" else f.zh, "type": f.type.value, "required": f.required}
        for f in schema.fields
    ]


def _conditions(schema: FieldSchema, lang: str) -> list[str]:
    names = {f.code: (f.en if lang == "en" else f.zh) for f in schema.fields}
    out = []
    for c in schema.conditions:
        req = ", ".join(names.get(r, r) for r in c.require)
        when = (
            f"{names.get(c.field, c.field)} {'∋' if c.mode == 'contains' else '∈'} {{{', '.join(c.values)}}}"
        )
        out.append(f"{when} → {req} ({c.rule})")
    return out


def catalog_groups(catalog: Catalog, lang: str) -> list[dict[str, Any]]:
    groups = []
    for category in sorted(catalog.categories.values(), key=lambda c: c.seq):
        items = [item_view(catalog, i, lang) for i in catalog.items.values() if i.category == category.code]
        if items:
            groups.append({"name": category.en if lang == "en" else category.zh, "items": items})
    return groups
