"""The catalog loads, every item rests on a legal basis, and broken copies are reported precisely."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalog import (
    DATA_DIR,
    Catalog,
    FieldType,
    check_catalog,
    load_catalog,
    normalise_header,
    uscc_is_valid,
)
from xinyong.catalog import loader as catalog_loader
from xinyong.domain.enums import Disclosure, SubjectKind, Tier
from xinyong.errors import InvalidCatalog, Problem

ROOT = Path(__file__).resolve().parents[1]

REQUIRED_ITEMS = {
    "enterprise_registration",
    "public_institution_registration",
    "social_organisation_registration",
    "administrative_licensing",
    "administrative_penalty",
    "market_regulation_penalty",
    "court_dishonest_debtor",
    "court_consumption_restriction",
    "samr_serious_illegal_list",
    "abnormal_operations_list",
    "tax_arrears_announcement",
    "major_tax_violation",
    "integrity_honours",
    "credit_commitment",
    "wage_arrears_list",
    "public_utility_arrears",
    "construction_market_bad_record",
    "environmental_credit_evaluation",
}


# ---------------------------------------------------------------------------------------------
# helpers


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the built-in catalog to break."""
    target = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(root: Path, rel: str, change: Callable[[Any], object]) -> None:
    path = root / rel
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def item_in(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in data["items"] if i["code"] == code)


