"""From validated values to a record draft: who it is about, on which document, which tier.

Pure functions. A record is lawful only if its subject is identified by a valid code of a
kind the catalog item allows, and (for negative information) it rests on a legally
effective document with its number and date.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from xinyong import ids
from xinyong.catalog import Catalog, CatalogItem, FieldSchema, FieldType
from xinyong.catalog.model import RuleSet
from xinyong.domain.enums import SubjectKind, Tier
from xinyong.domain.publicity import classify_penalty_tier, ruleset_in_force
from xinyong.domain.validation import RESIDENT_ID_TYPE, FieldIssue
from xinyong.errors import InvalidInput
from xinyong.services.registry import subject_id_for

PENALTY_CATEGORY_ENUM = "penalty_category"
FINE_FIELD = "CF_NR_FK"
NATURAL_PERSON = "2"  # counterparty_category code of 自然人


_subject_id = lru_cache(maxsize=100_000)(subject_id_for)  # subjects recur across a batch's rows


@dataclass(frozen=True)
class SubjectKey:
    kind: SubjectKind
    scheme: str
    value: str
    name: str
    is_individual_business: bool = False
    legacy: tuple[tuple[str, str], ...] = ()
    subject_id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.subject_id:
            object.__setattr__(self, "subject_id", _subject_id(self.scheme, self.value))


@dataclass(frozen=True)
class RecordDraft:
    id: str
    item_code: str
    subject: SubjectKey
    document_number: str | None
    decision_date: date | None
    tier: Tier
    fields: str  # the normalised values as canonical JSON (what the content id is computed from)
    source_row: int


class SchemaRoles:
    """Which fields of a schema identify the subject, the document and the penalty kind."""

    def __init__(self, schema: FieldSchema) -> None:
        by_code = {f.code: f for f in schema.fields}
        self.schema = schema
        self.uscc_fields = tuple(c for c in schema.subject_id_fields if by_code[c].type is FieldType.USCC)
        self.person_fields = tuple(
            (c, by_code[c].id_type_field)
            for c in schema.subject_id_fields
            if by_code[c].type is FieldType.ID_NUMBER
        )
        self.legacy_fields = tuple(
            (f.code, f.type.value)
            for f in schema.fields
            if f.type in (FieldType.ORGANISATION_CODE, FieldType.REGISTRATION_NUMBER)
        )
        self.category_field = next((f.code for f in schema.fields if f.enum == PENALTY_CATEGORY_ENUM), None)


def identify(
    roles: SchemaRoles, item: CatalogItem, values: dict[str, Any]
) -> tuple[SubjectKey | None, list[FieldIssue]]:
    name = str(values.get(roles.schema.subject_name_field, ""))
    category = values.get(roles.schema.subject_category_field or "")
    if category != NATURAL_PERSON:
        for code in roles.uscc_fields:
            if code in values:
                return _organisation(roles, item, values, code, name)
    for code, type_field in roles.person_fields:
        if code in values:
            return _person(item, values, code, type_field, name)
    field = (roles.uscc_fields or tuple(c for c, _ in roles.person_fields) or ("",))[0]
    return None, [
        FieldIssue(
            field,
            "row.subject_unidentified",
            "the subject is not identified: give the USCC (organisations) or the ID document (persons)",
            "未能识别信用主体：法人和非法人组织须填统一社会信用代码，自然人须填证件类型和号码",
        )
    ]


def _organisation(
    roles: SchemaRoles, item: CatalogItem, values: dict[str, Any], code: str, name: str
) -> tuple[SubjectKey | None, list[FieldIssue]]:
    uscc = _parse_uscc(values[code])
    kind = uscc.subject_kind or SubjectKind.ENTERPRISE
    legacy = [("organisation_code", uscc.org_code)]
    for code_field, scheme in roles.legacy_fields:
        given = values.get(code_field)
        if given is None:
            continue
        if scheme == "organisation_code" and given != uscc.org_code:
            return None, [
                FieldIssue(
                    code_field,
                    "row.org_code_mismatch",
                    f"organisation code {given} differs from the one inside the USCC ({uscc.org_code})",
                    f"组织机构代码 {given} 与统一社会信用代码中的 {uscc.org_code} 不一致",
                    given,
                )
            ]
        if scheme == "registration_number":
            legacy.append((scheme, given))
    key = SubjectKey(kind, "uscc", uscc.code, name, uscc.is_individual_business, tuple(legacy))
    return _allowed(item, key, code)


@lru_cache(maxsize=100_000)
def _parse_uscc(code: str) -> ids.Uscc:
    return ids.parse_uscc(code)


def _person(
    item: CatalogItem, values: dict[str, Any], code: str, type_field: str | None, name: str
) -> tuple[SubjectKey | None, list[FieldIssue]]:
    doc_type = values.get(type_field or "") or RESIDENT_ID_TYPE
    scheme = "resident_id" if doc_type == RESIDENT_ID_TYPE else f"id_document_{doc_type}"
    return _allowed(item, SubjectKey(SubjectKind.INDIVIDUAL, scheme, values[code], name), code)


def _allowed(item: CatalogItem, key: SubjectKey, code: str) -> tuple[SubjectKey | None, list[FieldIssue]]:
    if key.kind in item.subject_kinds:
        return key, []
    allowed = ", ".join(k.value for k in item.subject_kinds)
    return None, [
        FieldIssue(
            code,
            "row.subject_kind_not_allowed",
            f"{item.code} may not be recorded about a {key.kind.value} (only {allowed})",
            f"“{item.name_zh}”不适用于{key.kind.zh}",
            key.value,
        )
    ]


def document_issues(schema: FieldSchema, item: CatalogItem, values: dict[str, Any]) -> list[FieldIssue]:
    """Negative information must rest on a legally effective document (number and date)."""
    if not item.tier.negative:
        return []
    issues = []
    for code in (schema.document_number_field, schema.decision_date_field):
        if code and code not in values:
            issues.append(
                FieldIssue(
                    code,
                    "row.document_required",
                    "negative information needs its legally effective document's number and date",
                    "失信信息须有已生效法律文书的文号和日期",
                )
            )
    return issues


def record_tier(
    catalog: Catalog,
    roles: SchemaRoles,
    item: CatalogItem,
    values: dict[str, Any],
    rulesets: dict[str, RuleSet | None] | None = None,
) -> Tier:
    """The record's tier; ``rulesets`` remembers the rule set per decision date across a batch."""
    ruleset = tier_ruleset(catalog, roles, item, values.get(roles.schema.decision_date_field or ""), rulesets)
    if ruleset is None:
        return item.tier
    return classified_tier(roles, ruleset, values)


