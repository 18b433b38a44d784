"""Load the catalog from YAML and validate it into typed objects (habit 2: rules are data).

``load_catalog()`` raises :class:`~xinyong.errors.InvalidCatalog` listing every problem at once;
``check_catalog()`` returns the problems instead. Each problem names the file (relative to the
catalog directory), the entry (item, schema, field, rule set … code) and, where known, the line.
The file format is described in docs/catalog.md.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from xinyong.catalog.model import (
    Catalog,
    CatalogItem,
    CatalogLayer,
    Category,
    Condition,
    CountsFrom,
    Duration,
    EnumDef,
    EnumValue,
    FieldDef,
    FieldSchema,
    FieldType,
    LegalBasis,
    LegalLevel,
    PeriodOverride,
    PeriodRule,
    Retention,
    RuleSet,
    SourceUnit,
    Tag,
    TierClassification,
    UpdateFrequency,
    normalise_header,
)
from xinyong.domain.enums import Disclosure, SharingScope, SubjectKind, Tier
from xinyong.errors import InvalidCatalog, Problem

__all__ = [
    "CATEGORY_KEYS",
    "CLASSIFICATION_KEYS",
    "CONDITION_KEYS",
    "DATA_DIR",
    "ENUM_KEYS",
    "ENUM_VALUE_KEYS",
    "FIELD_KEYS",
    "ITEM_KEYS",
    "LEGAL_BASIS_KEYS",
    "OVERRIDE_KEYS",
    "RULESET_FILE_KEYS",
    "RULESET_KEYS",
    "SCHEMA_KEYS",
    "TAG_KEYS",
    "TIER_RULE_KEYS",
    "UNIT_KEYS",
    "WHEN_KEYS",
    "check_catalog",
    "load_catalog",
    "uscc_is_valid",
]

DATA_DIR = Path(__file__).parent / "data"
DOCS_HINT = "see docs/catalog.md"


# Allowed keys of each kind of entry: key → required. Keep docs/catalog.md in step (a test checks).
def _spec(required: str, optional: str = "") -> Mapping[str, bool]:
    return MappingProxyType(
        {**dict.fromkeys(required.split(), True), **dict.fromkeys(optional.split(), False)}
    )


ITEM_KEYS = _spec(
    "code name_zh name_en category subject_kinds legal_basis source_units disclosure sharing_scope retention "
    "update_frequency tier schema",
    "layer conduct_zh channel subject_may_refuse publicity tags note",
)
LEGAL_BASIS_KEYS = _spec("instrument article", "url note level verified")
SCHEMA_KEYS = _spec(
    "code name_zh name_en subject_name_field fields",
    "standard subject_category_field document_number_field decision_date_field subject_id_fields "
    "conditions note",
)
FIELD_KEYS = _spec(
    "code zh en type",
    "required max_length enum multiple not_future not_before min max digits places id_type_field personal "
    "aliases note",
)
CONDITION_KEYS = _spec("when require rule", "note")
WHEN_KEYS = _spec("field", "in contains")
ENUM_KEYS = _spec("name_zh name_en values", "basis note")
ENUM_VALUE_KEYS = _spec("code zh en", "note")
UNIT_KEYS = _spec("code name_zh name_en uscc domain", "note")
CATEGORY_KEYS = _spec("code seq zh en", "verified note")
TAG_KEYS = _spec("code zh en", "note")
RULESET_FILE_KEYS = _spec("family name_zh name_en rulesets", "note")
RULESET_KEYS = _spec(
    "code name_zh name_en valid_from legal_basis tiers",
    "valid_to counts_from overrides combine classification unpublished_if_only restriction_categories "
    "verified note",
)
TIER_RULE_KEYS = _spec("", "published min_period max_period max_if_published repairable verified note")
OVERRIDE_KEYS = _spec("", "tags categories min_period max_period no_max repairable replace verified note")
CLASSIFICATION_KEYS = _spec(
    "", "default minor_categories fine_category minor_fine_max_wan serious_categories serious_fine_min_wan"
)

_TOP_FILES = {
    "enums.yaml": "enums",
    "units.yaml": "units",
    "categories.yaml": "categories",
    "tags.yaml": "tags",
}
_DIRS = ("schemas", "items", "rulesets", "lists", "measures")  # lists, measures: xinyong.catalog.lists
_PENALTY_ENUM = "penalty_category"
_COUNTERPARTY_ENUM = "counterparty_category"
_E = TypeVar("_E", bound=StrEnum)


# ---------------------------------------------------------------------------------------------
# Public API


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the catalog in ``path`` (default: the package's ``catalog/data``).

    Raises InvalidCatalog listing every problem found. The built-in catalog is cached.
    """
    if path is None or Path(path).resolve() == DATA_DIR.resolve():
        return _load_default()
    return _load(Path(path))


def check_catalog(path: Path | None = None) -> list[Problem]:
    """Every problem of the catalog in ``path``; an empty list when it is valid. Never raises
    for catalog problems."""
    return _Builder(Path(path) if path is not None else DATA_DIR).build()[1]


@functools.lru_cache(maxsize=1)
def _load_default() -> Catalog:
    return _load(DATA_DIR)


def _load(root: Path) -> Catalog:
    catalog, problems = _Builder(root).build()
    if problems or catalog is None:
        raise InvalidCatalog(
            f"the catalog in {root} has {len(problems)} problem(s); {DOCS_HINT}",
            message_zh=f"公共信用信息目录存在 {len(problems)} 处错误",
            problems=problems,
            rule="catalog.invalid",
        )
    return catalog


# ---------------------------------------------------------------------------------------------
# GB 32100 check (kept here so the catalog depends on nothing but the standard library and PyYAML)

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_is_valid(code: str) -> bool:
    """True if ``code`` is an 18-character USCC whose both check characters are right."""
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    if _USCC_CHARS[(31 - total % 31) % 31] != code[17]:
        return False
    org = code[8:17]
    if not org[:8].isalnum():
        return False
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in org[:8]]
    rest = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    return org[8] == ("X" if rest == 10 else "0" if rest == 11 else str(rest))


# ---------------------------------------------------------------------------------------------
# A YAML loader that remembers line numbers and reports duplicate keys


class _Map(dict[Any, Any]):
    """A mapping from YAML that knows the line it started on."""

    line: int = 0


def _make_loader_class() -> type[Any]:
    base: type[Any] = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

    class _LineLoader(base):  # type: ignore[misc]  # base chosen at run time
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.duplicates: list[tuple[Any, int]] = []

    def construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[_Map]:
        data = _Map()
        data.line = node.start_mark.line + 1
        yield data
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int):
                continue
            if key in seen:
                loader.duplicates.append((key, key_node.start_mark.line + 1))
            seen.add(key)
        data.update(loader.construct_mapping(node))

    _LineLoader.add_constructor("tag:yaml.org,2002:map", construct_map)
    return _LineLoader


