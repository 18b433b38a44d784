"""Identifiers: real and mock test vectors, agreement with python-stdnum, properties, masking."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_11_10

from xinyong import ids
from xinyong.domain.enums import SubjectKind
from xinyong.errors import InvalidIdentifier

TODAY = date(2026, 3, 1)  # fixed "today" wherever the birth-date bound matters

REAL_USCC = [
    "914403001922038216",
    "91440300708461136T",
    "91330100799655058B",
    "91110108551385082Q",
    "91320105780688132K",
    "9135010026017703XW",
    "91230500MA1B3N1N2M",
]
MOCK_USCC = {
    "91110108717809965C": ("uscc.check_char", "J"),
    "91110000800088421P": ("uscc.check_char", "W"),
    "9133010057462616XH": ("uscc.check_char", "9"),
}
REAL_RIC = ["11010519491231002X", "440524188001010014", "440524188001015368", "53010219200508011X"]
MOCK_RIC = {"110105194912310021": "ric.check_char"}

PARSERS: list[Callable[[str], object]] = [
    ids.parse_uscc,
    ids.parse_resident_id,
    ids.parse_organisation_code,
    ids.parse_registration_number,
    ids.organisation_code_from_uscc,
    ids.convert_first_generation_id,
]


def rule_of(fn: object, s: object) -> str:
    with pytest.raises(InvalidIdentifier) as exc_info:
        fn(s)  # type: ignore[operator]
    err = exc_info.value
    assert len(err.problems) == 1
    assert err.problems[0].rule == err.rule
    assert err.message and err.message_zh and err.problems[0].message_zh
    assert err.rule is not None
    return err.rule


def with_uscc_check(first17: str) -> str:
    return first17 + ids.uscc_check_char(first17)


def with_ric_check(first17: str) -> str:
    return first17 + ids.resident_id_check_char(first17)


# ---------------------------------------------------------------------------------------------------
# Test vectors (credit-rules.md §7.1, §7.2)
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_uscc_accepted(code: str) -> None:
    u = ids.parse_uscc(code)
    assert u.code == code
    assert ids.is_valid_uscc(code)
    assert stdnum_uscc.is_valid(code)
    assert u.type_code == "91" and u.authority_code == "9"
    assert u.subject_kind is SubjectKind.ENTERPRISE and not u.is_individual_business
    assert u.region == code[2:8]
    assert u.org_code == f"{code[8:16]}-{code[16]}"
    assert ids.organisation_code_from_uscc(code) == u.org_code
    assert ids.parse_organisation_code(u.org_code).code == u.org_code
    assert ids.check(code).valid and ids.check(code).kind is ids.IdentifierKind.USCC


@pytest.mark.parametrize(("code", "expected"), MOCK_USCC.items())
def test_mock_uscc_rejected(code: str, expected: tuple[str, str]) -> None:
    rule, check_char = expected
    assert rule_of(ids.parse_uscc, code) == rule
    assert ids.uscc_check_char(code[:17]) == check_char
    assert stdnum_uscc.calc_check_digit(code[:17]) == check_char
    assert not ids.is_valid_uscc(code)
    result = ids.check(code)
    assert (result.kind, result.valid, result.rule) == (ids.IdentifierKind.USCC, False, rule)
    assert f"'{check_char}'" in result.message


def test_mock_uscc_with_both_checks_wrong() -> None:
    # 9133010057462616XH: the overall check char is tested first, but the org code is wrong too.
    assert ids.org_code_check_char("57462616") != "X"
    fixed = with_uscc_check("9133010057462616X")
    assert rule_of(ids.parse_uscc, fixed) == "uscc.org_code_check"
    assert stdnum_uscc.is_valid(fixed)  # stdnum does not look at the embedded organisation code


@pytest.mark.parametrize("code", REAL_RIC)
def test_real_resident_ids_accepted(code: str) -> None:
    r = ids.parse_resident_id(code)
    assert r.code == code
    assert ids.is_valid_resident_id(code)
    assert ids.is_valid_resident_id(code.lower())
    assert ids.parse_resident_id(code.lower()) == r
    assert ids.check(code).valid and ids.check(code).kind is ids.IdentifierKind.RESIDENT_ID


def test_resident_id_fields() -> None:
    r = ids.parse_resident_id("11010519491231002x")
    assert r.code == "11010519491231002X"
    assert (r.region_code, r.province_code, r.province) == ("110105", "11", "北京市")
    assert r.birth_date == date(1949, 12, 31)
    assert r.sex == "F"
    assert r.age_on(date(2026, 1, 1)) == 76
    assert r.age_on(date(2025, 12, 30)) == 75
    assert r.age_on(date(2025, 12, 31)) == 76
    assert r.masked == "1101051949****002X"
    m = ids.parse_resident_id("440524188001010014")
    assert m.sex == "M" and m.birth_date == date(1880, 1, 1) and m.province == "广东省"
    leap = ids.parse_resident_id(with_ric_check("11010520000229001"))
    assert leap.age_on(date(2001, 2, 28)) == 0 and leap.age_on(date(2001, 3, 1)) == 1


@pytest.mark.parametrize(("code", "rule"), MOCK_RIC.items())
def test_mock_resident_id_rejected(code: str, rule: str) -> None:
    assert rule_of(ids.parse_resident_id, code) == rule
    assert ids.resident_id_check_char(code[:17]) == "X"
    assert not ids.is_valid_resident_id(code)


def test_stdnum_keyerror_quirk_does_not_crash() -> None:
    code = "620201195505312743"
    with pytest.raises(KeyError):  # documents why we do not lean on stdnum.cn.ric.validate
        stdnum_ric.validate(code)
    r = ids.parse_resident_id(code)
    assert r.province == "甘肃省" and r.birth_date == date(1955, 5, 31) and r.sex == "F"
    assert ids.is_valid_resident_id(code)
    assert ids.check(code).valid


# ---------------------------------------------------------------------------------------------------
# Every rule, by name
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("", "uscc.length"),
        ("91440300192203821", "uscc.length"),
        ("9144030019220382166", "uscc.length"),
        ("91440300I92203821X", "uscc.charset"),
        ("9144030019220382O6", "uscc.charset"),
        ("9144030019220382\x006", "uscc.charset"),
        (with_uscc_check("91440A00192203821"), "uscc.region"),
        ("914403001922038217", "uscc.check_char"),
        (with_uscc_check("91440300192203822"), "uscc.org_code_check"),
        (12345, "uscc.type"),
        (None, "uscc.type"),
    ],
)
def test_uscc_rules(code: str, rule: str) -> None:
    assert rule_of(ids.parse_uscc, code) == rule
    assert not ids.is_valid_uscc(code)


def test_uscc_charset_message_hints_confusables() -> None:
    with pytest.raises(InvalidIdentifier) as exc_info:
        ids.parse_uscc("91440300I92203821X")
    assert "'1'" in exc_info.value.message
    assert exc_info.value.problems[0].where == {"position": 9}


def test_uscc_normalisation() -> None:
    assert ids.parse_uscc("  91230500ma1b3n1n2m\n").code == "91230500MA1B3N1N2M"
    assert ids.parse_uscc("９１２３０５００ＭＡ１Ｂ３Ｎ１Ｎ２Ｍ\u3000").code == "91230500MA1B3N1N2M"
    assert ids.is_valid_uscc("９１２３０５００ｍａ１ｂ３ｎ１ｎ２ｍ")
    # inner whitespace is not removed
    assert rule_of(ids.parse_uscc, "91230500 MA1B3N1N2M") == "uscc.length"


@pytest.mark.parametrize(
    ("type_code", "kind", "individual"),
    [
        ("91", SubjectKind.ENTERPRISE, False),
        ("92", SubjectKind.ENTERPRISE, True),
        ("93", SubjectKind.ENTERPRISE, False),
        ("51", SubjectKind.SOCIAL_ORGANISATION, False),
        ("52", SubjectKind.SOCIAL_ORGANISATION, False),
        ("53", SubjectKind.SOCIAL_ORGANISATION, False),
        ("11", SubjectKind.PUBLIC_INSTITUTION, False),
        ("12", SubjectKind.PUBLIC_INSTITUTION, False),
        ("31", None, False),
        ("81", None, False),
        ("A1", None, False),
        ("N2", None, False),
        ("Y1", None, False),
    ],
)
def test_uscc_subject_kind(type_code: str, kind: SubjectKind | None, individual: bool) -> None:
    code = with_uscc_check(type_code + "440300192203821")
    u = ids.parse_uscc(code)
    assert u.subject_kind == kind
    assert u.is_individual_business is individual
    assert u.authority_zh


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("", "ric.length"),
        ("1101051949123100", "ric.length"),
        ("11010519491231002XX", "ric.length"),
        ("110105491231002", "ric.first_generation"),
        ("11010549123100X", "ric.length"),
        ("1101051949123100Y2", "ric.format"),
        ("11010519491231002Y", "ric.format"),
        ("１１０１０５１９４９１２３１００２Ａ", "ric.format"),
        ("11010519491231\x0002X", "ric.format"),
        ("11010519491231٠٠2X", "ric.format"),  # Arabic-Indic digits are not digits here
        (with_ric_check("00010519491231002"), "ric.region"),
        (with_ric_check("91010519491231002"), "ric.region"),
        (with_ric_check("11010519490230002"), "ric.birth_date"),
        (with_ric_check("11010519491301002"), "ric.birth_date"),
        (with_ric_check("11010519490100002"), "ric.birth_date"),
        (with_ric_check("11010519000229002"), "ric.birth_date"),
        (with_ric_check("11010518791231002"), "ric.birth_date"),
        (with_ric_check("11010526000101002"), "ric.future_birth_date"),
        ("110105194912310021", "ric.check_char"),
        (b"11010519491231002X", "ric.type"),
    ],
)
def test_resident_id_rules(code: str, rule: str) -> None:
    assert rule_of(ids.parse_resident_id, code) == rule
    assert not ids.is_valid_resident_id(code)


def test_first_generation_message_and_conversion() -> None:
    with pytest.raises(InvalidIdentifier) as exc_info:
        ids.parse_resident_id("110105491231002")
    assert "18" in exc_info.value.message and "18" in exc_info.value.message_zh
    converted = ids.convert_first_generation_id("110105491231002")
    assert converted == "11010519491231002X"
    assert ids.is_valid_resident_id(converted)
    assert rule_of(ids.convert_first_generation_id, "11010549123100") == "ric.format"


def test_future_birth_date_relative_to_today() -> None:
    tomorrow = date.today() + timedelta(days=2)  # margin for the UTC+8 day boundary
    code = with_ric_check("110105" + tomorrow.strftime("%Y%m%d") + "001")
    assert rule_of(ids.parse_resident_id, code) == "ric.future_birth_date"
    assert not ids.is_valid_resident_id(code)
    day = date(2020, 6, 1)
    code = with_ric_check("11010520200601001")
    assert ids.is_valid_resident_id(code, today=day) and ids.parse_resident_id(code, today=day)
    assert not ids.is_valid_resident_id(code, today=day - timedelta(days=1))
    with pytest.raises(InvalidIdentifier):
        ids.parse_resident_id(code, today=day - timedelta(days=1))


def test_residence_permit_numbers() -> None:
    for prefix in ("810000", "820000", "830000"):
        r = ids.parse_resident_id(with_ric_check(prefix + "19900101001"))
        assert r.is_residence_permit
    assert not ids.parse_resident_id(REAL_RIC[0]).is_residence_permit


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("1922038", "org_code.length"),
        ("19220382-12", "org_code.length"),
        ("1922-03821", "org_code.format"),
        ("1922038-21", "org_code.format"),
        ("1922038*1", "org_code.charset"),
        ("19220382A", "org_code.charset"),
        ("192203822", "org_code.check_char"),
        ("19220382-2", "org_code.check_char"),
        ([], "org_code.type"),
    ],
)
def test_organisation_code_rules(code: str, rule: str) -> None:
    assert rule_of(ids.parse_organisation_code, code) == rule


def test_organisation_code_forms() -> None:
    for form in ("19220382-1", "192203821", " 19220382－1 ", "１９２２０３８２－１", "19220382—1"):
        o = ids.parse_organisation_code(form)
        assert (o.code, o.body, o.check_char, o.compact) == ("19220382-1", "19220382", "1", "192203821")
    assert ids.parse_organisation_code("MA1B3N1N2").code == "MA1B3N1N-2"
    assert ids.is_valid_organisation_code("70846113-6")
    assert not ids.is_valid_organisation_code("70846113-5")


def test_organisation_code_check_char_by_formula() -> None:
    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for _ in range(2000):
        body = "".join(rng.choice(alphabet) for _ in range(8))
        total = sum(alphabet.index(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
        c = 11 - total % 11
        expected = {10: "X", 11: "0"}.get(c, str(c))
        assert ids.org_code_check_char(body) == expected


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("11010800000001", "regno.length"),
        ("1101080000000166", "regno.length"),
        ("11010800000001X", "regno.format"),
        ("110108000000017", "regno.check_char"),
    ],
)
def test_registration_number_rules(code: str, rule: str) -> None:
    assert rule_of(ids.parse_registration_number, code) == rule
    assert not ids.is_valid_registration_number(code)


def test_registration_number_matches_iso7064_mod_11_10() -> None:
    rng = random.Random(11)
    for _ in range(5000):
        first14 = "".join(rng.choice("0123456789") for _ in range(14))
        assert ids.registration_number_check_digit(first14) == mod_11_10.calc_check_digit(first14)
        code = first14 + ids.registration_number_check_digit(first14)
        assert mod_11_10.is_valid(code)
        r = ids.parse_registration_number(code)
        assert r.code == code and r.region == code[:6]


def test_check_char_functions_reject_bad_input_with_invalid_identifier() -> None:
    assert rule_of(ids.uscc_check_char, "9144") == "uscc.length"
    assert rule_of(ids.uscc_check_char, "9144030019220382O") == "uscc.charset"
    assert rule_of(ids.org_code_check_char, "1922") == "org_code.length"
    assert rule_of(ids.org_code_check_char, "1922038-") == "org_code.charset"
    assert rule_of(ids.resident_id_check_char, "1101") == "ric.length"
    assert rule_of(ids.resident_id_check_char, "1101051949123100A") == "ric.format"
    assert rule_of(ids.registration_number_check_digit, "1101") == "regno.length"
    assert rule_of(ids.registration_number_check_digit, "1101080000000A") == "regno.format"


# ---------------------------------------------------------------------------------------------------
# classify / check
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "valid", "rule"),
    [
        ("914403001922038216", ids.IdentifierKind.USCC, True, None),
        ("91440300192203821O", ids.IdentifierKind.USCC, False, "uscc.charset"),
        ("914403001922038217", ids.IdentifierKind.USCC, False, "uscc.check_char"),
        ("121000004000012345", ids.IdentifierKind.USCC, False, "uscc.check_char"),
        ("11010519491231002X", ids.IdentifierKind.RESIDENT_ID, True, None),
        ("11010519491231002x", ids.IdentifierKind.RESIDENT_ID, True, None),
        ("110105194912310021", ids.IdentifierKind.RESIDENT_ID, False, "ric.check_char"),
        ("110105491231002", ids.IdentifierKind.RESIDENT_ID, False, "ric.first_generation"),
        ("19220382-1", ids.IdentifierKind.ORGANISATION_CODE, True, None),
        ("192203821", ids.IdentifierKind.ORGANISATION_CODE, True, None),
        ("192203822", ids.IdentifierKind.ORGANISATION_CODE, False, "org_code.check_char"),
        ("110108000000016", ids.IdentifierKind.REGISTRATION_NUMBER, True, None),
        ("110108000000017", ids.IdentifierKind.REGISTRATION_NUMBER, False, "regno.check_char"),
        ("", ids.IdentifierKind.UNKNOWN, False, "unknown.shape"),
        ("hello", ids.IdentifierKind.UNKNOWN, False, "unknown.shape"),
        ("1" * 1000, ids.IdentifierKind.UNKNOWN, False, "unknown.shape"),
    ],
)
def test_check(code: str, kind: ids.IdentifierKind, valid: bool, rule: str | None) -> None:
    assert ids.classify(code) is kind
    result = ids.check(code, today=TODAY)
    assert (result.kind, result.valid, result.rule) == (kind, valid, rule)
    assert result.message and result.message_zh


def test_check_non_text() -> None:
    for value in (None, 42, b"914403001922038216", ["x"]):
        result = ids.check(value)  # type: ignore[arg-type]
        assert result.kind is ids.IdentifierKind.UNKNOWN and not result.valid


def test_error_does_not_echo_resident_id() -> None:
    with pytest.raises(InvalidIdentifier) as exc_info:
        ids.parse_resident_id("110105194912310021")
    err = exc_info.value
    assert "110105194912310021" not in str(err.as_dict())


# ---------------------------------------------------------------------------------------------------
# Agreement with python-stdnum on 100,000 generated codes
# ---------------------------------------------------------------------------------------------------

USCC_BODY = ids.USCC_CHARSET
NOT_USCC = "IOZSV*a"


def gen_uscc(rng: random.Random, digit_prefix: bool = True) -> str:
    head = (
        rng.choice("123456789") + rng.choice("0123456789")
        if digit_prefix
        else (rng.choice(USCC_BODY) + rng.choice(USCC_BODY))
    )
    region = "".join(rng.choice("0123456789") for _ in range(6))
    body = "".join(rng.choice(USCC_BODY) for _ in range(8))
    return with_uscc_check(head + region + body + ids.org_code_check_char(body))


def corrupt_uscc(rng: random.Random, code: str) -> tuple[str, str]:
    """One of several corruptions; returns (code, what)."""
    what = rng.choice(
        [
            "substitute",
            "substitute",
            "transpose",
            "delete",
            "insert",
            "org_check",
            "region_letter",
            "letter_prefix",
            "bad_char",
        ]
    )
    i = rng.randrange(18)
    if what == "substitute":
        return code[:i] + rng.choice(USCC_BODY) + code[i + 1 :], what
    if what == "bad_char":
        return code[:i] + rng.choice(NOT_USCC) + code[i + 1 :], what
    if what == "transpose":
        i = rng.randrange(17)
        return code[:i] + code[i + 1] + code[i] + code[i + 2 :], what
    if what == "delete":
        return code[:i] + code[i + 1 :], what
    if what == "insert":
        return code[:i] + rng.choice(USCC_BODY) + code[i:], what
    if what == "org_check":  # wrong embedded check char, overall check char recomputed
        return with_uscc_check(code[:16] + rng.choice("0123456789X")), what
    if what == "region_letter":
        j = rng.randrange(2, 8)
        return with_uscc_check(code[:j] + rng.choice("ABCXY") + code[j + 1 : 17]), what
    # letter in positions 1-2 (A1, N2, Y1 … codes), check recomputed
    return with_uscc_check(rng.choice("ANY") + code[1:17]), what


def test_uscc_agrees_with_stdnum_on_50000_codes() -> None:
    rng = random.Random(20240601)
    explained: dict[str, int] = {"org_code_check": 0, "letter_prefix": 0}
    for n in range(50_000):
        code = gen_uscc(rng)
        if n % 2:
            code, _ = corrupt_uscc(rng, code)
        ours = ids.is_valid_uscc(code)
        try:
            ids.parse_uscc(code)
            parsed, rule = True, None
        except InvalidIdentifier as e:
            parsed, rule = False, e.rule
        assert ours is parsed, code
        theirs = stdnum_uscc.is_valid(code)
        if ours == theirs:
            continue
        if theirs:
            # stdnum ignores the embedded organisation code's check character
            assert rule == "uscc.org_code_check", code
            assert ids.org_code_check_char(code[8:16]) != code[16]
            explained["org_code_check"] += 1
        else:
            # stdnum wants positions 1-8 to be digits; GB 32100 allows A/N/Y… in positions 1-2
            assert not code[:2].isdigit() and code[2:8].isdigit(), code
            assert code[17] == stdnum_uscc.calc_check_digit(code[:17])
            explained["letter_prefix"] += 1
    assert explained["org_code_check"] > 1000 and explained["letter_prefix"] > 1000


def gen_ric(rng: random.Random) -> str:
    province = rng.choice(sorted(ids.PROVINCES))
    birth = date(1880, 1, 1) + timedelta(days=rng.randrange((TODAY - date(1880, 1, 1)).days + 1))
    county = f"{rng.randrange(10000):04d}"
    return with_ric_check(province + county + birth.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}")


def corrupt_ric(rng: random.Random, code: str) -> str:
    what = rng.choice(["substitute", "transpose", "check", "bad_date", "bad_date", "early", "future"])
    i = rng.randrange(18)
    if what == "substitute":
        return code[:i] + rng.choice("0123456789X") + code[i + 1 :]
    if what == "transpose":
        i = rng.randrange(17)
        return code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    if what == "check":
        return code[:17] + rng.choice("0123456789X")
    if what == "bad_date":  # an impossible date, check char recomputed
        mmdd = rng.choice(["0229", "0230", "0431", "1301", "0001", "0100", "0532", "9999", "1231"])
        return with_ric_check(code[:10] + mmdd + code[14:17])
    if what == "early":
        return with_ric_check(code[:6] + str(rng.randrange(1000, 1880)) + code[10:17])
    return with_ric_check(code[:6] + str(rng.randrange(TODAY.year + 1, 10000)) + code[10:17])


def stdnum_date_ok(code: str) -> bool:
    try:
        stdnum_ric.get_birth_date(code)
    except ValidationError:
        return False
    return True


def test_resident_id_agrees_with_stdnum_on_50000_codes() -> None:
    rng = random.Random(19491001)
    checked_dates = 0
    for n in range(50_000):
        code = gen_ric(rng)
        if n % 2:
            code = corrupt_ric(rng, code)
        ours = ids.is_valid_resident_id(code, today=TODAY)
        try:
            r = ids.parse_resident_id(code, today=TODAY)
            parsed, rule = True, None
        except InvalidIdentifier as e:
            parsed, rule, r = False, e.rule, None
        assert ours is parsed, code
        # checksum agreement (stdnum's calc_check_digit wants 17 digits; an X elsewhere is ric.format)
        if not code[:17].isdigit():
            assert rule == "ric.format"
            continue
        checksum_ok = code[17] == stdnum_ric.calc_check_digit(code)
        assert ids.resident_id_check_char(code[:17]) == stdnum_ric.calc_check_digit(code)
        # date validity agreement (stdnum has no 1880 / future bound)
        date_ok = stdnum_date_ok(code)
        assert (rule != "ric.birth_date") is (date_ok and code[6:14] >= "18800101"), code
        if date_ok:
            checked_dates += 1
            birth = stdnum_ric.get_birth_date(code)
            assert (rule == "ric.future_birth_date") is (birth > TODAY)
            if r is not None:
                assert r.birth_date == birth
        # the whole verdict, from stdnum's parts
        expected = checksum_ok and date_ok and date(1880, 1, 1) <= stdnum_ric.get_birth_date(code) <= TODAY
        assert ours is expected, code
    assert checked_dates > 40_000


def stdnum_ric_is_valid(code: str) -> bool:
    try:
        return stdnum_ric.is_valid(code)
    except KeyError:  # the documented stdnum quirk
        return False


def test_generated_ids_stdnum_county_check_is_stricter() -> None:
    """stdnum.cn.ric.is_valid also wants the county to exist in the birth year; we do not."""
    rng = random.Random(3)
    ours_only = 0
    for _ in range(2000):
        code = gen_ric(rng)
        assert ids.is_valid_resident_id(code, today=TODAY)
        ours_only += not stdnum_ric_is_valid(code)
    assert ours_only > 0


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

shaped_text = st.text(
    alphabet=st.sampled_from(list(ids.USCC_CHARSET + "IOZSVx-  \t\x00０Ｘｘ－\u3000٣é")),
    min_size=0,
    max_size=20,
)
any_text = st.one_of(st.text(), shaped_text, st.binary().map(lambda b: b.decode("latin-1")))


@given(any_text)
@example("")
@example("\x00" * 18)
@example("620201195505312743")
@example("ﬀ" * 9)  # upper() changes the length
@example("ß" * 15)
@example("9" * 1_000_000)
@example("１" * 100_000)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_parsers_only_raise_invalid_identifier(s: str) -> None:
    for parse in PARSERS:
        try:
            parse(s)
        except InvalidIdentifier as e:
            assert e.rule and len(e.problems) == 1 and e.problems[0].rule == e.rule
            assert len(e.message) < 500
    for fn in (
        ids.uscc_check_char,
        ids.org_code_check_char,
        ids.resident_id_check_char,
        ids.registration_number_check_digit,
    ):
        with contextlib.suppress(InvalidIdentifier):
            fn(s)
    result = ids.check(s)
    assert isinstance(result, ids.CheckResult) and result.valid is (result.rule is None)
    ids.classify(s)
    ids.mask_resident_id(s)
    ids.mask_person_name(s)
    ids.mask_document_number(s)


@given(any_text)
@settings(max_examples=300)
def test_boolean_forms_match_parsers(s: str) -> None:
    def ok(parse: object) -> bool:
        try:
            parse(s)  # type: ignore[operator]
        except InvalidIdentifier:
            return False
        return True

    assert ids.is_valid_uscc(s) is ok(ids.parse_uscc)
    assert ids.is_valid_resident_id(s) is ok(ids.parse_resident_id)


uscc_strategy = st.builds(
    lambda head, region, body: with_uscc_check(head + region + body + ids.org_code_check_char(body)),
    st.text(alphabet=ids.USCC_CHARSET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ids.USCC_CHARSET, min_size=8, max_size=8),
)
ric_strategy = st.builds(
    lambda province, county, birth, seq: with_ric_check(province + county + birth.strftime("%Y%m%d") + seq),
    st.sampled_from(sorted(ids.PROVINCES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.dates(min_value=date(1880, 1, 1), max_value=TODAY),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)


@given(uscc_strategy, st.integers(0, 17), st.sampled_from(list(ids.USCC_CHARSET)))
def test_uscc_round_trip_and_single_substitution(code: str, i: int, c: str) -> None:
    u = ids.parse_uscc(code)
    assert u.code == code and ids.parse_uscc(code.lower()) == u
    assert ids.check(code).kind is ids.IdentifierKind.USCC or ids.is_valid_resident_id(code)
    corrupted = code[:i] + c + code[i + 1 :]
    valid = ids.is_valid_uscc(corrupted)
    recomputed = ids.uscc_check_char(corrupted[:17]) == corrupted[17]
    if corrupted == code:
        assert valid
    else:
        # MOD 31 with weights prime to 31 catches every single substitution
        assert not recomputed and not valid
        expected_rule = "uscc.region" if not corrupted[2:8].isdigit() else "uscc.check_char"
        assert rule_of(ids.parse_uscc, corrupted) == expected_rule


@given(ric_strategy, st.integers(0, 17), st.sampled_from(list("0123456789X")))
def test_resident_id_round_trip_and_single_substitution(code: str, i: int, c: str) -> None:
    r = ids.parse_resident_id(code, today=TODAY)
    assert r.code == code and r.region_code == code[:6]
    assert r.sex == ("M" if int(code[16]) % 2 else "F")
    assert r.age_on(r.birth_date) == 0
    corrupted = code[:i] + c + code[i + 1 :]
    valid = ids.is_valid_resident_id(corrupted, today=TODAY)
    if corrupted == code:
        assert valid
        return
    assert not valid
    if i < 17 and c == "X":
        assert rule_of(ids.parse_resident_id, corrupted) == "ric.format"
    elif i == 17 or corrupted[:2] in ids.PROVINCES:
        # if the structure survived, the check char must be what caught it
        try:
            ids.parse_resident_id(corrupted, today=TODAY)
        except InvalidIdentifier as e:
            if e.rule == "ric.check_char":
                assert ids.resident_id_check_char(corrupted[:17]) != corrupted[17]
            else:
                assert e.rule in ("ric.birth_date", "ric.future_birth_date")


@given(
    st.text(alphabet="0123456789", min_size=14, max_size=14),
    st.integers(0, 14),
    st.sampled_from(list("0123456789")),
)
def test_registration_number_single_substitution(first14: str, i: int, c: str) -> None:
    code = first14 + ids.registration_number_check_digit(first14)
    assert ids.is_valid_registration_number(code)
    corrupted = code[:i] + c + code[i + 1 :]
    assert ids.is_valid_registration_number(corrupted) is (corrupted == code)


# ---------------------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------------------


def test_mask_resident_id() -> None:
    assert ids.mask_resident_id("342301196405053224") == "3423011964****3224"
    assert ids.mask_resident_id("11010519491231002x") == "1101051949****002X"
    assert ids.mask_resident_id("110105491231002") == "11010549****002"
    assert ids.mask_resident_id("E12345678") == "E1*****78"
    assert ids.mask_resident_id("") == ""


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张*丰"),
        ("欧阳娜娜", "欧**娜"),
        ("司马相如", "司**如"),
        ("买买提·艾力", "买****力"),
        ("王", "*"),
        ("", ""),
        (" 李四 ", "李*"),
    ],
)
def test_mask_person_name(name: str, masked: str) -> None:
    assert ids.mask_person_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("E12345678", "E1*****78"),
        ("G1234567", "G1****67"),
        ("12345", "12*45"),
        ("1234", "****"),
        ("AB", "**"),
        ("", ""),
    ],
)
def test_mask_document_number(number: str, masked: str) -> None:
    assert ids.mask_document_number(number) == masked


@given(st.text())
def test_masking_never_longer_and_hides_middle(s: str) -> None:
    masked = ids.mask_document_number(s)
    assert len(masked) == len(s.strip())
    if len(s.strip()) > 4:
        assert masked[2:-2] == "*" * (len(s.strip()) - 4)
