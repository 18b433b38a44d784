"""The public credit information catalog (公共信用信息目录): rules as data, validated at load.

    >>> from xinyong.catalog import load_catalog
    >>> catalog = load_catalog()              # the built-in catalog, cached
    >>> catalog.item("administrative_penalty").legal_basis[0].instrument
    '中华人民共和国行政处罚法'

The YAML format is described in docs/catalog.md.
"""

from xinyong.catalog.loader import DATA_DIR, check_catalog, load_catalog, uscc_is_valid
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
    add_months,
    normalise_header,
)

__all__ = [
    "DATA_DIR",
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
    "check_catalog",
    "load_catalog",
    "normalise_header",
    "uscc_is_valid",
]