_LOADER = _make_loader_class()


# ---------------------------------------------------------------------------------------------
# The builder


@dataclass
class _Ctx:
    """Where an entry is, for problem reports."""

    file: str
    entry: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def where(self, line: int | None = None, **more: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "entry": self.entry, **self.extra, **more}
        if line:
            out["line"] = line
        return out

    def sub(self, **extra: Any) -> _Ctx:
        return _Ctx(self.file, self.entry, {**self.extra, **extra})


def _line(data: Any) -> int | None:
    return getattr(data, "line", None)


def _canonical(data: Any) -> Any:
    """Parsed YAML with text keys, so that it serialises to one canonical JSON text."""
    if isinstance(data, Mapping):
        return {str(k): _canonical(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_canonical(v) for v in data]
    return data


def _unique(problems: list[Problem]) -> list[Problem]:
    """Drop repeated reports of the same problem at the same place, keeping the order."""
    seen: set[str] = set()
    out: list[Problem] = []
    for problem in problems:
        key = repr((problem.rule, problem.message, sorted(problem.where.items(), key=lambda kv: kv[0])))
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


def _declared_codes(raw_fields: Any) -> set[str]:
    """The codes a raw field list declares, whether or not each field is valid."""
    if not isinstance(raw_fields, list):
        return set()
    return {str(f["code"]) for f in raw_fields if isinstance(f, Mapping) and f.get("code")}


def _entry_name(data: Any, index: int, key: str = "code") -> str:
    if isinstance(data, Mapping) and isinstance(data.get(key), str) and data[key]:
        return str(data[key])
    return f"#{index + 1}"


class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.raw: dict[str, Any] = {}  # relative path → parsed YAML (None if unreadable)
        self.enums: dict[str, EnumDef] = {}
        self.units: dict[str, SourceUnit] = {}
        self.categories: dict[str, Category] = {}
        self.tags: dict[str, Tag] = {}
        self.schemas: dict[str, FieldSchema] = {}
        self.rulesets: list[RuleSet] = []
        self.items: dict[str, CatalogItem] = {}
        self.item_files: dict[str, str] = {}  # item code → file that first defined it

    # -- reporting ----------------------------------------------------------------------------

    def problem(
        self,
        rule: str,
        message: str,
        ctx: _Ctx,
        line: int | None = None,
        *,
        message_zh: str = "",
        value: Any = None,
        **more: Any,
    ) -> None:
        self.problems.append(
            Problem(
                rule=rule, message=message, where=ctx.where(line, **more), message_zh=message_zh, value=value
            )
        )

    # -- driver -------------------------------------------------------------------------------

    def build(self) -> tuple[Catalog | None, list[Problem]]:
        if not self.root.is_dir():
            self.problem(
                "catalog.not_a_directory", f"{self.root} is not a directory", _Ctx(str(self.root), None)
            )
            return None, self.problems
        self.read_files()
        self.build_enums()
        self.build_units()
        self.build_categories()
        self.build_tags()
        for rel in self.files_in("schemas"):
            self.build_named_schema(rel)
        for rel in self.files_in("rulesets"):
            self.build_ruleset_file(rel)
        self.check_overlaps()
        if not self.files_in("items"):
            self.problem("catalog.no_items", "the catalog has no items/*.yaml file", _Ctx("items", None))
        for rel in self.files_in("items"):
            self.build_item_file(rel)
        from xinyong.catalog.lists import build_lists  # imported here: lists.py builds on this module

        list_catalog = build_lists(self)
        self.problems = _unique(self.problems)
        if self.problems:
            return None, self.problems
        catalog = Catalog(
            items=MappingProxyType(dict(self.items)),
            schemas=MappingProxyType(dict(self.schemas)),
            enums=MappingProxyType(dict(self.enums)),
            units=MappingProxyType(dict(self.units)),
            categories=MappingProxyType(dict(self.categories)),
            tags=MappingProxyType(dict(self.tags)),
            rulesets=tuple(sorted(self.rulesets, key=lambda r: (r.family, r.valid_from))),
            version=self.version(),
            path=str(self.root),
            lists=list_catalog,
        )
        return catalog, self.problems

    def files_in(self, folder: str) -> list[str]:
        return sorted(rel for rel in self.raw if rel.startswith(folder + "/"))

    def read_files(self) -> None:
        for name in _TOP_FILES:
            if not (self.root / name).is_file():
                self.problem("catalog.missing_file", f"the catalog needs {name}", _Ctx(name, None))
        for path in sorted(self.root.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(self.root).as_posix()
            parts = rel.split("/")
            known = (len(parts) == 1 and rel in _TOP_FILES) or (
                len(parts) == 2 and parts[0] in _DIRS and rel.endswith(".yaml")
            )
            if not known:
                if path.suffix in (".yaml", ".yml") or len(parts) == 1 or parts[0] in _DIRS:
                    self.problem(
                        "catalog.unexpected_file",
                        f"{rel} is not read: catalog files are {', '.join(_TOP_FILES)} and "
                        f"{'/, '.join(_DIRS)}/*.yaml; {DOCS_HINT}",
                        _Ctx(rel, None),
                    )
                continue
            self.raw[rel] = self.parse(path, rel)

    def parse(self, path: Path, rel: str) -> Any:
        ctx = _Ctx(rel, None)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem("yaml.unreadable", f"cannot read {rel} as UTF-8: {exc}", ctx)
            return None
        loader = _LOADER(text)
        try:
            data = loader.get_single_data()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            self.problem("yaml.syntax", f"YAML syntax error: {exc.problem or exc}", ctx, line, column=column)
            return None
        except yaml.YAMLError as exc:
            self.problem("yaml.syntax", f"YAML error: {exc}", ctx)
            return None
        finally:
            loader.dispose()
        for key, line in loader.duplicates:
            self.problem(
                "yaml.duplicate_key",
                f"key {key!r} appears twice in one mapping; the first would be silently lost",
                ctx,
                line,
                value=key,
            )
        return data

    def version(self) -> str:
        digest = hashlib.sha256()
        for rel in sorted(self.raw):
            canonical = json.dumps(
                _canonical(self.raw[rel]),
                sort_keys=True,
                ensure_ascii=False,
                default=str,
                separators=(",", ":"),
            )
            digest.update(rel.encode() + b"\0" + canonical.encode() + b"\0")
        return digest.hexdigest()

    # -- generic value checks -----------------------------------------------------------------

    def mapping(self, data: Any, ctx: _Ctx, kind: str, what: str) -> Mapping[str, Any] | None:
        if isinstance(data, Mapping):
            return data
        self.problem(
            f"{kind}.invalid_structure",
            f"{what} must be a mapping, not {type(data).__name__}",
            ctx,
            _line(data),
        )
        return None

    def keys(
        self,
        data: Mapping[str, Any],
        allowed: Mapping[str, bool],
        ctx: _Ctx,
        kind: str,
        skip_required: tuple[str, ...] = (),
    ) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(
                    f"{kind}.unknown_key",
                    f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}",
                    ctx,
                    _line(data),
                    key=key,
                )
        for key, required in allowed.items():
            if required and key not in skip_required and data.get(key) in (None, ""):
                self.problem(
                    f"{kind}.missing_key",
                    f"required key {key!r} is missing; {DOCS_HINT}",
                    ctx,
                    _line(data),
                    key=key,
                )

    def text(self, data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
        self.problem(
            f"{kind}.invalid_value",
            f"{key} must be text, not {type(value).__name__}",
            ctx,
            _line(data),
            key=key,
        )
        return None

    def flag(self, data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if isinstance(value, bool):
            return value
        self.problem(
            f"{kind}.invalid_value", f"{key} must be true or false, not {value!r}", ctx, _line(data), key=key
        )
        return default

    def whole(self, data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        self.problem(
            f"{kind}.invalid_value",
            f"{key} must be a whole number ≥ 0, not {value!r}",
            ctx,
            _line(data),
            key=key,
        )
        return None

    def number(self, value: Any, key: str, ctx: _Ctx, kind: str, line: int | None) -> Decimal | None:
        if value is None:
            return None
        if not isinstance(value, bool) and isinstance(value, int | float | str):
            try:
                return Decimal(str(value))
            except InvalidOperation:
                pass
        self.problem(f"{kind}.invalid_value", f"{key} must be a number, not {value!r}", ctx, line, key=key)
        return None

    def strings(self, data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.problem(
            f"{kind}.invalid_value",
            f'{key} must be a list of texts (quote codes such as "01"), not {value!r}',
            ctx,
            _line(data),
            key=key,
        )
        return ()

    def choice(
        self, enum: type[_E], data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str, rule: str | None = None
    ) -> _E | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            self.problem(
                rule or f"{kind}.invalid_value",
                f"{key} {value!r} is not one of: {allowed}",
                ctx,
                _line(data),
                key=key,
                value=value,
            )
            return None

    def duration(self, data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str) -> Duration | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return Duration.parse(value)
        except ValueError as exc:
            self.problem(f"{kind}.invalid_duration", f"{key}: {exc}", ctx, _line(data), key=key, value=value)
            return None

    def day(self, data: Mapping[str, Any], key: str, ctx: _Ctx, kind: str) -> date | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(
                f"{kind}.invalid_date",
                f"{key} must be a date YYYY-MM-DD, not {value!r}",
                ctx,
                _line(data),
                key=key,
            )
            return None

    def entries(self, data: Any, ctx: _Ctx, kind: str, what: str) -> list[Any]:
        if data is None:
            return []
        if isinstance(data, list):
            return data
        self.problem(f"{kind}.invalid_structure", f"{what} must be a list", ctx, _line(data))
        return []

    def top(self, rel: str, key: str, allowed: Mapping[str, bool]) -> Any:
        """The value under ``key`` of a whole file, after checking the file's own keys."""
        data = self.raw.get(rel)
        ctx = _Ctx(rel, None)
        if data is None:
            return None
        mapping = self.mapping(data, ctx, "file", f"the top of {rel}")
        if mapping is None:
            return None
        self.keys(mapping, allowed, ctx, "file")
        return mapping.get(key)

    def legal_bases(self, data: Mapping[str, Any], ctx: _Ctx, kind: str) -> tuple[LegalBasis, ...]:
        raw = data.get("legal_basis")
        if raw in (None, [], ""):
            self.problem(
                f"{kind}.legal_basis_missing",
                "no legal basis: every catalog entry must name the law, regulation or policy "
                f"(instrument and article) it rests on; {DOCS_HINT}",
                ctx,
                _line(data),
                message_zh="缺少纳入依据：须写明法律、法规或政策文件及条款",
            )
            return ()
        out: list[LegalBasis] = []
        for index, entry in enumerate(self.entries(raw, ctx, kind, "legal_basis")):
            sub = ctx.sub(legal_basis=index + 1)
            basis = self.mapping(entry, sub, "legal_basis", "a legal_basis entry")
            if basis is None:
                continue
            self.keys(basis, LEGAL_BASIS_KEYS, sub, "legal_basis")
            instrument = self.text(basis, "instrument", sub, "legal_basis")
            article = self.text(basis, "article", sub, "legal_basis")
            if instrument and article:
                out.append(
                    LegalBasis(
                        instrument=instrument,
                        article=article,
                        url=self.text(basis, "url", sub, "legal_basis"),
                        note=self.text(basis, "note", sub, "legal_basis"),
                        level=self.choice(LegalLevel, basis, "level", sub, "legal_basis"),
                        verified=self.flag(basis, "verified", sub, "legal_basis", True),
                    )
                )
        return tuple(out)

    # -- reference data -----------------------------------------------------------------------

    def build_enums(self) -> None:
        rel = "enums.yaml"
        raw = self.top(rel, "enums", {"enums": True, "note": False})
        if raw is None:
            return
        table = self.mapping(raw, _Ctx(rel, None), "file", "enums")
        for code, data in (table or {}).items():
            ctx = _Ctx(rel, str(code))
            enum = self.mapping(data, ctx, "enum", f"enum {code}")
            if enum is None:
                continue
            self.keys(enum, ENUM_KEYS, ctx, "enum")
            values: list[EnumValue] = []
            for index, entry in enumerate(self.entries(enum.get("values"), ctx, "enum", "values")):
                sub = ctx.sub(value=index + 1)
                value = self.mapping(entry, sub, "enum", "an enum value")
                if value is None:
                    continue
                self.keys(value, ENUM_VALUE_KEYS, sub, "enum")
                if not isinstance(value.get("code"), str):
                    self.problem(
                        "enum.invalid_value",
                        'enum value codes must be quoted texts ("01", not 01)',
                        sub,
                        _line(value),
                        value=value.get("code"),
                    )
                    continue
                if any(v.code == value["code"] for v in values):
                    self.problem(
                        "enum.duplicate_value",
                        f"value code {value['code']!r} appears twice",
                        sub,
                        _line(value),
                    )
                values.append(
                    EnumValue(
                        value["code"],
                        self.text(value, "zh", sub, "enum") or "",
                        self.text(value, "en", sub, "enum") or "",
                    )
                )
            self.enums[str(code)] = EnumDef(
                code=str(code),
                name_zh=self.text(enum, "name_zh", ctx, "enum") or "",
                name_en=self.text(enum, "name_en", ctx, "enum") or "",
                values=tuple(values),
                basis=self.text(enum, "basis", ctx, "enum"),
            )

    def list_file(
        self, rel: str, key: str, allowed: Mapping[str, bool], kind: str
    ) -> Iterator[tuple[_Ctx, Mapping[str, Any]]]:
        raw = self.top(rel, key, {key: True, "note": False})
        seen: set[str] = set()
        for index, entry in enumerate(self.entries(raw, _Ctx(rel, None), "file", key)):
            ctx = _Ctx(rel, _entry_name(entry, index))
            data = self.mapping(entry, ctx, kind, f"a {kind} entry")
            if data is None:
                continue
            self.keys(data, allowed, ctx, kind)
            if ctx.entry in seen:
                self.problem(
                    f"{kind}.duplicate_code", f"{kind} code {ctx.entry!r} is defined twice", ctx, _line(data)
                )
                continue
            seen.add(str(ctx.entry))
            if isinstance(data.get("code"), str):
                yield ctx, data

    def build_units(self) -> None:
        usccs: dict[str, str] = {}
        for ctx, data in self.list_file("units.yaml", "units", UNIT_KEYS, "unit"):
            uscc = self.text(data, "uscc", ctx, "unit") or ""
            if not uscc_is_valid(uscc):
                self.problem(
                    "unit.invalid_uscc",
                    f"{uscc!r} is not a valid unified social credit code "
                    "(GB 32100: 18 characters, two check characters)",
                    ctx,
                    _line(data),
                    value=uscc,
                )
            elif uscc in usccs:
                self.problem(
                    "unit.duplicate_uscc", f"USCC {uscc} is also used by unit {usccs[uscc]}", ctx, _line(data)
                )
            usccs.setdefault(uscc, str(ctx.entry))
            self.units[data["code"]] = SourceUnit(
                code=data["code"],
                name_zh=self.text(data, "name_zh", ctx, "unit") or "",
                name_en=self.text(data, "name_en", ctx, "unit") or "",
                uscc=uscc,
                domain=self.text(data, "domain", ctx, "unit") or "",
            )

    def build_categories(self) -> None:
        for ctx, data in self.list_file("categories.yaml", "categories", CATEGORY_KEYS, "category"):
            self.categories[data["code"]] = Category(
                code=data["code"],
                seq=self.whole(data, "seq", ctx, "category") or 0,
                zh=self.text(data, "zh", ctx, "category") or "",
                en=self.text(data, "en", ctx, "category") or "",
                verified=self.flag(data, "verified", ctx, "category", True),
            )

    def build_tags(self) -> None:
        for ctx, data in self.list_file("tags.yaml", "tags", TAG_KEYS, "tag"):
            self.tags[data["code"]] = Tag(
                data["code"], self.text(data, "zh", ctx, "tag") or "", self.text(data, "en", ctx, "tag") or ""
            )

    # -- field schemas ------------------------------------------------------------------------

    def build_named_schema(self, rel: str) -> None:
        data = self.raw.get(rel)
        if data is None:
            return
        ctx = _Ctx(rel, _entry_name(data, 0))
        mapping = self.mapping(data, ctx, "schema", f"the top of {rel}")
        if mapping is None:
            return
        self.keys(mapping, SCHEMA_KEYS, ctx, "schema")
        code = self.text(mapping, "code", ctx, "schema")
        if code:
            self.register_schema(self.schema(mapping, ctx, code, inline=False), ctx, mapping)

    def register_schema(self, schema: FieldSchema | None, ctx: _Ctx, data: Mapping[str, Any]) -> None:
        if schema is None:
            return
        if schema.code in self.schemas:
            self.problem(
                "schema.duplicate_code", f"schema code {schema.code!r} is defined twice", ctx, _line(data)
            )
            return
        self.schemas[schema.code] = schema

    def schema(
        self, data: Mapping[str, Any], ctx: _Ctx, code: str, inline: bool, names: tuple[str, str] = ("", "")
    ) -> FieldSchema | None:
        fields = self.fields(data, ctx, code)
        by_code = {f.code: f for f in fields}
        declared = _declared_codes(data.get("fields"))  # includes fields that had problems of their own
        conditions = tuple(
            self.condition(c, ctx.sub(condition=i + 1), by_code, declared)
            for i, c in enumerate(self.entries(data.get("conditions"), ctx, "schema", "conditions"))
        )

        def ref(key: str, want: FieldType | None = None) -> str | None:
            name = self.text(data, key, ctx, "schema")
            if name is None:
                return None
            if name not in declared:
                self.problem(
                    "schema.unknown_field",
                    f"{key} names {name!r}, which is not a field of this schema",
                    ctx,
                    _line(data),
                    key=key,
                )
            elif want is not None and name in by_code and by_code[name].type is not want:
                self.problem(
                    "schema.invalid_value",
                    f"{key} {name!r} must be a {want.value} field",
                    ctx,
                    _line(data),
                    key=key,
                )
            return name

        subject_name = ref("subject_name_field")
        refs = dict(
            subject_category_field=ref("subject_category_field", FieldType.ENUM),
            document_number_field=ref("document_number_field"),
            decision_date_field=ref("decision_date_field", FieldType.DATE),
        )
        id_fields = self.strings(data, "subject_id_fields", ctx, "schema")
        for name in id_fields:
            if name not in declared:
                self.problem(
                    "schema.unknown_field",
                    f"subject_id_fields names {name!r}, which is not a field of this schema",
                    ctx,
                    _line(data),
                    key="subject_id_fields",
                )
        header_map = self.header_map(fields, ctx)
        if subject_name is None or any(c is None for c in conditions):
            return None
        return FieldSchema(
            code=code,
            name_zh=self.text(data, "name_zh", ctx, "schema") or names[0],
            name_en=self.text(data, "name_en", ctx, "schema") or names[1],
            fields=fields,
            subject_name_field=subject_name,
            conditions=tuple(c for c in conditions if c is not None),
            subject_id_fields=id_fields,
            standard=self.text(data, "standard", ctx, "schema"),
            inline=inline,
            header_map=MappingProxyType(header_map),
            **refs,
        )

    def header_map(self, fields: tuple[FieldDef, ...], ctx: _Ctx) -> dict[str, str]:
        """Exact and normalised headers (code, Chinese name, aliases) → field code."""
        out: dict[str, str] = {}
        for f in fields:
            exact = (f.code, f.zh, *f.aliases)
            for header in dict.fromkeys((*exact, *(normalise_header(h) for h in exact))):
                if out.get(header, f.code) != f.code:
                    self.problem(
                        "schema.duplicate_header",
                        f"header {header!r} would name both {out[header]} and {f.code}",
                        ctx.sub(schema=ctx.entry),
                        entry=f.code,
                    )
                out.setdefault(header, f.code)
        return out

    def fields(self, data: Mapping[str, Any], ctx: _Ctx, schema_code: str) -> tuple[FieldDef, ...]:
        out: dict[str, FieldDef] = {}
        raw = self.entries(data.get("fields"), ctx, "schema", "fields")
        if not raw and data.get("fields") is not None:
            self.problem("schema.no_fields", "a schema needs at least one field", ctx, _line(data))
        parsed: list[tuple[FieldDef, _Ctx, Mapping[str, Any]]] = []
        for index, entry in enumerate(raw):
            fctx = _Ctx(ctx.file, _entry_name(entry, index), {**ctx.extra, "schema": schema_code})
            fdata = self.mapping(entry, fctx, "field", "a field")
            if fdata is None:
                continue
            field_def = self.field(fdata, fctx)
            if field_def is None:
                continue
            if field_def.code in out:
                self.problem(
                    "field.duplicate_code", f"field {field_def.code!r} is defined twice", fctx, _line(fdata)
                )
                continue
            out[field_def.code] = field_def
            parsed.append((field_def, fctx, fdata))
        declared = _declared_codes(data.get("fields"))
        for field_def, fctx, fdata in parsed:  # references between fields
            for key, want in (("not_before", FieldType.DATE), ("id_type_field", FieldType.ENUM)):
                target = getattr(field_def, key)
                if target is None:
                    continue
                if target not in declared:
                    self.problem(
                        "field.unknown_reference",
                        f"{key} names {target!r}, which is not a field of schema {schema_code}",
                        fctx,
                        _line(fdata),
                        key=key,
                    )
                elif target in out and out[target].type is not want:
                    self.problem(
                        "field.unknown_reference",
                        f"{key} {target!r} must be a {want.value} field",
                        fctx,
                        _line(fdata),
                        key=key,
                    )
        return tuple(out.values())

    def field(self, data: Mapping[str, Any], ctx: _Ctx) -> FieldDef | None:
        self.keys(data, FIELD_KEYS, ctx, "field")
        code = self.text(data, "code", ctx, "field")
        raw_type = data.get("type")
        try:
            ftype = FieldType(str(raw_type))
        except ValueError:
            close = difflib.get_close_matches(str(raw_type), [t.value for t in FieldType], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(
                "field.unknown_type",
                f"unknown field type {raw_type!r}{hint}; types are: {', '.join(t.value for t in FieldType)}",
                ctx,
                _line(data),
                value=raw_type,
            )
            return None
        enum = self.text(data, "enum", ctx, "field")
        line = _line(data)
        if ftype is FieldType.ENUM and enum is None:
            self.problem("field.enum_missing", "an enum field must name its code table in `enum`", ctx, line)
        elif enum is not None and ftype is not FieldType.ENUM:
            self.problem(
                "field.invalid_value", f"`enum` is only for enum fields, not {ftype.value}", ctx, line
            )
        elif enum is not None and enum not in self.enums:
            self.problem(
                "schema.unknown_enum", f"enum {enum!r} is not defined in enums.yaml", ctx, line, value=enum
            )
        low = self.number(data.get("min"), "min", ctx, "field", line)
        high = self.number(data.get("max"), "max", ctx, "field", line)
        digits = self.whole(data, "digits", ctx, "field")
        places = self.whole(data, "places", ctx, "field")
        numeric = ftype in (FieldType.DECIMAL, FieldType.INTEGER)
        for key, value in (("min", low), ("max", high), ("digits", digits), ("places", places)):
            if value is not None and not numeric:
                self.problem(
                    "field.invalid_value", f"{key} is only for decimal and integer fields", ctx, line, key=key
                )
        if low is not None and high is not None and low > high:
            self.problem("field.invalid_value", f"min {low} is greater than max {high}", ctx, line)
        if digits is not None and places is not None and places > digits:
            self.problem("field.invalid_value", f"places {places} exceed digits {digits}", ctx, line)
        not_future = self.flag(data, "not_future", ctx, "field")
        if (not_future or data.get("not_before") is not None) and ftype is not FieldType.DATE:
            self.problem(
                "field.invalid_value", "not_future and not_before are only for date fields", ctx, line
            )
        if data.get("id_type_field") is not None and ftype is not FieldType.ID_NUMBER:
            self.problem("field.invalid_value", "id_type_field is only for id_number fields", ctx, line)
        if code is None:
            return None
        return FieldDef(
            code=code,
            zh=self.text(data, "zh", ctx, "field") or "",
            en=self.text(data, "en", ctx, "field") or "",
            type=ftype,
            required=self.flag(data, "required", ctx, "field"),
            max_length=self.whole(data, "max_length", ctx, "field"),
            enum=enum,
            multiple=self.flag(data, "multiple", ctx, "field"),
            not_future=not_future,
            not_before=self.text(data, "not_before", ctx, "field"),
            min=low,
            max=high,
            digits=digits,
            places=places,
            id_type_field=self.text(data, "id_type_field", ctx, "field"),
            personal=self.flag(data, "personal", ctx, "field"),
            aliases=self.strings(data, "aliases", ctx, "field"),
            note=self.text(data, "note", ctx, "field"),
        )

    def condition(
        self, raw: Any, ctx: _Ctx, fields: Mapping[str, FieldDef], declared: set[str]
    ) -> Condition | None:
        data = self.mapping(raw, ctx, "schema", "a condition")
        if data is None:
            return None
        self.keys(data, CONDITION_KEYS, ctx, "condition")
        when = self.mapping(data.get("when", {}), ctx, "condition", "when")
        rule = self.text(data, "rule", ctx, "condition")
        require = self.strings(data, "require", ctx, "condition")
        if when is None or rule is None:
            return None
        self.keys(when, WHEN_KEYS, ctx, "condition")
        modes = [m for m in ("in", "contains") if m in when]
        if len(modes) != 1:
            self.problem(
                "condition.invalid_value", "`when` needs exactly one of `in` or `contains`", ctx, _line(when)
            )
            return None
        name = self.text(when, "field", ctx, "condition") or ""
        values = self.strings(when, modes[0], ctx, "condition")
        target = fields.get(name)
        for ref in (name, *require):
            if ref not in declared:
                self.problem(
                    "schema.condition_unknown_field",
                    f"condition {rule!r} names {ref!r}, which is not a field of this schema",
                    ctx,
                    _line(data),
                    value=ref,
                )
        if target is not None and modes[0] == "contains" and not target.multiple:
            self.problem(
                "condition.invalid_value",
                f"`contains` needs a multiple field; {name} is single",
                ctx,
                _line(when),
            )
        if target is not None and target.enum in self.enums:
            unknown = [v for v in values if v not in self.enums[target.enum].codes]
            if unknown:
                self.problem(
                    "schema.condition_unknown_value",
                    f"condition {rule!r}: {unknown} are not codes of enum {target.enum}",
                    ctx,
                    _line(when),
                    value=unknown,
                )
        return Condition(field=name, values=values, require=require, rule=rule, mode=modes[0])

    # -- rule sets ----------------------------------------------------------------------------

    def build_ruleset_file(self, rel: str) -> None:
        raw = self.top(rel, "rulesets", RULESET_FILE_KEYS)
        top = self.raw.get(rel)
        family = top.get("family") if isinstance(top, Mapping) else None
        if not isinstance(family, str) or not family:
            return
        seen = {r.code for r in self.rulesets}
        for index, entry in enumerate(self.entries(raw, _Ctx(rel, None), "file", "rulesets")):
            ctx = _Ctx(rel, _entry_name(entry, index), {"family": family})
            data = self.mapping(entry, ctx, "ruleset", "a rule set")
            if data is None:
                continue
            self.keys(data, RULESET_KEYS, ctx, "ruleset", skip_required=("legal_basis",))
            if ctx.entry in seen:
                self.problem(
                    "ruleset.duplicate_code",
                    f"rule set code {ctx.entry!r} is defined twice",
                    ctx,
                    _line(data),
                )
                continue
            seen.add(str(ctx.entry))
            ruleset = self.ruleset(data, ctx, family, rel)
            if ruleset is not None:
                self.rulesets.append(ruleset)

    def codes_of(
        self, enum: str, values: tuple[str, ...], ctx: _Ctx, line: int | None, what: str
    ) -> frozenset[str]:
        known = self.enums[enum].codes if enum in self.enums else frozenset()
        for value in values:
            if value not in known:
                rule = "ruleset.unknown_penalty_category" if enum == _PENALTY_ENUM else "ruleset.unknown_code"
                self.problem(rule, f"{what}: {value!r} is not a code of enum {enum}", ctx, line, value=value)
        return frozenset(values)

    def ruleset(self, data: Mapping[str, Any], ctx: _Ctx, family: str, rel: str) -> RuleSet | None:
        line = _line(data)
        bases = self.legal_bases(data, ctx, "ruleset")
        valid_from = self.day(data, "valid_from", ctx, "ruleset")
        valid_to = self.day(data, "valid_to", ctx, "ruleset")
        if valid_from and valid_to and valid_to < valid_from:
            self.problem(
                "ruleset.invalid_dates", f"valid_to {valid_to} is before valid_from {valid_from}", ctx, line
            )
        tiers: dict[Tier, PeriodRule] = {}
        raw_tiers = self.mapping(data.get("tiers", {}), ctx, "ruleset", "tiers") or {}
        for key, rule_data in raw_tiers.items():
            tier = Tier(key) if key in {t.value for t in Tier if t.negative} else None
            if tier is None:
                self.problem(
                    "ruleset.unknown_tier",
                    f"tier {key!r} is not one of minor, general, serious",
                    ctx,
                    _line(raw_tiers),
                    value=key,
                )
                continue
            rule = self.period_rule(rule_data, ctx.sub(tier=key))
            if rule is not None:
                tiers[tier] = rule
        if not raw_tiers and data.get("tiers") is not None:
            self.problem("ruleset.no_tiers", "a rule set needs a rule for at least one tier", ctx, line)
        overrides: list[PeriodOverride] = []
        for index, raw_override in enumerate(
            self.entries(data.get("overrides"), ctx, "ruleset", "overrides")
        ):
            override = self.override(raw_override, ctx.sub(override=index + 1))
            if override is not None:
                overrides.append(override)
        combine = data.get("combine", "longest")
        if combine != "longest":
            self.problem(
                "ruleset.invalid_value", f"combine {combine!r}: only 'longest' is supported", ctx, line
            )
        counts_from = self.choice(CountsFrom, data, "counts_from", ctx, "ruleset") or CountsFrom.DECISION_DATE
        classification = self.classification(data.get("classification"), ctx.sub(key="classification"))
        unpublished = self.codes_of(
            _PENALTY_ENUM,
            self.strings(data, "unpublished_if_only", ctx, "ruleset"),
            ctx,
            line,
            "unpublished_if_only",
        )
        restriction = self.codes_of(
            _PENALTY_ENUM,
            self.strings(data, "restriction_categories", ctx, "ruleset"),
            ctx,
            line,
            "restriction_categories",
        )
        verified = self.flag(data, "verified", ctx, "ruleset", True)
        code, name_zh, name_en = (self.text(data, k, ctx, "ruleset") for k in ("code", "name_zh", "name_en"))
        if not (code and valid_from and bases and classification):
            return None
        return RuleSet(
            code=code,
            family=family,
            name_zh=name_zh or "",
            name_en=name_en or "",
            valid_from=valid_from,
            valid_to=valid_to,
            legal_basis=bases,
            tiers=MappingProxyType(tiers),
            counts_from=counts_from,
            overrides=tuple(overrides),
            classification=classification,
            unpublished_if_only=unpublished,
            restriction_categories=restriction,
            verified=verified,
            file=rel,
        )

    def period_rule(self, raw: Any, ctx: _Ctx) -> PeriodRule | None:
        data = self.mapping(raw, ctx, "ruleset", "a tier rule")
        if data is None:
            return None
        self.keys(data, TIER_RULE_KEYS, ctx, "ruleset")
        low = self.duration(data, "min_period", ctx, "ruleset")
        high = self.duration(data, "max_period", ctx, "ruleset")
        self.check_order(low, high, ctx, _line(data))
        return PeriodRule(
            published=self.flag(data, "published", ctx, "ruleset", True),
            min_period=low,
            max_period=high,
            max_if_published=self.duration(data, "max_if_published", ctx, "ruleset"),
            repairable=self.flag(data, "repairable", ctx, "ruleset", True),
            note=self.text(data, "note", ctx, "ruleset"),
        )

    def check_order(self, low: Duration | None, high: Duration | None, ctx: _Ctx, line: int | None) -> None:
        if low is not None and high is not None and low > high:
            self.problem(
                "ruleset.min_exceeds_max", f"min_period {low} is longer than max_period {high}", ctx, line
            )

    def override(self, raw: Any, ctx: _Ctx) -> PeriodOverride | None:
        data = self.mapping(raw, ctx, "ruleset", "an override")
        if data is None:
            return None
        self.keys(data, OVERRIDE_KEYS, ctx, "ruleset")
        line = _line(data)
        tags = self.strings(data, "tags", ctx, "ruleset")
        for tag in tags:
            if tag not in self.tags:
                self.problem(
                    "ruleset.unknown_tag", f"tag {tag!r} is not defined in tags.yaml", ctx, line, value=tag
                )
        categories = self.codes_of(
            _PENALTY_ENUM, self.strings(data, "categories", ctx, "ruleset"), ctx, line, "categories"
        )
        if not tags and not categories:
            self.problem(
                "ruleset.override_matches_nothing", "an override needs tags or categories", ctx, line
            )
        low = self.duration(data, "min_period", ctx, "ruleset")
        high = self.duration(data, "max_period", ctx, "ruleset")
        no_max = self.flag(data, "no_max", ctx, "ruleset")
        if no_max and high is not None:
            self.problem("ruleset.invalid_value", "no_max and max_period exclude each other", ctx, line)
        self.check_order(low, high, ctx, line)
        repairable = data.get("repairable")
        return PeriodOverride(
            tags=tags,
            categories=tuple(sorted(categories)),
            min_period=low,
            max_period=high,
            no_max=no_max,
            repairable=self.flag(data, "repairable", ctx, "ruleset") if repairable is not None else None,
            replace=self.flag(data, "replace", ctx, "ruleset"),
            verified=self.flag(data, "verified", ctx, "ruleset", True),
            note=self.text(data, "note", ctx, "ruleset"),
        )

    def classification(self, raw: Any, ctx: _Ctx) -> TierClassification | None:
        if raw is None:
            return TierClassification()
        data = self.mapping(raw, ctx, "ruleset", "classification")
        if data is None:
            return None
        self.keys(data, CLASSIFICATION_KEYS, ctx, "ruleset")
        line = _line(data)
        default = self.choice(Tier, data, "default", ctx, "ruleset") or Tier.GENERAL
        fine = self.text(data, "fine_category", ctx, "ruleset")
        return TierClassification(
            default=default,
            minor_categories=self.codes_of(
                _PENALTY_ENUM,
                self.strings(data, "minor_categories", ctx, "ruleset"),
                ctx,
                line,
                "minor_categories",
            ),
            fine_category=next(iter(self.codes_of(_PENALTY_ENUM, (fine,), ctx, line, "fine_category")), None)
            if fine
            else None,
            minor_fine_max_wan=self.amounts(data, "minor_fine_max_wan", ctx),
            serious_categories=self.codes_of(
                _PENALTY_ENUM,
                self.strings(data, "serious_categories", ctx, "ruleset"),
                ctx,
                line,
                "serious_categories",
            ),
            serious_fine_min_wan=self.amounts(data, "serious_fine_min_wan", ctx),
        )

    def amounts(self, data: Mapping[str, Any], key: str, ctx: _Ctx) -> Mapping[str, Decimal]:
        raw = data.get(key)
        if raw is None:
            return MappingProxyType({})
        table = self.mapping(raw, ctx, "ruleset", key) or {}
        out: dict[str, Decimal] = {}
        known = self.enums[_COUNTERPARTY_ENUM].codes if _COUNTERPARTY_ENUM in self.enums else frozenset()
        for category, value in table.items():
            if str(category) not in known:
                self.problem(
                    "ruleset.unknown_code",
                    f"{key}: {category!r} is not a code of enum {_COUNTERPARTY_ENUM}",
                    ctx,
                    _line(table),
                    value=category,
                )
            amount = self.number(value, key, ctx, "ruleset", _line(table))
            if amount is not None:
                out[str(category)] = amount
        return MappingProxyType(out)

    def check_overlaps(self) -> None:
        far = date.max
        by_family: dict[str, list[RuleSet]] = {}
        for ruleset in self.rulesets:
            by_family.setdefault(ruleset.family, []).append(ruleset)
        for family, rulesets in by_family.items():
            ordered = sorted(rulesets, key=lambda r: r.valid_from)
            for i, first in enumerate(ordered):
                for second in ordered[i + 1 :]:
                    if second.valid_from <= (first.valid_to or far):
                        self.problem(
                            "ruleset.overlapping_dates",
                            f"rule sets {first.code} ({first.valid_from} to {first.valid_to or 'open'}) "
                            f"and {second.code} (from {second.valid_from}) of family {family} overlap; "
                            "a date must select exactly one rule set",
                            _Ctx(second.file, second.code, {"family": family}),
                            other=first.code,
                        )

    # -- items --------------------------------------------------------------------------------

    def build_item_file(self, rel: str) -> None:
        raw = self.top(rel, "items", {"items": True, "note": False})
        for index, entry in enumerate(self.entries(raw, _Ctx(rel, None), "file", "items")):
            ctx = _Ctx(rel, _entry_name(entry, index))
            data = self.mapping(entry, ctx, "item", "an item")
            if data is None:
                continue
            if ctx.entry in self.item_files:
                self.problem(
                    "item.duplicate_code",
                    f"item code {ctx.entry!r} is already defined in {self.item_files[str(ctx.entry)]}",
                    ctx,
                    _line(data),
                )
                continue
            if not str(ctx.entry).startswith("#"):
                self.item_files[str(ctx.entry)] = rel
            item = self.item(data, ctx, rel)
            if item is not None:
                self.items[item.code] = item

    def item(self, data: Mapping[str, Any], ctx: _Ctx, rel: str) -> CatalogItem | None:
        self.keys(data, ITEM_KEYS, ctx, "item", skip_required=("legal_basis",))
        line = _line(data)
        code = self.text(data, "code", ctx, "item")
        bases = self.legal_bases(data, ctx, "item")

        def known(key: str, table: Mapping[str, object], rule: str, where: str) -> None:
            value = data.get(key)
            if isinstance(value, str) and value not in table:
                close = difflib.get_close_matches(value, list(table), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(rule, f"{key} {value!r} is not defined in {where}{hint}", ctx, line, value=value)

        known("category", self.categories, "item.unknown_category", "categories.yaml")
        units = self.strings(data, "source_units", ctx, "item")
        for unit in units:
            if unit not in self.units:
                self.problem(
                    "item.unknown_source_unit",
                    f"source unit {unit!r} is not defined in units.yaml",
                    ctx,
                    line,
                    value=unit,
                )
        if "source_units" in data and not units:
            self.problem("item.no_source_units", "an item needs at least one source unit", ctx, line)
        kinds = tuple(
            k
            for k in (
                self.choice(
                    SubjectKind,
                    {"subject_kinds": v},
                    "subject_kinds",
                    ctx,
                    "item",
                    "item.unknown_subject_kind",
                )
                for v in self.strings(data, "subject_kinds", ctx, "item")
            )
            if k is not None
        )
        if "subject_kinds" in data and not kinds:
            self.problem("item.no_subject_kinds", "an item needs at least one subject kind", ctx, line)
        tags = self.strings(data, "tags", ctx, "item")
        for tag in tags:
            if tag not in self.tags:
                self.problem(
                    "item.unknown_tag", f"tag {tag!r} is not defined in tags.yaml", ctx, line, value=tag
                )
        publicity = self.text(data, "publicity", ctx, "item")
        families = {r.family for r in self.rulesets} | self.ruleset_families()
        if publicity is not None and publicity not in families:
            self.problem(
                "item.unknown_publicity",
                f"publicity family {publicity!r} has no rule set in rulesets/",
                ctx,
                line,
                value=publicity,
            )
        retention = None
        if data.get("retention") is not None:
            try:
                retention = Retention.parse(data["retention"])
            except ValueError as exc:
                self.problem(
                    "item.invalid_retention",
                    f"retention: {exc} (or 'permanent')",
                    ctx,
                    line,
                    value=data["retention"],
                )
        tier = self.choice(Tier, data, "tier", ctx, "item", "item.unknown_tier")
        disclosure = self.choice(Disclosure, data, "disclosure", ctx, "item", "item.unknown_disclosure")
        sharing = self.choice(SharingScope, data, "sharing_scope", ctx, "item", "item.unknown_sharing_scope")
        frequency = self.choice(
            UpdateFrequency, data, "update_frequency", ctx, "item", "item.unknown_update_frequency"
        )
        layer = self.choice(CatalogLayer, data, "layer", ctx, "item") or CatalogLayer.NATIONAL
        refusable = self.flag(data, "subject_may_refuse", ctx, "item")
        schema = self.item_schema(data, ctx, code)
        self.lawfulness(data, ctx, bases, layer, tier, refusable, publicity)
        if tier is not None and publicity is not None:
            self.publicity_covers(ctx, line, publicity, tier, tags)
        if (
            code is None
            or schema is None
            or tier is None
            or disclosure is None
            or sharing is None
            or frequency is None
            or retention is None
            or not bases
            or not kinds
            or not units
            or not isinstance(data.get("category"), str)
        ):
            return None
        return CatalogItem(
            code=code,
            name_zh=self.text(data, "name_zh", ctx, "item") or "",
            name_en=self.text(data, "name_en", ctx, "item") or "",
            category=data["category"],
            subject_kinds=kinds,
            legal_basis=bases,
            source_units=units,
            disclosure=disclosure,
            sharing_scope=sharing,
            retention=retention,
            update_frequency=frequency,
            tier=tier,
            schema=schema,
            layer=layer,
            subject_may_refuse=refusable,
            publicity=publicity,
            tags=tags,
            conduct_zh=self.text(data, "conduct_zh", ctx, "item"),
            channel=self.text(data, "channel", ctx, "item"),
            note=self.text(data, "note", ctx, "item"),
            file=rel,
        )

    def publicity_covers(
        self, ctx: _Ctx, line: int | None, family: str, tier: Tier, tags: tuple[str, ...]
    ) -> None:
        for ruleset in self.rulesets:
            if ruleset.family != family or tier in ruleset.tiers:
                continue
            if any(o.replace and set(o.tags) & set(tags) for o in ruleset.overrides):
                continue
            self.problem(
                "item.publicity_tier_missing",
                f"rule set {ruleset.code} of family {family} has no rule "
                f"for tier {tier.value} (nor a replacing override for this item's tags)",
                ctx,
                line,
            )

    def ruleset_families(self) -> set[str]:
        """Families declared by rule-set files, even if their rule sets had problems."""
        out: set[str] = set()
        for rel in self.files_in("rulesets"):
            top = self.raw.get(rel)
            if isinstance(top, Mapping) and isinstance(top.get("family"), str):
                out.add(top["family"])
        return out

    def item_schema(self, data: Mapping[str, Any], ctx: _Ctx, code: str | None) -> str | None:
        raw = data.get("schema")
        if isinstance(raw, str):
            if raw not in self.schemas and raw not in self.declared_schema_codes():
                self.problem(
                    "item.unknown_schema",
                    f"schema {raw!r} is not defined in schemas/ (or give the fields inline)",
                    ctx,
                    _line(data),
                    value=raw,
                )
                return None
            return raw if raw in self.schemas else None
        if raw is None or code is None:
            return None
        inline = self.mapping(raw, ctx, "item", "schema (a schema code or an inline schema)")
        if inline is None:
            return None
        allowed = {
            k: (v and k not in ("code", "name_zh", "name_en")) for k, v in SCHEMA_KEYS.items() if k != "code"
        }
        self.keys(inline, allowed, ctx, "schema")
        names = (self.text(data, "name_zh", ctx, "item") or "", self.text(data, "name_en", ctx, "item") or "")
        schema = self.schema(inline, ctx, code, inline=True, names=names)
        self.register_schema(schema, ctx, inline)
        return code if schema is not None and self.schemas.get(code) is schema else None

    def declared_schema_codes(self) -> set[str]:
        return {
            str(top["code"])
            for rel in self.files_in("schemas")
            if isinstance(top := self.raw.get(rel), Mapping) and top.get("code")
        }

    def lawfulness(
        self,
        data: Mapping[str, Any],
        ctx: _Ctx,
        bases: tuple[LegalBasis, ...],
        layer: CatalogLayer,
        tier: Tier | None,
        refusable: bool,
        publicity: str | None,
    ) -> None:
        line = _line(data)
        if (
            layer is CatalogLayer.SHENZHEN
            and bases
            and not any(b.level is LegalLevel.LOCAL_REGULATION for b in bases)
        ):
            self.problem(
                "item.local_basis_missing",
                "a Shenzhen supplementary item needs a basis in a Shenzhen "
                "local regulation (level: local_regulation), Shenzhen credit regulation art. 33",
                ctx,
                line,
                message_zh="深圳市补充目录信息应当具有本市地方性法规的依据（条例第三十三条）",
            )
        if refusable and tier is not None and tier is not Tier.POSITIVE:
            self.problem(
                "item.refusal_requires_positive",
                "subject_may_refuse is for positive information "
                "(honours, volunteering, donations: Shenzhen credit regulation art. 39)",
                ctx,
                line,
            )
        if data.get("category") == "honours" and not refusable:
            self.problem(
                "item.honours_must_be_refusable",
                "honours are recorded only if the subject does not "
                "object (Shenzhen credit regulation art. 39 ¶2): set subject_may_refuse: true",
                ctx,
                line,
            )
        if publicity is not None and tier is not None and not tier.negative:
            self.problem(
                "item.publicity_requires_negative_tier",
                f"publicity periods govern negative information; tier {tier.value} has none",
                ctx,
                line,
            )