def field_in(fields: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(f for f in fields if f["code"] == code)


def find(problems: list[Problem], rule: str) -> list[Problem]:
    return [p for p in problems if p.rule == rule]


def only(problems: list[Problem], rule: str) -> Problem:
    found = find(problems, rule)
    assert len(found) == 1, (rule, [str(p) for p in problems])
    return found[0]


# ---------------------------------------------------------------------------------------------
# the built-in catalog


def test_builtin_catalog_loads_without_problems() -> None:
    assert check_catalog() == []
    catalog = load_catalog()
    assert isinstance(catalog, Catalog)
    assert len(catalog.items) >= 14
    assert set(catalog.items) >= REQUIRED_ITEMS
    assert re.fullmatch(r"[0-9a-f]{64}", catalog.version)


def test_builtin_catalog_is_cached() -> None:
    # Loaded and validated once per process (its speed is not a test's business: machines here are noisy).
    assert load_catalog() is load_catalog()
    assert load_catalog(DATA_DIR) is load_catalog()


def test_every_item_has_a_legal_basis_with_instrument_and_article() -> None:
    for item in load_catalog().items.values():
        assert item.legal_basis, item.code
        for basis in item.legal_basis:
            assert basis.instrument.strip() and basis.article.strip(), item.code


def test_items_carry_the_legal_bases_the_law_names() -> None:
    items = load_catalog().items

    def cites(code: str, instrument: str, article: str) -> bool:
        return any(instrument in b.instrument and article in b.article for b in items[code].legal_basis)

    assert cites("administrative_licensing", "行政许可法", "第四十条")
    assert cites("administrative_penalty", "行政处罚法", "第四十八条")
    assert cites("market_regulation_penalty", "总局令第45号", "第十三条")
    assert cites("court_dishonest_debtor", "失信被执行人名单", "第一条")
    assert cites("court_consumption_restriction", "限制被执行人高消费", "第三条")
    assert cites("samr_serious_illegal_list", "总局令第44号", "第二条")
    assert cites("abnormal_operations_list", "企业信息公示暂行条例", "第十七条")
    assert cites("tax_arrears_announcement", "税收征收管理法", "第四十五条")
    assert cites("integrity_honours", "深圳经济特区社会信用条例", "第三十九条")
    assert cites("credit_commitment", "深圳经济特区社会信用条例", "第六十四条")
    assert cites("wage_arrears_list", "保障农民工工资支付条例", "第四十八条")
    assert cites("environmental_credit_evaluation", "环境保护法", "第五十四条")


def test_item_attributes_follow_the_rules() -> None:
    catalog = load_catalog()
    penalty = catalog.item("administrative_penalty")
    assert penalty.schema == "administrative_penalty" and penalty.publicity == "penalty_publicity"
    assert penalty.tier is Tier.GENERAL
    assert catalog.item("market_regulation_penalty").publicity == "samr_penalty_publicity"
    assert catalog.item("court_dishonest_debtor").tier is Tier.SERIOUS
    assert catalog.item("samr_serious_illegal_list").tier is Tier.SERIOUS
    assert catalog.item("abnormal_operations_list").tier is Tier.GENERAL
    honours = catalog.item("integrity_honours")
    assert honours.subject_may_refuse and honours.tier is Tier.POSITIVE
    assert [i.code for i in catalog.items.values() if i.subject_may_refuse] == ["integrity_honours"]
    utilities = catalog.item("public_utility_arrears")
    assert utilities.disclosure is not Disclosure.PUBLIC
    assert SubjectKind.INDIVIDUAL in catalog.item("court_dishonest_debtor").subject_kinds
    assert catalog.item("enterprise_registration").retention.permanent
    assert str(penalty.retention) == "P5Y"
    assert penalty.file == "items/shuang_gongshi.yaml"


def test_item_references_resolve() -> None:
    catalog = load_catalog()
    for item in catalog.items.values():
        assert item.category in catalog.categories
        assert set(item.source_units) <= set(catalog.units)
        assert set(item.tags) <= set(catalog.tags)
        schema = catalog.schema_for(item.code)
        assert schema.subject_name_field in schema.field_codes
        if item.publicity:
            assert catalog.rulesets_of(item.publicity)
    assert len(catalog.categories) == 13
    for unit in catalog.units.values():
        assert uscc_is_valid(unit.uscc), unit.code


def test_inline_and_named_schemas() -> None:
    catalog = load_catalog()
    penalty = catalog.schemas["administrative_penalty"]
    assert not penalty.inline and penalty.field_def("CF_CFLB").multiple
    assert penalty.field_def("CF_NR_FK").type is FieldType.DECIMAL
    court = catalog.schema_for("court_dishonest_debtor")
    assert court.inline and court.code == "court_dishonest_debtor"
    assert court.field_def("conduct").enum == "dishonest_conduct"
    assert [c.rule for c in penalty.conditions if c.mode == "contains"] == [
        "fine_amount_required",
        "confiscation_amount_required",
        "licence_named_for_suspension_or_revocation",
    ]
    fine_rule = next(c for c in penalty.conditions if c.rule == "fine_amount_required")
    assert fine_rule.applies(["01", "03"]) and not fine_rule.applies(["01"]) and not fine_rule.applies(None)


def test_header_map_accepts_chinese_headers_codes_and_aliases() -> None:
    catalog = load_catalog()
    penalty = catalog.schemas["administrative_penalty"]
    for header in ("行政处罚决定书文号", "CF_WSH", "cf_wsh", " 行政处罚决定书文号 "):
        field = penalty.field_for_header(header)
        assert field is not None and field.code == "CF_WSH", header
    full_width = penalty.field_for_header("行政相对人代码_1（统一社会信用代码）")
    assert full_width is not None and full_width.code == "CF_XDR_SHXYM"
    assert penalty.field_for_header("no such column") is None
    for f in penalty.fields:  # every field is reachable by its Chinese header and its code, as written too
        assert penalty.header_map[f.zh] == f.code and penalty.header_map[f.code] == f.code
        assert penalty.header_map[normalise_header(f.zh)] == f.code
        assert penalty.header_map[normalise_header(f.code)] == f.code
    court = catalog.schema_for("court_dishonest_debtor")
    alias = court.field_for_header("caseCode")
    assert alias is not None and alias.code == "case_number"


def test_catalog_lookups() -> None:
    catalog = load_catalog()
    with pytest.raises(KeyError):
        catalog.item("no_such_item")
    assert catalog.unit_by_uscc(catalog.units["sz_samr"].uscc) == catalog.units["sz_samr"]
    assert catalog.unit_by_uscc("91350100M000100Y43") is None
    assert {"penalty_publicity", "samr_penalty_publicity", "list_period"} <= catalog.families


# ---------------------------------------------------------------------------------------------
# broken copies: each problem names its file and entry


def test_copy_of_the_catalog_has_the_same_version(copy: Path) -> None:
    assert load_catalog(copy).version == load_catalog().version


def test_missing_legal_basis(copy: Path) -> None:
    edit(copy, "items/shuang_gongshi.yaml", lambda d: item_in(d, "administrative_penalty").pop("legal_basis"))
    problem = only(check_catalog(copy), "item.legal_basis_missing")
    assert problem.where["file"] == "items/shuang_gongshi.yaml"
    assert problem.where["entry"] == "administrative_penalty"
    assert problem.message_zh


def test_empty_legal_basis(copy: Path) -> None:
    edit(copy, "items/court.yaml", lambda d: item_in(d, "court_dishonest_debtor").update(legal_basis=[]))
    problem = only(check_catalog(copy), "item.legal_basis_missing")
    assert (problem.where["file"], problem.where["entry"]) == ("items/court.yaml", "court_dishonest_debtor")


def test_duplicate_item_code(copy: Path) -> None:
    honours = item_in(
        yaml.safe_load((copy / "items/positive.yaml").read_text(encoding="utf-8")), "integrity_honours"
    )
    edit(copy, "items/tax.yaml", lambda d: d["items"].append(honours))  # files are read in name order
    problem = only(check_catalog(copy), "item.duplicate_code")
    assert problem.where["file"] == "items/tax.yaml"
    assert problem.where["entry"] == "integrity_honours"
    assert "items/positive.yaml" in problem.message


def test_unknown_field_type_in_a_named_schema(copy: Path) -> None:
    edit(
        copy,
        "schemas/administrative_penalty.yaml",
        lambda d: field_in(d["fields"], "CF_WSH").update(type="strnig"),
    )
    problems = check_catalog(copy)
    problem = only(problems, "field.unknown_type")
    # CF_WSH is also the document_number_field: no follow-on "unknown field" noise.
    assert len(problems) == 1, [str(p) for p in problems]
    assert problem.where["file"] == "schemas/administrative_penalty.yaml"
    assert problem.where["entry"] == "CF_WSH"
    assert problem.where["schema"] == "administrative_penalty"
    assert "'string'" in problem.message  # suggests the intended type


def test_unknown_field_type_in_an_inline_schema(copy: Path) -> None:
    def change(data: Any) -> None:
        field_in(item_in(data, "court_dishonest_debtor")["schema"]["fields"], "age").update(type="number")

    edit(copy, "items/court.yaml", change)
    problem = only(check_catalog(copy), "field.unknown_type")
    assert problem.where == {
        "file": "items/court.yaml",
        "entry": "age",
        "schema": "court_dishonest_debtor",
        "line": problem.where["line"],
    }


def test_overlapping_rule_sets(copy: Path) -> None:
    def change(data: Any) -> None:
        next(r for r in data["rulesets"] if r["code"] == "ndrc_order_58_practice")["valid_to"] = "2026-06-30"

    edit(copy, "rulesets/penalty_publicity.yaml", change)
    problem = only(check_catalog(copy), "ruleset.overlapping_dates")
    assert problem.where["file"] == "rulesets/penalty_publicity.yaml"
    assert problem.where["entry"] == "ndrc_order_36"
    assert problem.where["other"] == "ndrc_order_58_practice"
    assert problem.where["family"] == "penalty_publicity"


def test_open_ended_rule_set_overlaps_a_later_one(copy: Path) -> None:
    def change(data: Any) -> None:
        extra = dict(data["rulesets"][0], code="samr_future", valid_from="2030-01-01")
        data["rulesets"].append(extra)

    edit(copy, "rulesets/samr_penalty_publicity.yaml", change)
    problem = only(check_catalog(copy), "ruleset.overlapping_dates")
    assert (problem.where["entry"], problem.where["other"]) == ("samr_future", "samr_order_45")


def test_adjacent_rule_sets_do_not_overlap(copy: Path) -> None:
    # 2026-03-31 / 2026-04-01 are adjacent in the built-in data; one day later they overlap.
    assert check_catalog(copy) == []


def test_unknown_item_key_is_not_ignored(copy: Path) -> None:
    edit(copy, "items/tax.yaml", lambda d: item_in(d, "major_tax_violation").update(publicty="list_period"))
    problem = only(check_catalog(copy), "item.unknown_key")
    assert (problem.where["file"], problem.where["entry"], problem.where["key"]) == (
        "items/tax.yaml",
        "major_tax_violation",
        "publicty",
    )
    assert "did you mean 'publicity'" in problem.message


def test_problem_lines_point_at_the_entry(copy: Path) -> None:
    path = copy / "items/tax.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  - code: major_tax_violation\n", "  - code: major_tax_violation\n    colour: red\n"),
        encoding="utf-8",
    )
    problem = only(check_catalog(copy), "item.unknown_key")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[problem.where["line"] - 1] == "  - code: major_tax_violation"


