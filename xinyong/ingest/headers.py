"""Map a file's header row to the fields of a catalog schema, and pick the catalog item.

Every column must name a field (by its Chinese header, its code or an alias): unknown
columns are reported, not dropped. A file whose header belongs to another record type
(e.g. a licensing file sent as penalties) gets one clear error instead of a page of
"unknown column" lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.catalog import Catalog, CatalogItem, FieldSchema
from xinyong.errors import InvalidInput, NotPermitted, Problem


@dataclass(frozen=True)
class ColumnMap:
    """Column position → field code, for the columns of a file."""

    schema: FieldSchema
    codes: tuple[str | None, ...]  # None for a column that maps to nothing (only with problems)


def map_header(schema: FieldSchema, header: list[str], file: str) -> tuple[ColumnMap, list[Problem]]:
    codes: list[str | None] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for pos, name in enumerate(header, start=1):
        f = schema.field_for_header(name)
        if f is None:
            codes.append(None)
            problems.append(_unknown_column(schema, name, pos, file))
            continue
        if f.code in seen:
            problems.append(_duplicate(f.code, name, seen[f.code], pos, file))
            codes.append(None)
            continue
        seen[f.code] = pos
        codes.append(f.code)
    problems.extend(_missing_required(schema, seen, file))
    return ColumnMap(schema, tuple(codes)), problems


def _unknown_column(schema: FieldSchema, name: str, pos: int, file: str) -> Problem:
    return Problem(
        "file.unknown_column",
        f"column {pos} {name!r} is not a field of {schema.name_en} ({schema.code}); rename or remove it",
        {"file": file, "row": 1, "column": pos},
        f"第 {pos} 列“{name}”不是{schema.name_zh}的字段，请更正或删除该列",
        value=name,
    )


def _duplicate(code: str, name: str, first: int, pos: int, file: str) -> Problem:
    return Problem(
        "file.duplicate_column",
        f"columns {first} and {pos} both give field {code} ({name!r})",
        {"file": file, "row": 1, "column": pos, "field": code},
        f"第 {first} 列与第 {pos} 列重复（{code}）",
        value=name,
    )


def _missing_required(schema: FieldSchema, seen: dict[str, int], file: str) -> list[Problem]:
    return [
        Problem(
            "file.missing_column",
            f"required field {f.code} ({f.zh}) has no column",
            {"file": file, "row": 1, "field": f.code},
            f"缺少必填字段列：{f.zh}（{f.code}）",
        )
        for f in schema.fields
        if f.required and f.code not in seen
    ]


def _fit(schema: FieldSchema, header: list[str]) -> int:
    return sum(1 for h in header if schema.field_for_header(h) is not None)


def choose_item(
    catalog: Catalog, unit: str, allowed: frozenset[str], header: list[str], item_code: str | None, file: str
) -> CatalogItem:
    """The catalog item of a file: the one asked for, or the only one the header and the unit's items fit."""
    if item_code:
        item = _known_item(catalog, item_code)
        _check_unit_may_supply(item, unit, allowed, catalog)
        _check_header_fits(catalog, item, header, file)
        return item
    fits = {
        i.code: _fit(catalog.schemas[i.schema], header) for i in catalog.items.values() if i.code in allowed
    }
    best = max(fits.values(), default=0)
    candidates = [catalog.items[c] for c, n in fits.items() if n == best and n * 2 > len(header)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InvalidInput(
            f"{file}: no catalog item that unit {unit} may supply has these columns; name one with --item",
            message_zh=f"{file}：该单位可报送的目录信息项中没有与表头相符的，请用 --item 指定",
            rule="file.unknown_record_type",
        )
    names = ", ".join(sorted(i.code for i in candidates))
    raise InvalidInput(
        f"{file}: the columns fit several catalog items ({names}); name one with --item",
        message_zh=f"{file}：表头与多个信息项相符（{names}），请用 --item 指定",
        rule="file.ambiguous_record_type",
    )


def _known_item(catalog: Catalog, code: str) -> CatalogItem:
    if code not in catalog.items:
        raise InvalidInput(
            f"{code!r} is not in the catalog: nothing outside the catalog may be recorded",
            message_zh=f"“{code}”不在公共信用信息目录中，目录外信息不得纳入",
            rule="catalog.item_unknown",
        )
    return catalog.items[code]


def _check_unit_may_supply(item: CatalogItem, unit: str, allowed: frozenset[str], catalog: Catalog) -> None:
    if item.code not in allowed:
        names = "、".join(catalog.units[u].name_zh for u in item.source_units if u in catalog.units)
        raise NotPermitted(
            f"unit {unit} may not supply {item.code}; the catalog names {', '.join(item.source_units)}",
            message_zh=f"该单位无权报送“{item.name_zh}”，目录规定的提供单位为：{names}",
            rule="ingest.unit_not_allowed",
        )


def _check_header_fits(catalog: Catalog, item: CatalogItem, header: list[str], file: str) -> None:
    """Refuse a file whose header fits another record type better than the item's own."""
    schema = catalog.schemas[item.schema]
    own = _fit(schema, header)
    better = max(catalog.schemas.values(), key=lambda s: _fit(s, header))
    if _fit(better, header) <= own:
        return
    raise InvalidInput(
        f"{file}: the columns are those of {better.code}, not of {schema.code} ({item.code})",
        message_zh=f"{file}：表头属于“{better.name_zh}”，不是“{schema.name_zh}”",
        rule="file.wrong_record_type",
    )
