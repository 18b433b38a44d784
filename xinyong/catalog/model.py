"""Typed objects of the public credit information catalog (公共信用信息目录).

Plain frozen dataclasses, built and validated by :mod:`xinyong.catalog.loader` from the YAML files
in ``catalog/data``. Nothing here reads files or imports a framework.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from xinyong.domain.enums import Disclosure, SharingScope, SubjectKind, Tier

if TYPE_CHECKING:
    from xinyong.catalog.lists import ListCatalog

__all__ = [
    "Catalog",
    "CatalogItem",
    "CatalogLayer",
    "Category",
    "Condition",
    "CountsFrom",
    "Duration",
    "EnumDef",
    "EnumValue",
    "FieldDef",
    "FieldSchema",
    "FieldType",
    "LegalBasis",
    "LegalLevel",
    "PeriodOverride",
    "PeriodRule",
    "Retention",
    "RuleSet",
    "SourceUnit",
    "Tag",
    "TierClassification",
    "UpdateFrequency",
    "add_months",
    "normalise_header",
]


# ---------------------------------------------------------------------------------------------
# Closed vocabularies of the catalog itself


class FieldType(StrEnum):
    """The value types a field may have (closed set; anything else is ``field.unknown_type``)."""

    STRING = "string"
    TEXT = "text"
    DATE = "date"
    DECIMAL = "decimal"
    ENUM = "enum"
    USCC = "uscc"  # 统一社会信用代码, GB 32100
    ID_NUMBER = "id_number"  # 证件号码 (resident ID, GB 11643, or another document)
    ORGANISATION_CODE = "organisation_code"  # 组织机构代码, GB 11714
    REGISTRATION_NUMBER = "registration_number"  # 工商注册号
    INTEGER = "integer"


class UpdateFrequency(StrEnum):
    """Update frequency of a catalog item (更新频次)."""

    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ON_CHANGE = "on_change"


class CatalogLayer(StrEnum):
    """Which catalog an item belongs to (Shenzhen regulation art. 31)."""

    NATIONAL = "national"  # 全国公共信用信息基础目录
    GUANGDONG = "guangdong"  # 广东省公共信用信息补充目录
    SHENZHEN = "shenzhen"  # 深圳市公共信用信息补充目录 (needs a local-regulation basis, art. 33)


class LegalLevel(StrEnum):
    """Rank of a legal instrument (效力层级)."""

    LAW = "law"  # 法律
    ADMINISTRATIVE_REGULATION = "administrative_regulation"  # 行政法规
    JUDICIAL_INTERPRETATION = "judicial_interpretation"  # 司法解释
    DEPARTMENTAL_RULE = "departmental_rule"  # 部门规章
    LOCAL_REGULATION = "local_regulation"  # 地方性法规 (incl. 经济特区法规)
    LOCAL_RULE = "local_rule"  # 地方政府规章
    POLICY = "policy"  # 党中央、国务院政策文件 / 规范性文件
    STANDARD = "standard"  # 标准


class CountsFrom(StrEnum):
    """The date a publicity period counts from."""

    DECISION_DATE = "decision_date"  # 作出认定的文书日期 (Order 36, Order 58 practice)
    PUBLICATION_DATE = "publication_date"  # 公示之日 (SAMR Order 45 art. 13)


# ---------------------------------------------------------------------------------------------
# Durations


@functools.lru_cache(maxsize=65_536)  # pure; bulk screening asks it for the same few start days
def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clamped to the last day of the target month.

    Clamping follows Civil Code art. 202 (民法典第二百零二条): a period counted in months or years
    ends on the corresponding day of the final month, or on that month's last day when it has no
    corresponding day. So 2025-11-30 + 3 months = 2026-02-28 and 2024-02-29 + 12 months = 2025-02-28.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")


@dataclass(frozen=True, order=True)
class Duration:
    """A calendar period written ``P<n>Y<n>M<n>D`` (ISO 8601 date part, no weeks or times).

    Ordering compares (total months, days), which is exact for the month- or day-only periods the
    catalog uses.
    """

    months: int = 0  # years are stored as 12 months each
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text.strip()) if isinstance(text, str) else None
        if match is None or text.strip() == "P":
            raise ValueError(f"not a duration like P3M, P1Y or P10D: {text!r}")
        years, months, days = (int(g) if g else 0 for g in match.groups())
        return cls(months=years * 12 + months, days=days)

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.days == 0

    def after(self, start: date) -> date:
        """The last day of a period of this length starting on ``start`` (see :func:`add_months`)."""
        return add_months(start, self.months) + timedelta(days=self.days)

    def __str__(self) -> str:
        if self.is_zero:
            return "P0D"
        years, months = divmod(self.months, 12)
        out = "P"
        out += f"{years}Y" if years else ""
        out += f"{months}M" if months else ""
        out += f"{self.days}D" if self.days else ""
        return out

    def describe(self) -> str:
        """English wording, e.g. ``1 year 6 months``."""
        years, months = divmod(self.months, 12)
        parts = [
            f"{n} {unit}{'s' if n != 1 else ''}"
            for n, unit in ((years, "year"), (months, "month"), (self.days, "day"))
            if n
        ]
        return " ".join(parts) or "0 days"


@dataclass(frozen=True)
class Retention:
    """Retention period (保存期限): a duration or permanent."""

    duration: Duration | None  # None = permanent

    @classmethod
    def parse(cls, text: str) -> Retention:
        if isinstance(text, str) and text.strip() == "permanent":
            return cls(None)
        return cls(Duration.parse(text))

    @property
    def permanent(self) -> bool:
        return self.duration is None

    def __str__(self) -> str:
        return "permanent" if self.duration is None else str(self.duration)


# ---------------------------------------------------------------------------------------------
# Reference data


@dataclass(frozen=True)
class LegalBasis:
    """One legal basis of a catalog item or rule set (纳入依据)."""

    instrument: str  # e.g. 中华人民共和国行政处罚法
    article: str  # e.g. 第四十八条
    url: str | None = None
    note: str | None = None
    level: LegalLevel | None = None
    verified: bool = True  # False = taken from a weak source; check the official text

    def __str__(self) -> str:
        return f"《{self.instrument.strip('《》')}》{self.article}"


@dataclass(frozen=True)
class EnumValue:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class EnumDef:
    """A code table (代码表) used by enum fields."""

    code: str
    name_zh: str
    name_en: str
    values: tuple[EnumValue, ...]
    basis: str | None = None

    def value(self, code_or_label: str) -> EnumValue | None:
        """The value with this code, Chinese label or English label, if any."""
        text = code_or_label.strip()
        for value in self.values:
            if text in (value.code, value.zh, value.en):
                return value
        return None

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(v.code for v in self.values)


@dataclass(frozen=True)
class SourceUnit:
    """A unit that supplies credit information (信息提供单位)."""

    code: str
    name_zh: str
    name_en: str
    uscc: str
    domain: str


@dataclass(frozen=True)
class Category:
    """One of the 13 information categories of the 2024 national basic catalog."""

    code: str
    seq: int
    zh: str
    en: str
    verified: bool = True


@dataclass(frozen=True)
class Tag:
    code: str
    zh: str
    en: str


# ---------------------------------------------------------------------------------------------
# Field schemas


@dataclass(frozen=True)
class FieldDef:
    """One field of a record schema."""

    code: str
    zh: str
    en: str
    type: FieldType
    required: bool = False
    max_length: int | None = None
    enum: str | None = None  # code of an EnumDef, for type enum
    multiple: bool = False  # several values (e.g. several penalty categories)
    not_future: bool = False  # a date that may not lie after the day of ingestion
    not_before: str | None = None  # code of a date field this date may not precede
    min: Decimal | None = None
    max: Decimal | None = None
    digits: int | None = None  # decimal precision
    places: int | None = None  # decimal scale
    id_type_field: str | None = None  # enum field giving the ID document type of an id_number
    personal: bool = False  # personal information: de-identify before publication
    aliases: tuple[str, ...] = ()  # further headers accepted on ingestion
    note: str | None = None


@dataclass(frozen=True)
class Condition:
    """When ``field`` has (``in``) or contains (``contains``) one of ``values``, ``require`` fields."""

    field: str
    values: tuple[str, ...]
    require: tuple[str, ...]
    rule: str
    mode: str = "in"  # "in" (single value) or "contains" (a multiple field holds one of them)

    def applies(self, value: str | Sequence[str] | None) -> bool:
        if value is None:
            return False
        if isinstance(value, str):
            return value in self.values
        return any(v in self.values for v in value)


def normalise_header(header: str) -> str:
    """Fold the harmless differences between column headers: case, spaces, full-width brackets."""
    table = str.maketrans({"（": "(", "）": ")", "　": " ", "：": ":"})
    return re.sub(r"\s+", "", header.translate(table)).casefold()


@dataclass(frozen=True)
class FieldSchema:
    """The fields of a record type: a named schema (schemas/*.yaml) or an item's inline schema."""

    code: str
    name_zh: str
    name_en: str
    fields: tuple[FieldDef, ...]
    subject_name_field: str
    conditions: tuple[Condition, ...] = ()
    subject_category_field: str | None = None
    document_number_field: str | None = None
    decision_date_field: str | None = None
    subject_id_fields: tuple[str, ...] = ()
    standard: str | None = None
    inline: bool = False  # defined inside a catalog item (its code is the item code)
    # Header → field code, for each field's code, Chinese name and aliases, both exactly as written
    # and normalised (see normalise_header; field_for_header looks up the normalised form).
    header_map: Mapping[str, str] = field(default_factory=dict, hash=False)

    def field_def(self, code: str) -> FieldDef:
        for f in self.fields:
            if f.code == code:
                return f
        raise KeyError(f"schema {self.code} has no field {code}")

    @property
    def field_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.fields)

    def field_for_header(self, header: str) -> FieldDef | None:
        """The field a column header names (Chinese name, code or alias; see normalise_header)."""
        code = self.header_map.get(normalise_header(header))
        return None if code is None else self.field_def(code)


# ---------------------------------------------------------------------------------------------
# Catalog items


@dataclass(frozen=True)
class CatalogItem:
    """One item of the catalog: a kind of public credit information and the rules it lives by."""

    code: str
    name_zh: str
    name_en: str
    category: str  # Category.code
    subject_kinds: tuple[SubjectKind, ...]
    legal_basis: tuple[LegalBasis, ...]  # at least one
    source_units: tuple[str, ...]  # SourceUnit.code
    disclosure: Disclosure
    sharing_scope: SharingScope
    retention: Retention
    update_frequency: UpdateFrequency
    tier: Tier  # default tier; publicity rules may refine it per record
    schema: str  # FieldSchema.code (an inline schema has the item's code)
    layer: CatalogLayer = CatalogLayer.NATIONAL
    subject_may_refuse: bool = False  # honours etc.: not recorded if the subject objects (SZ art. 39)
    publicity: str | None = None  # rule-set family governing the publicity period
    tags: tuple[str, ...] = ()
    conduct_zh: str | None = None  # 对应的具体行为 (SZ art. 34)
    channel: str | None = None  # 归集渠道
    note: str | None = None
    file: str = ""  # the file it was defined in, relative to the catalog directory


# ---------------------------------------------------------------------------------------------
# Publicity rule sets


@dataclass(frozen=True)
class PeriodRule:
    """Publicity periods for one tier under one rule set."""

    published: bool = True
    min_period: Duration | None = None  # after it, repair may be applied for; None = no early repair
    max_period: Duration | None = None  # publication stops automatically; None = no fixed end
    max_if_published: Duration | None = None  # for tiers not published by default
    repairable: bool = True
    note: str | None = None


@dataclass(frozen=True)
class PeriodOverride:
    """A rule for decisions carrying certain tags or penalty categories (e.g. special equipment)."""

    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # penalty_category codes
    min_period: Duration | None = None
    max_period: Duration | None = None
    no_max: bool = False  # this kind of information has no fixed end
    repairable: bool | None = None
    replace: bool = False  # replace the tier's rule instead of raising it
    verified: bool = True
    note: str | None = None

    def matches(self, tags: frozenset[str], categories: frozenset[str]) -> bool:
        return bool(tags & set(self.tags)) or bool(categories & set(self.categories))


@dataclass(frozen=True)
class TierClassification:
    """Data hints for classifying a penalty decision into a tier (see domain.publicity)."""

    default: Tier = Tier.GENERAL
    minor_categories: frozenset[str] = frozenset()  # a decision only of these can be minor
    fine_category: str | None = None  # the penalty category code of a fine
    minor_fine_max_wan: Mapping[str, Decimal] = field(default_factory=dict, hash=False)
    serious_categories: frozenset[str] = frozenset()  # any of these makes the decision serious
    serious_fine_min_wan: Mapping[str, Decimal] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class RuleSet:
    """One version of a family of publicity rules, in force from ``valid_from`` to ``valid_to``."""

    code: str
    family: str
    name_zh: str
    name_en: str
    valid_from: date
    valid_to: date | None  # inclusive; None = open-ended
    legal_basis: tuple[LegalBasis, ...]
    tiers: Mapping[Tier, PeriodRule] = field(hash=False)
    counts_from: CountsFrom = CountsFrom.DECISION_DATE
    overrides: tuple[PeriodOverride, ...] = ()
    combine: str = "longest"
    classification: TierClassification = field(default_factory=TierClassification)
    unpublished_if_only: frozenset[str] = frozenset()  # a decision only of these is not published
    restriction_categories: frozenset[str] = frozenset()  # longer bans extend the period
    verified: bool = True
    file: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# ---------------------------------------------------------------------------------------------
# The catalog


@dataclass(frozen=True, eq=False)
class Catalog:
    """The whole validated catalog. ``version`` is the SHA-256 of its canonicalised content."""

    items: Mapping[str, CatalogItem]
    schemas: Mapping[str, FieldSchema]
    enums: Mapping[str, EnumDef]
    units: Mapping[str, SourceUnit]
    categories: Mapping[str, Category]
    tags: Mapping[str, Tag]
    rulesets: tuple[RuleSet, ...]
    version: str
    path: str = ""
    lists: ListCatalog | None = None  # list types and measures (xinyong.catalog.lists)

    def item(self, code: str) -> CatalogItem:
        try:
            return self.items[code]
        except KeyError:
            raise KeyError(f"no catalog item {code!r}") from None

    def schema_for(self, item_code: str) -> FieldSchema:
        return self.schemas[self.item(item_code).schema]

    def rulesets_of(self, family: str) -> tuple[RuleSet, ...]:
        return tuple(r for r in self.rulesets if r.family == family)

    @property
    def families(self) -> frozenset[str]:
        return frozenset(r.family for r in self.rulesets)

    def unit_by_uscc(self, uscc: str) -> SourceUnit | None:
        for unit in self.units.values():
            if unit.uscc == uscc:
                return unit
        return None