def test_broken_yaml_reports_the_line(copy: Path) -> None:
    path = copy / "items/tax.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = next(i for i, line in enumerate(lines) if line.strip().startswith("name_en:"))
    lines[bad] = "    name_en: [unclosed"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only(check_catalog(copy), "yaml.syntax")
    assert problem.where["file"] == "items/tax.yaml"
    assert problem.where["entry"] is None
    assert isinstance(problem.where["line"], int) and problem.where["line"] >= bad + 1


def test_duplicate_yaml_key(copy: Path) -> None:
    path = copy / "items/environment.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    tier: neutral\n", "    tier: neutral\n    tier: serious\n"), encoding="utf-8"
    )
    problem = only(check_catalog(copy), "yaml.duplicate_key")
    assert problem.where["file"] == "items/environment.yaml" and problem.value == "tier"


def test_several_problems_are_reported_at_once(copy: Path) -> None:
    edit(copy, "items/shuang_gongshi.yaml", lambda d: item_in(d, "administrative_penalty").pop("legal_basis"))
    edit(
        copy,
        "schemas/administrative_penalty.yaml",
        lambda d: field_in(d["fields"], "CF_WSH").update(type="strnig"),
    )
    edit(copy, "items/labour.yaml", lambda d: item_in(d, "wage_arrears_list").update(colour="red"))
    edit(copy, "rulesets/penalty_publicity.yaml", lambda d: d["rulesets"][1].update(valid_to="2026-12-31"))
    (copy / "items/tax.yaml").write_text("items:\n  - code: x\n   bad indent: 1\n", encoding="utf-8")
    edit(
        copy,
        "items/environment.yaml",
        lambda d: item_in(d, "environmental_credit_evaluation").update(
            category="evaluations", source_units=["sz_environment", "sz_nowhere"], tags=["enviroment"]
        ),
    )

    with pytest.raises(InvalidCatalog) as caught:
        load_catalog(copy)
    problems = caught.value.problems
    places = {(p.rule, p.where["file"], p.where["entry"]) for p in problems}
    assert {
        ("item.legal_basis_missing", "items/shuang_gongshi.yaml", "administrative_penalty"),
        ("field.unknown_type", "schemas/administrative_penalty.yaml", "CF_WSH"),
        ("item.unknown_key", "items/labour.yaml", "wage_arrears_list"),
        ("ruleset.overlapping_dates", "rulesets/penalty_publicity.yaml", "ndrc_order_36"),
        ("yaml.syntax", "items/tax.yaml", None),
        ("item.unknown_category", "items/environment.yaml", "environmental_credit_evaluation"),
        ("item.unknown_source_unit", "items/environment.yaml", "environmental_credit_evaluation"),
        ("item.unknown_tag", "items/environment.yaml", "environmental_credit_evaluation"),
    } <= places
    # An item whose schema is broken is itself reported (unknown schema would be wrong), and the
    # error renders in the platform's one error shape.
    assert not find(problems, "item.unknown_schema")
    rendered = caught.value.as_dict()
    assert rendered["code"] == "invalid_catalog" and len(rendered["problems"]) == len(problems)
    assert caught.value.status == 422


