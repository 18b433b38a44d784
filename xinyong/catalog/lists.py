"""List types (名单) and disciplinary measures (失信惩戒措施) as catalog data, validated at load.

``lists/*.yaml`` hold one list type each: legal basis, inclusion grounds, who may decide, periods
and extensions, removal conditions and deadlines. ``measures/*.yaml`` hold the national basic list of
disciplinary measures (全国失信惩戒措施基础清单): each measure's target, content, legal basis,
implementing units, the list types that trigger it and the screening purposes that may check it,
plus ``measures/purposes.yaml`` (the purposes relying parties may declare).

A measure without a legal basis or without a triggering list type, a list type without grounds or
deciding units, or a reference to an unknown code stops the catalog from loading, with the file and
the entry named. The loader (``xinyong.catalog.loader``) calls :func:`build_lists` with its builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from xinyong.catalog.loader import _Builder, _Ctx, _line, _spec
from xinyong.catalog.model import Catalog, Duration, LegalBasis
from xinyong.domain.enums import SubjectKind

LIST_KEYS = _spec(
    "code name_zh name_en scope legal_basis deciding_domains subject_kinds grounds decision_document_zh "
    "decision_document_en removal_conditions removal_working_days",
    "catalog_item excludes_minors notice_required defence_working_days extension early_removal_after note",
)
GROUND_KEYS = _spec("code zh en article", "period no_fixed_period extendable note")
CONDITION_KEYS = _spec("code zh en", "note")
EXTENSION_KEYS = _spec("min max", "times note")
MEASURE_KEYS = _spec(
    "code name_zh name_en content_zh content_en target legal_basis implementing_units triggered_by purposes",
    "named_persons subject_kinds duration note",
)
PURPOSE_KEYS = _spec("code zh en", "note")
TARGETS = ("subject", "subject_and_named_persons")
NAMED_PERSONS = ("legal_representative", "principal", "directly_responsible", "actual_controller")
PERIOD_ENDED = "period_ended"  # the removal every list type has: its period ran out


@dataclass(frozen=True)
class Ground:
    """One inclusion criterion (纳入情形) and the period it carries."""

    code: str
    zh: str
    en: str
    article: str
    period: Duration | None  # None: no fixed period (listed until a removal condition occurs)
    extendable: bool = False


@dataclass(frozen=True)
class RemovalCondition:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Extension:
    min: Duration
    max: Duration
    times: int = 1


@dataclass(frozen=True)
class ListType:
    code: str
    name_zh: str
    name_en: str
    scope: str  # national / local
    legal_basis: tuple[LegalBasis, ...]
    deciding_domains: frozenset[str]
    subject_kinds: frozenset[SubjectKind]
    grounds: Mapping[str, Ground]
    decision_document_zh: str
    decision_document_en: str
    removal_conditions: Mapping[str, RemovalCondition]
    removal_working_days: int
    excludes_minors: bool = False
    notice_required: bool = True
    defence_working_days: int = 0
    extension: Extension | None = None
    early_removal_after: Duration = field(default_factory=Duration)
    catalog_item: str | None = None
    file: str = ""


@dataclass(frozen=True)
class Measure:
    code: str
    name_zh: str
    name_en: str
    content_zh: str
    content_en: str
    target: str
    legal_basis: tuple[LegalBasis, ...]
    implementing_units: tuple[str, ...]
    triggered_by: frozenset[str]
    purposes: frozenset[str]
    named_persons: tuple[str, ...] = ()
    subject_kinds: frozenset[SubjectKind] = frozenset(SubjectKind)
    duration: Duration | None = None  # capped by the entry's own period
    file: str = ""


@dataclass(frozen=True)
class Purpose:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class ListCatalog:
    list_types: Mapping[str, ListType]
    measures: Mapping[str, Measure]
    purposes: Mapping[str, Purpose]

    def measures_of(self, list_type: str) -> tuple[Measure, ...]:
        """The measures a list type links (a measure names the list types that trigger it)."""
        return tuple(m for m in self.measures.values() if list_type in m.triggered_by)

    def list_type(self, code: str) -> ListType:
        return self.list_types[code]


EMPTY = ListCatalog(MappingProxyType({}), MappingProxyType({}), MappingProxyType({}))


def build_lists(b: _Builder) -> ListCatalog:
    """Build list types, measures and purposes from the builder's parsed files (problems go to it)."""
    purposes = _purposes(b)
    list_types: dict[str, ListType] = {}
    for rel in b.files_in("lists"):
        lt = _list_type(b, rel)
        if lt is None:
            continue
        if lt.code in list_types:
            b.problem("list.duplicate_code", f"list type {lt.code!r} is defined twice", _Ctx(rel, lt.code))
            continue
        list_types[lt.code] = lt
    measures: dict[str, Measure] = {}
    for rel in b.files_in("measures"):
        if rel == "measures/purposes.yaml":
            continue
        for ctx, data in b.list_file(rel, "measures", MEASURE_KEYS, "measure"):
            measure = _measure(b, ctx, data, list_types, purposes)
            if measure is None:
                continue
            if measure.code in measures:
                b.problem("measure.duplicate_code", f"measure {measure.code!r} is defined twice", ctx)
                continue
            measures[measure.code] = measure
    return ListCatalog(MappingProxyType(list_types), MappingProxyType(measures), MappingProxyType(purposes))


