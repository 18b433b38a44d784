"""The synthetic city: determinism, valid identifiers, realistic shares, and mistakes that are all found.

The files are re-read as an ingester would (each in its declared encoding, XLSX through openpyxl)
and every row is checked against the schemas read straight from the YAML, with python-stdnum as
the independent reference for identifiers.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from xinyong.errors import InvalidInput
from xinyong.synth import CityManifest, generate_city

DATA = Path(__file__).resolve().parent.parent / "xinyong" / "catalog" / "data"
AS_OF = date(2026, 11, 27)
SHENZHEN = {"440303", "440304", "440305", "440306", "440307", "440308", "440309", "440310", "440311"}
KINDS = {
    "bad_uscc_check",
    "bad_id_check",
    "missing_required",
    "wrong_enum",
    "future_decision_date",
    "valid_until_before_valid_from",
    "negative_fine",
    "malformed_date",
}


# -- independent references -----------------------------------------------------------------
def _yaml(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


SCHEMAS = {
    "licensing": _yaml("schemas/administrative_licensing.yaml"),
    "penalty": _yaml("schemas/administrative_penalty.yaml"),
}
ENUMS = {
    name: {str(v["code"]): v["zh"] for v in e["values"]} for name, e in _yaml("enums.yaml")["enums"].items()
}


def ric_ok(number: str) -> bool:
    try:
        ric.validate(number)
    except (ValidationError, KeyError):  # stdnum raises a bare KeyError for some unknown counties
        return False
    return True


def org_code_ok(code: str) -> bool:
    values = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    if len(code) != 9 or any(c not in values for c in code[:8]):
        return False
    r = 11 - sum(w * values[c] for w, c in zip((3, 7, 9, 10, 5, 8, 4, 2), code[:8], strict=True)) % 11
    return code[8] == {10: "X", 11: "0"}.get(r, str(r))


def registration_number_ok(number: str) -> bool:
    if len(number) != 15 or not number.isdigit():
        return False
    p = 10
    for c in number:  # ISO 7064 MOD 11,10 over all 15 digits leaves remainder 1
        s = (p + int(c)) % 10 or 10
        p = (2 * s) % 11
    return s == 1


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


# -- reading the files back -----------------------------------------------------------------
def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def read_table(path: Path, entry: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    if entry["format"] == "xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        rows = [[cell_text(v) for v in r] for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    else:
        with path.open(encoding=entry["encoding"], newline="") as fh:
            rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    return header, [r + [""] * (len(header) - len(r)) for r in body]


def to_code(enum: str, value: str) -> str | None:
    values = ENUMS[enum]
    if value in values:
        return value
    return next((c for c, zh in values.items() if zh == value), None)


def enum_codes(field: dict[str, Any], value: str) -> list[str | None]:
    parts = value.split(";") if field.get("multiple") else [value]
    return [to_code(field["enum"], p) for p in parts]


def field_problems(schema: dict[str, Any], rec: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for f in schema["fields"]:
        v, t = rec[f["code"]], f["type"]
        if not v:
            if f.get("required"):
                found.add("missing_required")
            continue
        if t == "uscc" and not uscc.is_valid(v):
            found.add("bad_uscc_check")
        elif t == "id_number" and not ric_ok(v):
            found.add("bad_id_check")
        elif t == "organisation_code" and not org_code_ok(v):
            found.add("bad_organisation_code")
        elif t == "registration_number" and not registration_number_ok(v):
            found.add("bad_registration_number")
        elif t == "enum" and None in enum_codes(f, v):
            found.add("wrong_enum")
        elif t == "date" and parse_date(v) is None:
            found.add("malformed_date")
        elif t == "decimal":
            try:
                if Decimal(v) < 0:
                    found.add("negative_fine")
            except InvalidOperation:
                found.add("bad_decimal")
    return found


def rule_problems(schema: dict[str, Any], rec: dict[str, str]) -> set[str]:
    found: set[str] = set()
    fields = {f["code"]: f for f in schema["fields"]}
    for f in schema["fields"]:
        d = parse_date(rec[f["code"]]) if f["type"] == "date" else None
        if d and f.get("not_future") and d > AS_OF:
            found.add("future_decision_date")
        other = parse_date(rec[f["not_before"]]) if d and f.get("not_before") else None
        if d and other and d < other:
            found.add("valid_until_before_valid_from")
    for cond in schema["conditions"]:
        field = fields[cond["when"]["field"]]
        codes = set(enum_codes(field, rec[field["code"]])) if rec[field["code"]] else set()
        wanted = set(cond["when"].get("in", [])) | set(cond["when"].get("contains", []))
        if codes & wanted and any(not rec[c] for c in cond["require"]):
            found.add("missing_required")
    return found


def problems(schema: dict[str, Any], rec: dict[str, str]) -> set[str]:
    return field_problems(schema, rec) | rule_problems(schema, rec)


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CityManifest, dict[str, Any]]:
    out = tmp_path_factory.mktemp("city")
    manifest = generate_city(out, subjects=3000, records=8000, seed=7, xlsx_rows=250, mistake_rate=0.03)
    return out, manifest, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables(city: tuple[Path, CityManifest, dict[str, Any]]) -> dict[str, tuple[list[str], list[list[str]]]]:
    out, _, data = city
    return {e["name"]: read_table(out / e["name"], e) for e in data["files"] if e["type"] != "subjects"}


@pytest.fixture(scope="module")
def subjects(city: tuple[Path, CityManifest, dict[str, Any]]) -> list[dict[str, str]]:
    with (city[0] / "subjects.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def records(tables: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, int, str, dict[str, str]]]:
    """(file, spreadsheet row, record type, {field code: value}) for every record of every file."""
    out = []
    for e in data["files"]:
        if e["type"] == "subjects":
            continue
        codes = [f["code"] for f in SCHEMAS[e["type"]]["fields"]]
        for i, row in enumerate(tables[e["name"]][1], start=2):
            out.append((e["name"], i, e["type"], dict(zip(codes, row, strict=True))))
    return out


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- tests -----------------------------------------------------------------------------------
def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        generate_city(tmp_path / name, subjects=1500, records=6000, seed=seed)
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[name] != c[name] for name in a if name.endswith((".csv", ".json")))
    assert any(a[name] != c[name] for name in a if name.endswith(".xlsx"))


def test_default_mistake_rate_is_about_half_a_percent(tmp_path: Path) -> None:
    m = generate_city(tmp_path, subjects=2000, records=20000, seed=3)
    assert 0.003 <= len(m.mistakes) / 20000 <= 0.007


def test_files_decode_with_their_declared_encoding_and_headers_match_the_schema(
    city: tuple[Path, CityManifest, dict[str, Any]], tables: dict[str, Any]
) -> None:
    out, _, data = city
    styles = Counter((e["format"], e["encoding"], e["header"]) for e in data["files"])
    assert {
        ("csv", "utf-8", "zh"),
        ("csv", "utf-8-sig", "zh"),
        ("csv", "gb18030", "zh"),
        ("csv", "utf-8", "code"),
        ("xlsx", "", "zh"),
        ("xlsx", "", "code"),
    } <= set(styles)
    for e in data["files"]:
        raw = (out / e["name"]).read_bytes()
        if e["format"] == "csv":
            raw.decode(e["encoding"])  # strict
            assert raw.startswith(b"\xef\xbb\xbf") == (e["encoding"] == "utf-8-sig")
            if e["encoding"] == "gb18030":
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")
        if e["type"] == "subjects":
            continue
        fields = SCHEMAS[e["type"]]["fields"]
        expected = [f["zh"] if e["header"] == "zh" else f["code"] for f in fields]
        header, rows = tables[e["name"]]
        assert header == expected, e["name"]
        assert len(rows) == e["rows"], e["name"]
        assert all(len(r) == len(fields) for r in rows)


def test_every_mistake_is_found_and_nothing_else(
    city: tuple[Path, CityManifest, dict[str, Any]], tables: dict[str, Any]
) -> None:
    _, manifest, data = city
    found = {}
    for name, row, record_type, rec in records(tables, data):
        kinds = problems(SCHEMAS[record_type], rec)
        assert len(kinds) <= 1, (name, row, kinds)
        if kinds:
            found[(name, row)] = kinds.pop()
    declared = {(m["file"], m["row"]): m["kind"] for m in data["mistakes"]["rows"]}
    assert found == declared
    assert set(declared.values()) == KINDS  # every kind occurs at this rate and size
    assert data["mistakes"]["by_kind"] == dict(Counter(declared.values())) | {
        k: 0 for k in KINDS - set(declared.values())
    }
    per_file = Counter(f for f, _ in declared)
    assert all(e["mistakes"] == per_file.get(e["name"], 0) for e in data["files"])
    assert manifest.summary()["mistakes"] == len(declared)


def test_mistakes_are_counted_in_xlsx_and_gb18030_files_too(
    city: tuple[Path, CityManifest, dict[str, Any]],
) -> None:
    data = city[2]
    spoiled = {m["file"] for m in data["mistakes"]["rows"]}
    by_style = {e["name"]: (e["format"], e["encoding"]) for e in data["files"]}
    assert any(by_style[f][0] == "xlsx" for f in spoiled)
    assert any(by_style[f][1] == "gb18030" for f in spoiled)


def test_decision_dates_are_in_range_unless_mistyped(
    city: tuple[Path, CityManifest, dict[str, Any]], tables: dict[str, Any]
) -> None:
    data = city[2]
    future = {(m["file"], m["row"]) for m in data["mistakes"]["rows"] if m["kind"] == "future_decision_date"}
    assert future
    for name, row, record_type, rec in records(tables, data):
        d = parse_date(rec["XK_JDRQ" if record_type == "licensing" else "CF_JDRQ"])
        if d is None:
            continue
        if (name, row) in future:  # a mistyped year: 2032 or later (xinyong.synth.mistakes)
            assert d > AS_OF and d.year > 2031
        else:
            assert date(2019, 1, 1) <= d <= AS_OF


def test_every_fine_has_an_amount_unless_left_out_on_purpose(
    city: tuple[Path, CityManifest, dict[str, Any]], tables: dict[str, Any]
) -> None:
    data = city[2]
    missing = {(m["file"], m["row"]) for m in data["mistakes"]["rows"] if m["field"] == "CF_NR_FK"}
    fines = 0
    for name, row, record_type, rec in records(tables, data):
        if record_type == "penalty" and "03" in enum_codes(SCHEMAS["penalty"]["fields"][17], rec["CF_CFLB"]):
            fines += 1
            assert rec["CF_NR_FK"] or (name, row) in missing
    assert fines > 1000


def test_document_numbers_are_unique_per_file(
    city: tuple[Path, CityManifest, dict[str, Any]], tables: dict[str, Any]
) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for name, _, record_type, rec in records(tables, city[2]):
        number = rec["XK_WSH" if record_type == "licensing" else "CF_WSH"]
        if number:
            seen[(name, number)] += 1
    assert seen and max(seen.values()) == 1


def test_subject_identifiers_are_valid_and_unique(subjects: list[dict[str, str]]) -> None:
    usccs = [s["uscc"] for s in subjects if s["uscc"]]
    ids = [s["id_number"] for s in subjects if s["id_number"]]
    assert all(uscc.is_valid(u) for u in usccs)
    assert all(ric_ok(i) for i in ids)
    assert all(ric_ok(s["legal_representative_id"]) for s in subjects if s["legal_representative_id"])
    assert all(org_code_ok(u[8:17]) for u in usccs)
    assert all(org_code_ok(s["organisation_code"]) for s in subjects if s["organisation_code"])
    assert all(registration_number_ok(s["registration_number"]) for s in subjects if s["registration_number"])
    assert len(set(usccs)) == len(usccs) and len(set(ids)) == len(ids)
    assert any(s["registration_number"] for s in subjects) and any(s["organisation_code"] for s in subjects)


def test_people_are_consistent(subjects: list[dict[str, str]]) -> None:
    people = [s for s in subjects if s["kind"] == "individual"]
    for p in people:
        rid = p["id_number"]
        assert p["birth_date"].replace("-", "") == rid[6:14]
        assert p["sex"] == ("男" if int(rid[16]) % 2 else "女")
        assert p["region_code"] == rid[:6]
    minors = [
        p
        for p in people
        if date.fromisoformat(p["birth_date"]) > date(AS_OF.year - 18, AS_OF.month, AS_OF.day)
    ]
    assert 0 < len(minors) < 0.06 * len(people)
    origins = Counter(p["region_code"][:2] for p in people)
    assert origins["44"] > 0.2 * len(people) and len(origins) >= 8


def test_kind_shares_and_enterprise_names(subjects: list[dict[str, str]]) -> None:
    n = len(subjects)
    kinds = Counter(s["kind"] for s in subjects)
    for kind, share in {
        "enterprise": 0.70,
        "individual": 0.25,
        "public_institution": 0.03,
        "social_organisation": 0.02,
    }.items():
        assert abs(kinds[kind] / n - share) < 0.01, kind
    enterprises = [s for s in subjects if s["kind"] == "enterprise"]
    names = [s["name"] for s in enterprises]
    assert len(set(names)) == len(names)
    assert len({s["name"] for s in subjects if s["kind"] != "individual"}) == n - kinds["individual"]
    shops = [s for s in enterprises if s["category"] == "individual_business"]
    assert abs(len(shops) / len(enterprises) - 0.15) < 0.04
    prefix = {
        "enterprise": "91",
        "individual_business": "92",
        "public_institution": "12",
        "social_group": "51",
        "private_non_enterprise": "52",
        "foundation": "53",
    }
    assert all(s["uscc"][:2] == prefix[s["category"]] for s in subjects if s["kind"] != "individual")
    regions = Counter(s["uscc"][2:8] in SHENZHEN for s in enterprises)
    assert 0.9 < regions[True] / len(enterprises) < 1.0
    assert all(s["legal_representative"] for s in subjects if s["kind"] != "individual")


def test_legal_representatives_are_registered_adults(subjects: list[dict[str, str]]) -> None:
    people = {s["id_number"]: s for s in subjects if s["kind"] == "individual"}
    for s in subjects:
        if s["legal_representative_id"]:
            rep = people[s["legal_representative_id"]]
            assert rep["name"] == s["legal_representative"]
            assert int(rep["birth_date"][:4]) <= int(s["registration_date"][:4]) - 18


def test_records_point_at_registered_subjects(
    city: tuple[Path, CityManifest, dict[str, Any]], tables: dict[str, Any], subjects: list[dict[str, str]]
) -> None:
    known = {s["uscc"] for s in subjects} | {s["id_number"] for s in subjects}
    spoiled = {(m["file"], m["row"]) for m in city[2]["mistakes"]["rows"]}
    for name, row, record_type, rec in records(tables, city[2]):
        p = "XK" if record_type == "licensing" else "CF"
        key = rec[f"{p}_XDR_SHXYM"] or rec[f"{p}_XDR_ZJHM"]
        assert key in known or (name, row) in spoiled


def test_manifest_describes_the_city(city: tuple[Path, CityManifest, dict[str, Any]]) -> None:
    _, manifest, data = city
    summary = manifest.summary()
    assert summary["subjects"] == 3000 and summary["records"] == 8000
    assert summary["records_licensing"] == 4800 and summary["records_penalty"] == 3200
    assert data["seed"] == 7 and data["generator_version"]
    assert (
        sum(e["rows"] for e in data["files"] if e["format"] == "xlsx" and e["type"] == "licensing") <= 3 * 250
    )
    assert {u["code"] for u in data["units"]} >= {"sz_samr", "sz_court", "sz_power"}
    assert all(isinstance(v, int) for v in summary.values())


def test_region_table_agrees_with_stdnum() -> None:
    from xinyong.synth.regions import BirthPlaces

    places = BirthPlaces()
    for group, rows in places._table.items():
        for code, lo, hi, _ in rows:
            first, last = max(lo, 1940), min(hi, 2020)  # people are born 1950-2020
            for year in {first, last, (first + last) // 2} if first <= last else ():
                first17 = f"{code}{year}0101001"
                check = ric.calc_check_digit(first17 + "0")
                assert ric_ok(first17 + check), (group, code, year)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subjects": 0, "records": 1},
        {"subjects": 1, "records": -1},
        {"subjects": 1, "records": 1, "mistake_rate": 2.0},
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        generate_city(tmp_path, seed=1, **kwargs)


def test_a_tiny_city_still_works(tmp_path: Path) -> None:
    m = generate_city(tmp_path, subjects=5, records=50, seed=1)
    assert m.summary()["records"] == 50


def test_progress_reports_each_stage_up_to_its_total(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate_city(tmp_path, subjects=10000, records=300, seed=2, progress=lambda *a: seen.append(a))
    stages = {stage for stage, _, _ in seen}
    assert stages == {"subjects", "records"}
    assert ("subjects", 10000, 10000) in seen and seen[-1] == ("records", 300, 300)
    assert all(0 <= done <= total for _, done, total in seen)