Mutation = Callable[[Path], object]


def _set_item(rel: str, code: str, **values: Any) -> Mutation:
    return lambda root: edit(root, rel, lambda d: item_in(d, code).update(values))


def _set_ruleset(index: int, **values: Any) -> Mutation:
    return lambda root: edit(
        root, "rulesets/penalty_publicity.yaml", lambda d: d["rulesets"][index].update(values)
    )


def _set_field(code: str, **values: Any) -> Mutation:
    return lambda root: edit(
        root, "schemas/administrative_penalty.yaml", lambda d: field_in(d["fields"], code).update(values)
    )


CASES: list[tuple[str, Mutation, str, str | None]] = [
    (
        "item.unknown_category",
        _set_item("items/tax.yaml", "major_tax_violation", category="blacklist"),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.unknown_source_unit",
        _set_item("items/tax.yaml", "major_tax_violation", source_units=["sz_taxes"]),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.unknown_schema",
        _set_item("items/shuang_gongshi.yaml", "administrative_penalty", schema="penalty"),
        "items/shuang_gongshi.yaml",
        "administrative_penalty",
    ),
    (
        "item.unknown_tier",
        _set_item("items/tax.yaml", "major_tax_violation", tier="grave"),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.unknown_update_frequency",
        _set_item("items/tax.yaml", "major_tax_violation", update_frequency="hourly"),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.invalid_retention",
        _set_item("items/tax.yaml", "major_tax_violation", retention="5 years"),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.unknown_publicity",
        _set_item("items/tax.yaml", "major_tax_violation", publicity="tax_publicity"),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.unknown_subject_kind",
        _set_item("items/tax.yaml", "major_tax_violation", subject_kinds=["company"]),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.honours_must_be_refusable",
        _set_item("items/positive.yaml", "integrity_honours", subject_may_refuse=False),
        "items/positive.yaml",
        "integrity_honours",
    ),
    (
        "item.refusal_requires_positive",
        _set_item("items/tax.yaml", "major_tax_violation", subject_may_refuse=True),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.publicity_requires_negative_tier",
        _set_item("items/environment.yaml", "environmental_credit_evaluation", publicity="list_period"),
        "items/environment.yaml",
        "environmental_credit_evaluation",
    ),
    (
        "item.publicity_tier_missing",
        _set_item("items/tax.yaml", "major_tax_violation", tier="minor", tags=["tax"]),
        "items/tax.yaml",
        "major_tax_violation",
    ),
    (
        "item.local_basis_missing",
        lambda root: edit(
            root,
            "items/utilities.yaml",
            lambda d: [b.update(level="policy") for b in item_in(d, "public_utility_arrears")["legal_basis"]],
        ),
        "items/utilities.yaml",
        "public_utility_arrears",
    ),
    (
        "schema.unknown_enum",
        _set_field("CF_CFLB", enum="penalty_categories"),
        "schemas/administrative_penalty.yaml",
        "CF_CFLB",
    ),
    (
        "field.enum_missing",
        _set_field("CF_XDR_LB", enum=None),
        "schemas/administrative_penalty.yaml",
        "CF_XDR_LB",
    ),
    (
        "field.unknown_reference",
        _set_field("CF_YXQ", not_before="CF_DATE"),
        "schemas/administrative_penalty.yaml",
        "CF_YXQ",
    ),
    (
        "field.unknown_key",
        _set_field("CF_WSH", maxlength=64),
        "schemas/administrative_penalty.yaml",
        "CF_WSH",
    ),
    (
        "schema.unknown_field",
        lambda root: edit(
            root, "schemas/administrative_penalty.yaml", lambda d: d.update(decision_date_field="CF_DATE")
        ),
        "schemas/administrative_penalty.yaml",
        "administrative_penalty",
    ),
    (
        "schema.condition_unknown_value",
        lambda root: edit(
            root,
            "schemas/administrative_penalty.yaml",
            lambda d: d["conditions"][0]["when"].update({"in": ["9"]}),
        ),
        "schemas/administrative_penalty.yaml",
        "administrative_penalty",
    ),
    (
        "ruleset.legal_basis_missing",
        _set_ruleset(2, legal_basis=[]),
        "rulesets/penalty_publicity.yaml",
        "ndrc_order_36",
    ),
    (
        "ruleset.unknown_tier",
        lambda root: edit(
            root,
            "rulesets/penalty_publicity.yaml",
            lambda d: d["rulesets"][2]["tiers"].update(grave={"min_period": "P1Y"}),
        ),
        "rulesets/penalty_publicity.yaml",
        "ndrc_order_36",
    ),
    (
        "ruleset.min_exceeds_max",
        lambda root: edit(
            root,
            "rulesets/penalty_publicity.yaml",
            lambda d: d["rulesets"][2]["tiers"]["general"].update(min_period="P2Y"),
        ),
        "rulesets/penalty_publicity.yaml",
        "ndrc_order_36",
    ),
    (
        "ruleset.invalid_duration",
        lambda root: edit(
            root,
            "rulesets/penalty_publicity.yaml",
            lambda d: d["rulesets"][2]["tiers"]["general"].update(max_period="1 year"),
        ),
        "rulesets/penalty_publicity.yaml",
        "ndrc_order_36",
    ),
    (
        "ruleset.unknown_tag",
        lambda root: edit(
            root,
            "rulesets/penalty_publicity.yaml",
            lambda d: d["rulesets"][1]["overrides"][0].update(tags=["special_equipments"]),
        ),
        "rulesets/penalty_publicity.yaml",
        "ndrc_order_58_practice",
    ),
    (
        "ruleset.unknown_penalty_category",
        _set_ruleset(2, unpublished_if_only=["1"]),
        "rulesets/penalty_publicity.yaml",
        "ndrc_order_36",
    ),
    (
        "ruleset.invalid_dates",
        _set_ruleset(0, valid_to="2018-01-01"),
        "rulesets/penalty_publicity.yaml",
        "ndrc_2019_527",
    ),
    (
        "unit.invalid_uscc",
        lambda root: edit(root, "units.yaml", lambda d: d["units"][0].update(uscc="91110108717809965C")),
        "units.yaml",
        "sz_samr",
    ),
    (
        "enum.invalid_value",
        lambda root: edit(
            root, "enums.yaml", lambda d: d["enums"]["licence_category"]["values"][0].update(code=1)
        ),
        "enums.yaml",
        "licence_category",
    ),
    ("catalog.missing_file", lambda root: (root / "tags.yaml").unlink(), "tags.yaml", None),
    (
        "catalog.unexpected_file",
        lambda root: (root / "items" / "extra.yml").write_text("items: []\n"),
        "items/extra.yml",
        None,
    ),
]