def _purposes(b: _Builder) -> dict[str, Purpose]:
    out: dict[str, Purpose] = {}
    rel = "measures/purposes.yaml"
    if rel not in b.raw:
        return out
    for ctx, data in b.list_file(rel, "purposes", PURPOSE_KEYS, "purpose"):
        code = str(data["code"])
        out[code] = Purpose(
            code, b.text(data, "zh", ctx, "purpose") or "", b.text(data, "en", ctx, "purpose") or ""
        )
    return out


def _list_type(b: _Builder, rel: str) -> ListType | None:
    data = b.top(rel, "list_type", {"list_type": True, "note": False})
    ctx = _Ctx(rel, None)
    lt = b.mapping(data, ctx, "list", "list_type") if data is not None else None
    if lt is None:
        return None
    ctx = _Ctx(rel, str(lt.get("code")))
    b.keys(lt, LIST_KEYS, ctx, "list", skip_required=("legal_basis",))
    bases = b.legal_bases(lt, ctx, "list")
    grounds = _grounds(b, lt, ctx)
    conditions = _conditions(b, lt, ctx)
    domains = frozenset(b.strings(lt, "deciding_domains", ctx, "list"))
    _check_domains(b, domains, ctx)
    kinds = _kinds(b, lt, ctx, "list")
    item = b.text(lt, "catalog_item", ctx, "list")
    if item and item not in b.items:
        b.problem("list.unknown_item", f"catalog_item {item!r} is not a catalog item", ctx, _line(lt))
    if not isinstance(lt.get("code"), str) or not grounds or not domains or not bases:
        if not grounds:
            b.problem("list.no_grounds", "a list type needs its inclusion grounds (纳入情形)", ctx, _line(lt))
        return None
    return ListType(
        code=lt["code"],
        name_zh=b.text(lt, "name_zh", ctx, "list") or "",
        name_en=b.text(lt, "name_en", ctx, "list") or "",
        scope=b.text(lt, "scope", ctx, "list") or "national",
        legal_basis=bases,
        deciding_domains=domains,
        subject_kinds=kinds,
        grounds=MappingProxyType(grounds),
        decision_document_zh=b.text(lt, "decision_document_zh", ctx, "list") or "",
        decision_document_en=b.text(lt, "decision_document_en", ctx, "list") or "",
        removal_conditions=MappingProxyType(conditions),
        removal_working_days=b.whole(lt, "removal_working_days", ctx, "list") or 0,
        excludes_minors=b.flag(lt, "excludes_minors", ctx, "list"),
        notice_required=b.flag(lt, "notice_required", ctx, "list", True),
        defence_working_days=b.whole(lt, "defence_working_days", ctx, "list") or 0,
        extension=_extension(b, lt, ctx),
        early_removal_after=b.duration(lt, "early_removal_after", ctx, "list") or Duration(),
        catalog_item=item,
        file=rel,
    )


def _grounds(b: _Builder, lt: Mapping[str, Any], ctx: _Ctx) -> dict[str, Ground]:
    out: dict[str, Ground] = {}
    for index, entry in enumerate(b.entries(lt.get("grounds"), ctx, "list", "grounds")):
        sub = ctx.sub(ground=index + 1)
        g = b.mapping(entry, sub, "list", "a ground")
        if g is None:
            continue
        b.keys(g, GROUND_KEYS, sub, "list")
        period = b.duration(g, "period", sub, "list")
        open_ended = b.flag(g, "no_fixed_period", sub, "list")
        if (period is None) == (not open_ended):
            b.problem(
                "list.ground_period",
                "a ground needs exactly one of `period` or `no_fixed_period: true`",
                sub,
                _line(g),
            )
        code = str(g.get("code"))
        if code in out:
            b.problem("list.duplicate_ground", f"ground {code!r} appears twice", sub, _line(g))
        out[code] = Ground(
            code,
            b.text(g, "zh", sub, "list") or "",
            b.text(g, "en", sub, "list") or "",
            b.text(g, "article", sub, "list") or "",
            period,
            b.flag(g, "extendable", sub, "list"),
        )
    return out