def tier_ruleset(
    catalog: Catalog,
    roles: SchemaRoles,
    item: CatalogItem,
    decided: Any,
    rulesets: dict[str, RuleSet | None] | None = None,
) -> RuleSet | None:
    """The rule set that classifies a record decided on ``decided`` (ISO text); None when the
    record simply has its item's tier (not penalty information, no date, no rule set in force)."""
    if item.publicity not in ("penalty_publicity", "samr_penalty_publicity") or roles.category_field is None:
        return None
    if not decided:
        return None
    if rulesets is None:
        return _ruleset_on(catalog, item.publicity, decided)
    if decided in rulesets:
        return rulesets[decided]
    ruleset = rulesets[decided] = _ruleset_on(catalog, item.publicity, decided)
    return ruleset


def classified_tier(roles: SchemaRoles, ruleset: RuleSet, values: dict[str, Any]) -> Tier:
    """The tier of penalty information by ``ruleset`` (``values``: the record's, its date aside)."""
    fine = values.get(FINE_FIELD)
    return classify_penalty_tier(
        ruleset,
        values.get(roles.category_field or "", []),
        Decimal(fine) if fine is not None else None,
        values.get(roles.schema.subject_category_field or ""),
    )


def _ruleset_on(catalog: Catalog, family: str, decided: str) -> RuleSet | None:
    """The rule set in force on a decision date (ISO text), None if there is none."""
    try:
        return ruleset_in_force(catalog, family, date.fromisoformat(decided))
    except InvalidInput:
        return None


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
canonical_json = _CANONICAL  # any value as canonical JSON (the record's fields are one such value)


def canonical_fields(values: dict[str, Any]) -> str:
    return _CANONICAL(values)


def content_id(item_code: str, unit: str, subject_id: str, fields_json: str) -> str:
    """SHA-256 over the item, the unit, the subject and the canonical field values."""
    return hashlib.sha256(f"{item_code}\x1f{unit}\x1f{subject_id}\x1f{fields_json}".encode()).hexdigest()