@pytest.mark.parametrize(("rule", "mutate", "file", "entry"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_names_file_and_entry(
    copy: Path, rule: str, mutate: Mutation, file: str, entry: str | None
) -> None:
    mutate(copy)
    problems = check_catalog(copy)
    matching = [p for p in find(problems, rule) if p.where["file"] == file and p.where["entry"] == entry]
    assert matching, [str(p) for p in problems]
    with pytest.raises(InvalidCatalog):
        load_catalog(copy)


def test_check_catalog_never_raises(tmp_path: Path) -> None:
    problems = check_catalog(tmp_path / "nowhere")
    assert [p.rule for p in problems] == ["catalog.not_a_directory"]
    empty = tmp_path / "empty"
    empty.mkdir()
    rules = {p.rule for p in check_catalog(empty)}
    assert {"catalog.missing_file", "catalog.no_items"} <= rules


# ---------------------------------------------------------------------------------------------
# version


def test_version_changes_when_a_value_changes(copy: Path) -> None:
    before = load_catalog(copy).version
    edit(
        copy,
        "items/tax.yaml",
        lambda d: item_in(d, "tax_arrears_announcement").update(update_frequency="monthly"),
    )
    after = load_catalog(copy).version
    assert before != after
    assert load_catalog(copy).version == after  # deterministic


def test_version_ignores_comments_and_layout(copy: Path) -> None:
    before = load_catalog(copy).version
    path = copy / "items/tax.yaml"
    path.write_text("# a new comment\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_catalog(copy).version == before


def test_version_changes_when_a_file_is_added(copy: Path) -> None:
    before = load_catalog(copy).version
    (copy / "items" / "more.yaml").write_text(
        (copy / "items" / "environment.yaml")
        .read_text(encoding="utf-8")
        .replace("environmental_credit_evaluation", "environmental_credit_evaluation_2"),
        encoding="utf-8",
    )
    assert load_catalog(copy).version != before


# ---------------------------------------------------------------------------------------------
# docs


def test_every_catalog_key_is_documented() -> None:
    text = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    specs = {name: getattr(catalog_loader, name) for name in catalog_loader.__all__ if name.endswith("_KEYS")}
    assert "ITEM_KEYS" in specs and len(specs) >= 10
    missing = sorted(
        {f"{name}:{key}" for name, spec in specs.items() for key in spec if f"`{key}`" not in text}
    )
    assert missing == []


def test_every_problem_rule_in_the_loader_is_documented() -> None:
    text = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    source = Path(catalog_loader.__file__).read_text(encoding="utf-8")
    rules = set(re.findall(r'"((?:item|schema|field|ruleset|yaml|catalog|unit|enum)\.[a-z_]+)"', source))
    assert len(rules) > 20
    assert sorted(r for r in rules if f"`{r}`" not in text) == []