def _conditions(b: _Builder, lt: Mapping[str, Any], ctx: _Ctx) -> dict[str, RemovalCondition]:
    out: dict[str, RemovalCondition] = {
        PERIOD_ENDED: RemovalCondition(PERIOD_ENDED, "公示期限届满", "Period ended")
    }
    for index, entry in enumerate(b.entries(lt.get("removal_conditions"), ctx, "list", "removal_conditions")):
        sub = ctx.sub(removal_condition=index + 1)
        c = b.mapping(entry, sub, "list", "a removal condition")
        if c is None:
            continue
        b.keys(c, CONDITION_KEYS, sub, "list")
        code = str(c.get("code"))
        out[code] = RemovalCondition(
            code, b.text(c, "zh", sub, "list") or "", b.text(c, "en", sub, "list") or ""
        )
    return out


def _extension(b: _Builder, lt: Mapping[str, Any], ctx: _Ctx) -> Extension | None:
    raw = lt.get("extension")
    if raw is None:
        return None
    sub = ctx.sub(field="extension")
    e = b.mapping(raw, sub, "list", "extension")
    if e is None:
        return None
    b.keys(e, EXTENSION_KEYS, sub, "list")
    low, high = b.duration(e, "min", sub, "list"), b.duration(e, "max", sub, "list")
    if low is None or high is None:
        return None
    if (low.months, low.days) > (high.months, high.days):
        b.problem("list.extension_range", "extension min is longer than max", sub, _line(e))
    return Extension(low, high, b.whole(e, "times", sub, "list") or 1)


def _check_domains(b: _Builder, domains: frozenset[str], ctx: _Ctx) -> None:
    known = {u.domain for u in b.units.values()}
    for domain in sorted(domains - known):
        b.problem(
            "list.unknown_domain",
            f"deciding domain {domain!r} has no unit in units.yaml",
            ctx,
            value=domain,
        )


def _kinds(b: _Builder, data: Mapping[str, Any], ctx: _Ctx, kind: str) -> frozenset[SubjectKind]:
    out: set[SubjectKind] = set()
    for value in b.strings(data, "subject_kinds", ctx, kind):
        try:
            out.add(SubjectKind(value))
        except ValueError:
            b.problem(f"{kind}.invalid_value", f"subject kind {value!r} is unknown", ctx, _line(data))
    return frozenset(out) if "subject_kinds" in data else frozenset(SubjectKind)


def _measure(
    b: _Builder,
    ctx: _Ctx,
    data: Mapping[str, Any],
    list_types: Mapping[str, ListType],
    purposes: Mapping[str, Purpose],
) -> Measure | None:
    bases = b.legal_bases(data, ctx, "measure")
    triggers = frozenset(b.strings(data, "triggered_by", ctx, "measure"))
    wanted = frozenset(b.strings(data, "purposes", ctx, "measure"))
    named = tuple(b.strings(data, "named_persons", ctx, "measure"))
    target = b.text(data, "target", ctx, "measure") or ""
    ok = bool(bases)
    for code in sorted(triggers - set(list_types)):
        b.problem(
            "measure.unknown_list_type", f"triggered_by names unknown list type {code!r}", ctx, _line(data)
        )
        ok = False
    if not triggers:
        b.problem(
            "measure.no_trigger",
            "a measure must name the list types that trigger it: nothing else can switch it on",
            ctx,
            _line(data),
        )
        ok = False
    for code in sorted(wanted - set(purposes)):
        b.problem("measure.unknown_purpose", f"purpose {code!r} is not in measures/purposes.yaml", ctx)
        ok = False
    if target not in TARGETS:
        b.problem("measure.invalid_target", f"target must be one of {', '.join(TARGETS)}", ctx, _line(data))
        ok = False
    for person in named:
        if person not in NAMED_PERSONS:
            b.problem("measure.invalid_person", f"named person {person!r} is not one of {NAMED_PERSONS}", ctx)
            ok = False
    if not ok:
        return None
    return Measure(
        code=str(data["code"]),
        name_zh=b.text(data, "name_zh", ctx, "measure") or "",
        name_en=b.text(data, "name_en", ctx, "measure") or "",
        content_zh=b.text(data, "content_zh", ctx, "measure") or "",
        content_en=b.text(data, "content_en", ctx, "measure") or "",
        target=target,
        legal_basis=bases,
        implementing_units=tuple(b.strings(data, "implementing_units", ctx, "measure")),
        triggered_by=triggers,
        purposes=wanted,
        named_persons=named,
        subject_kinds=_kinds(b, data, ctx, "measure"),
        duration=b.duration(data, "duration", ctx, "measure"),
        file=ctx.file,
    )


def of(catalog: Catalog) -> ListCatalog:
    """The list catalog of a loaded catalog (empty for a catalog directory without lists)."""
    return catalog.lists or EMPTY
