"""Chinese identifiers: USCC, resident ID, organisation code, registration number.

Plain Python, no framework imports. Every parser normalises its input first (surrounding
whitespace stripped, full-width characters folded to half-width, upper-cased) and either returns a
frozen dataclass or raises :class:`xinyong.errors.InvalidIdentifier` whose ``rule`` and single
:class:`~xinyong.errors.Problem` name exactly which check failed. Nothing else is raised on bad input,
whatever the input (non-``str`` values included). :func:`check` never raises at all.

Acceptance policy
=================

Unified Social Credit Code (统一社会信用代码, GB 32100-2015), :func:`parse_uscc`
    18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (``uscc.length``, ``uscc.charset``);
    positions 3-8 (administrative division) are digits (``uscc.region``); the check character at
    position 18 is right (``uscc.check_char``); the embedded organisation code at positions 9-17 has a
    right GB 11714 check character (``uscc.org_code_check``). The overall check character is tested
    before the embedded one: a single typo anywhere is always caught by it, so ``uscc.org_code_check``
    only fires for a code that is internally consistent but carries a wrong organisation code (a
    fabricated or mis-issued code).
    The registration-authority and type codes (positions 1-2) are *not* checked against GB 32100
    Table 1 (our copy of the table is unverified, and rejecting a real code is worse than accepting an
    unusual one); unlike ``stdnum.cn.uscc`` we do not require positions 1-2 to be digits (``A1``,
    ``N2``, ``Y1`` codes exist). ``Uscc.subject_kind`` is derived from them:

    ====================  =======================================================
    ``9x`` 市场监管        ENTERPRISE (91 企业, 92 个体工商户, 93 农民专业合作社)
    ``5x`` 民政            SOCIAL_ORGANISATION (51 社会团体, 52 民办非企业单位, 53 基金会)
    ``1x`` 机构编制        PUBLIC_INSTITUTION (12 事业单位; 11 机关 and 13/19 are
                           mapped here too: they are public bodies, not enterprises)
    anything else         ``None``: the code alone does not say which of the four
                           subject kinds applies (law firms, religious venues, trade
                           unions, military units, rural collectives…); the caller decides.
    ====================  =======================================================

    ``Uscc.is_individual_business`` is true for type ``92``.

Resident identity card number (居民身份证号码, GB 11643-1999), :func:`parse_resident_id`
    18 characters (``ric.length``): 17 digits then a digit or ``X`` (lower-case ``x`` accepted)
    (``ric.format``); the first two digits are a GB/T 2260 province-level code, or ``83`` (the number
    range of residence permits for Taiwan residents, 港澳台居民居住证, alongside ``81``/``82``)
    (``ric.region``); the birth date is a real calendar date (``ric.birth_date``), not before
    1880-01-01 (``ric.birth_date``) and not after today in China (UTC+8) (``ric.future_birth_date``);
    the ISO 7064 MOD 11-2 check character is right (``ric.check_char``).
    We do **not** require the six-digit county code to have existed in the birth year, nor to exist at
    all: ``stdnum.cn.ric`` does, which rejects real IDs whose county was renamed or merged (and it raises
    a bare ``KeyError`` for some area codes, e.g. ``620201195505312743``).
    15-digit first-generation numbers are rejected with rule ``ric.first_generation``; the message
    tells how to convert them (:func:`convert_first_generation_id`: insert ``19`` before the two-digit
    birth year and append the check character). Other 15-character strings get ``ric.length``.

Organisation code (组织机构代码, GB 11714-1997), :func:`parse_organisation_code`
    8 characters ``[0-9A-Z]`` + check character ``[0-9X]``, written with or without the hyphen
    (``XXXXXXXX-X``) (``org_code.length``, ``org_code.format``, ``org_code.charset``,
    ``org_code.check_char``). The canonical form is the hyphenated one.

Registration number (工商注册号, 15 digits, GB/T 17710 ISO 7064 MOD 11,10),
:func:`parse_registration_number`
    (``regno.length``, ``regno.format``, ``regno.check_char``).

Classification (:func:`classify`) is by shape: 9 characters, or 10 with a hyphen before the last, is
an organisation code; 18 characters is a resident ID if it is a valid one, else a USCC if it is a valid
one, else a resident ID if it looks like one (17 digits + digit/X, a province code and a plausible
birth date), else a USCC; 15 digits is a (first-generation) resident ID if it starts with a province
code and positions 9-12 are a valid MMDD, else a registration number (the shapes overlap: a
first-generation ID passes the MOD 11,10 check one time in ten, while real registration numbers rarely
carry a date there, so the date shape decides). Anything else is ``unknown``.

The four ``*_check_char`` functions are the fast hand-written check-character computations (also
used by the synthetic-city generator); they raise ``InvalidIdentifier`` on a wrong length or
character.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from xinyong import chinatime
from xinyong.domain.enums import SubjectKind
from xinyong.errors import InvalidIdentifier, Problem

__all__ = [
    "ORG_CODE_WEIGHTS",
    "RIC_CHECK_CHARS",
    "RIC_WEIGHTS",
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "CheckResult",
    "IdentifierKind",
    "OrganisationCode",
    "RegistrationNumber",
    "ResidentId",
    "Uscc",
    "check",
    "classify",
    "convert_first_generation_id",
    "is_valid_organisation_code",
    "is_valid_registration_number",
    "is_valid_resident_id",
    "is_valid_uscc",
    "mask_document_number",
    "mask_person_name",
    "mask_resident_id",
    "org_code_check_char",
    "organisation_code_from_uscc",
    "parse_organisation_code",
    "parse_registration_number",
    "parse_resident_id",
    "parse_uscc",
    "registration_number_check_digit",
    "resident_id_check_char",
    "uscc_check_char",
]

# --------------------------------------------------------------------------------------------------
# Constants and precomputed tables
# --------------------------------------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: GB 32100 weights, 3^(i-1) mod 31.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714 weights.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
#: GB 11643 / ISO 7064 MOD 11-2 weights, 2^(17-i) mod 11.
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character indexed by (weighted sum mod 11).
RIC_CHECK_CHARS = "10X98765432"

_DIGITS = "0123456789"
_ORG_BODY_CHARSET = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CHECK_CHARSET = _DIGITS + "X"
_USCC_CHARS = frozenset(USCC_CHARSET)
_ORG_BODY_CHARS = frozenset(_ORG_BODY_CHARSET)
_ORG_CHECK_CHARS = frozenset(_ORG_CHECK_CHARSET)
_DIGIT_CHARS = frozenset(_DIGITS)

# Per-position tables {char: weight * value}: a checksum is sum(map(_getitem, TABLES, code)), and a
# character outside the allowed set raises KeyError, which doubles as the charset check.
_getitem = dict.__getitem__
_USCC_TABLES: tuple[dict[str, int], ...] = tuple(
    {c: (w * v) for v, c in enumerate(USCC_CHARSET)} for w in USCC_WEIGHTS
)
_USCC_CHECK_BY_MOD: tuple[str, ...] = tuple(USCC_CHARSET[(31 - r) % 31] for r in range(31))
_ORG_TABLES: tuple[dict[str, int], ...] = tuple(
    {c: (w * v) for v, c in enumerate(_ORG_BODY_CHARSET)} for w in ORG_CODE_WEIGHTS
)
_ORG_CHECK_BY_MOD: tuple[str, ...] = tuple(
    "0" if r == 0 else "X" if r == 1 else str(11 - r) for r in range(11)
)
_RIC_TABLES: tuple[dict[str, int], ...] = tuple(
    {c: (w * v) for v, c in enumerate(_DIGITS)} for w in RIC_WEIGHTS
)

#: GB/T 2260 province-level codes (first two digits of an address code), plus 83 (see module doc).
PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    "83": "台湾地区（居民居住证）",
}
_RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})

#: Every valid MMDD (0229 included; leap years are checked separately).
_MMDD: frozenset[str] = frozenset((date(2000, 1, 1) + timedelta(days=i)).strftime("%m%d") for i in range(366))
_MIN_BIRTH = "18800101"
_MIN_BIRTH_DATE = date(1880, 1, 1)

#: GB 32100 Table 1, registration authority (position 1). Unverified table: informational only.
USCC_AUTHORITIES: dict[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监管（工商）",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, plus dash look-alikes, to ASCII.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(94)}
_FOLD[0x3000] = 0x20
for _dash in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63):
    _FOLD[_dash] = 0x2D
del _dash

_MAX_ECHO = 40  # longest input echoed back in an error


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


def _error(
    rule: str, message: str, message_zh: str, value: str | None = None, **where: Any
) -> InvalidIdentifier:
    if value is not None and len(value) > _MAX_ECHO:
        value = value[:_MAX_ECHO] + "…"
    problem = Problem(rule=rule, message=message, message_zh=message_zh, value=value, where=where)
    return InvalidIdentifier(message, message_zh=message_zh, problems=[problem], rule=rule)


def _normalise(s: object, prefix: str) -> str:
    """Strip surrounding whitespace, fold full-width to half-width, upper-case."""
    if not isinstance(s, str):
        raise _error(
            f"{prefix}.type", f"expected text, got {type(s).__name__}", f"应为文本，实际为 {type(s).__name__}"
        )
    if not s.isascii():
        s = s.translate(_FOLD)
    return s.strip().upper()


def _fast_normalise(s: str) -> str:
    if not s.isascii():
        s = s.translate(_FOLD)
    return s.strip().upper()


_today_cache: list[Any] = [-1, ""]


def _china_today_str() -> str:
    """Today in China as YYYYMMDD, cached per day (cheap enough for the hot path)."""
    day = int((time.time() + 8 * 3600) // 86400)
    if _today_cache[0] != day:
        _today_cache[1] = (date(1970, 1, 1) + timedelta(days=day)).strftime("%Y%m%d")
        _today_cache[0] = day
    return str(_today_cache[1])


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --------------------------------------------------------------------------------------------------
# Check characters (fast versions)
# --------------------------------------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) of a USCC from its first 17 characters (already upper-case)."""
    if len(first17) != 17:
        raise _error(
            "uscc.length", "expected the first 17 characters of a USCC", "应为统一社会信用代码前17位"
        )
    try:
        total = sum(map(_getitem, _USCC_TABLES, first17))
    except (KeyError, TypeError):
        raise _error(
            "uscc.charset", "character outside the USCC character set", "含有统一社会信用代码字符集以外的字符"
        ) from None
    return _USCC_CHECK_BY_MOD[total % 31]


def org_code_check_char(first8: str) -> str:
    """Check character of an organisation code (GB 11714) from its first 8 characters."""
    if len(first8) != 8:
        raise _error(
            "org_code.length",
            "expected the first 8 characters of an organisation code",
            "应为组织机构代码前8位",
        )
    try:
        total = sum(map(_getitem, _ORG_TABLES, first8))
    except (KeyError, TypeError):
        raise _error(
            "org_code.charset",
            "organisation code characters are 0-9 and A-Z",
            "组织机构代码只能由数字和大写字母组成",
        ) from None
    return _ORG_CHECK_BY_MOD[total % 11]


def resident_id_check_char(first17: str) -> str:
    """Check character of an 18-digit resident ID (ISO 7064 MOD 11-2) from its first 17 digits."""
    if len(first17) != 17:
        raise _error("ric.length", "expected the first 17 digits of a resident ID", "应为身份证号码前17位")
    try:
        total = sum(map(_getitem, _RIC_TABLES, first17))
    except (KeyError, TypeError):
        raise _error(
            "ric.format", "the first 17 characters of a resident ID are digits", "身份证号码前17位应为数字"
        ) from None
    return RIC_CHECK_CHARS[total % 11]


def registration_number_check_digit(first14: str) -> str:
    """Check digit of a 15-digit registration number (ISO 7064 MOD 11,10) from its first 14 digits."""
    if len(first14) != 14:
        raise _error(
            "regno.length", "expected the first 14 digits of a registration number", "应为注册号前14位"
        )
    p = 10
    for c in first14:
        if c not in _DIGIT_CHARS:
            raise _error("regno.format", "a registration number is all digits", "注册号应全部为数字")
        p = (((p + ord(c) - 48) % 10 or 10) * 2) % 11
    return _DIGITS[(11 - p) % 10]


# --------------------------------------------------------------------------------------------------
# USCC
# --------------------------------------------------------------------------------------------------


def _subject_kind(type_code: str) -> SubjectKind | None:
    authority = type_code[0]
    if authority == "9":
        return SubjectKind.ENTERPRISE
    if authority == "5":
        return SubjectKind.SOCIAL_ORGANISATION
    if authority == "1":
        return SubjectKind.PUBLIC_INSTITUTION
    return None


@dataclass(frozen=True, slots=True)
class Uscc:
    """A valid Unified Social Credit Code, split into its parts."""

    code: str  #: the normalised 18-character code
    authority_code: str  #: position 1, registration authority (登记管理部门)
    type_code: str  #: positions 1-2, authority + institution type (机构类别)
    region: str  #: positions 3-8, administrative division of the registering authority
    org_code: str  #: positions 9-17 as an organisation code, ``XXXXXXXX-X``
    subject_kind: SubjectKind | None  #: derived from ``type_code``; see the module docstring

    @property
    def is_individual_business(self) -> bool:
        """个体工商户 (type 92)."""
        return self.type_code == "92"

    @property
    def authority_zh(self) -> str:
        return USCC_AUTHORITIES.get(self.authority_code, "")

    def __str__(self) -> str:
        return self.code


_CONFUSABLE_HINT = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}


def parse_uscc(s: str) -> Uscc:
    """Parse and validate a USCC; raise ``InvalidIdentifier`` naming the failing rule."""
    code = _normalise(s, "uscc")
    if len(code) != 18:
        raise _error(
            "uscc.length",
            f"a USCC has 18 characters, got {len(code)}",
            f"统一社会信用代码应为18位，实际为{len(code)}位",
            code,
            length=len(code),
        )
    for i, c in enumerate(code):
        if c not in _USCC_CHARS:
            hint = f" (did you mean {_CONFUSABLE_HINT[c]!r}?)" if c in _CONFUSABLE_HINT else ""
            raise _error(
                "uscc.charset",
                f"character {c!r} at position {i + 1} is not in the USCC character set{hint}",
                f"第{i + 1}位字符“{c}”不在统一社会信用代码字符集内（不使用 I、O、Z、S、V）",
                code,
                position=i + 1,
            )
    region = code[2:8]
    if not region.isdigit():
        raise _error(
            "uscc.region",
            "positions 3-8 (administrative division code) must be digits",
            "第3-8位（登记管理机关行政区划码）应为数字",
            code,
        )
    expected = _USCC_CHECK_BY_MOD[sum(map(_getitem, _USCC_TABLES, code)) % 31]
    if code[17] != expected:
        raise _error(
            "uscc.check_char",
            f"check character is {code[17]!r}, expected {expected!r}",
            f"校验码错误：第18位为“{code[17]}”，应为“{expected}”",
            code,
            position=18,
        )
    org_expected = _ORG_CHECK_BY_MOD[sum(map(_getitem, _ORG_TABLES, code[8:16])) % 11]
    if code[16] != org_expected:
        raise _error(
            "uscc.org_code_check",
            f"the embedded organisation code {code[8:16]}-{code[16]} has a wrong check character"
            f" (expected {org_expected!r})",
            f"内含的组织机构代码 {code[8:16]}-{code[16]} 校验码错误（应为“{org_expected}”）",
            code,
            position=17,
        )
    type_code = code[:2]
    return Uscc(
        code=code,
        authority_code=code[0],
        type_code=type_code,
        region=region,
        org_code=f"{code[8:16]}-{code[16]}",
        subject_kind=_subject_kind(type_code),
    )


def is_valid_uscc(s: str) -> bool:
    """Fast boolean form of :func:`parse_uscc`."""
    if not isinstance(s, str):
        return False
    code = _fast_normalise(s)
    if len(code) != 18:
        return False
    try:
        total = sum(map(_getitem, _USCC_TABLES, code))
    except KeyError:
        return False
    return (
        code[17] == _USCC_CHECK_BY_MOD[total % 31]
        and code[2:8].isdigit()
        and code[16] == _ORG_CHECK_BY_MOD[sum(map(_getitem, _ORG_TABLES, code[8:16])) % 11]
    )


def organisation_code_from_uscc(s: str) -> str:
    """The organisation code (``XXXXXXXX-X``) embedded in a valid USCC."""
    return parse_uscc(s).org_code


# --------------------------------------------------------------------------------------------------
# Resident ID
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A valid 18-digit resident identity card number."""

    code: str  #: normalised (upper-case X)
    region_code: str  #: the six-digit address code
    province: str  #: name of the province-level division
    birth_date: date
    sex: str  #: 'M' (odd sequence number) or 'F'

    @property
    def province_code(self) -> str:
        return self.region_code[:2]

    @property
    def is_residence_permit(self) -> bool:
        """港澳台居民居住证 number (810000 / 820000 / 830000)."""
        return self.region_code in _RESIDENCE_PERMIT_REGIONS

    @property
    def masked(self) -> str:
        return mask_resident_id(self.code)

    def age_on(self, on: date) -> int:
        """Age in full years on ``on`` (someone born on 29 February turns a year older on 1 March)."""
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    def __str__(self) -> str:
        return self.code


def convert_first_generation_id(s: str) -> str:
    """Convert a 15-digit first-generation ID to 18 digits (``19`` inserted before the year, check
    character appended). The result is not validated: parse it with :func:`parse_resident_id`."""
    code = _normalise(s, "ric")
    if len(code) != 15 or not code.isascii() or not code.isdigit():
        raise _error(
            "ric.format", "a first-generation resident ID has 15 digits", "第一代身份证号码应为15位数字"
        )
    first17 = code[:6] + "19" + code[6:]
    return first17 + resident_id_check_char(first17)


def parse_resident_id(s: str, *, today: date | None = None) -> ResidentId:
    """Parse and validate an 18-digit resident ID; raise ``InvalidIdentifier`` naming the failing rule.

    ``today`` (default: today in China) bounds the birth date.
    """
    code = _normalise(s, "ric")
    n = len(code)
    if n != 18:
        if n == 15 and code.isascii() and code.isdigit():
            raise _error(
                "ric.first_generation",
                "15-digit first-generation ID numbers are not accepted; convert to the 18-digit number"
                " (insert '19' before the two-digit birth year and append the check character)",
                "不接受15位第一代身份证号码，请换算为18位号码（在出生年份前补“19”并补校验码）",
            )
        raise _error(
            "ric.length",
            f"a resident ID has 18 characters, got {n}",
            f"身份证号码应为18位，实际为{n}位",
            length=n,
        )
    if not (code.isascii() and code[:17].isdigit() and (code[17] == "X" or code[17].isdigit())):
        raise _error(
            "ric.format",
            "a resident ID is 17 digits followed by a digit or X",
            "身份证号码应为17位数字加1位数字或X",
        )
    province = PROVINCES.get(code[:2])
    if province is None:
        raise _error(
            "ric.region",
            f"{code[:2]!r} is not a province code (GB/T 2260)",
            f"前两位“{code[:2]}”不是有效的省级行政区划代码",
        )
    try:
        birth = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        raise _error(
            "ric.birth_date", "positions 7-14 are not a real date (YYYYMMDD)", "第7-14位不是有效的出生日期"
        ) from None
    if birth < _MIN_BIRTH_DATE:
        raise _error("ric.birth_date", "birth date before 1880-01-01", "出生日期早于1880年1月1日")
    if birth > (today or chinatime.today()):
        raise _error("ric.future_birth_date", "birth date is in the future", "出生日期晚于当前日期")
    expected = RIC_CHECK_CHARS[sum(map(_getitem, _RIC_TABLES, code)) % 11]
    if code[17] != expected:
        raise _error(
            "ric.check_char",
            "the check character (position 18) is wrong",
            "身份证号码校验码（第18位）错误",
            position=18,
        )
    return ResidentId(
        code=code,
        region_code=code[:6],
        province=province,
        birth_date=birth,
        sex="M" if int(code[16]) % 2 else "F",
    )


def is_valid_resident_id(s: str, *, today: date | None = None) -> bool:
    """Fast boolean form of :func:`parse_resident_id`."""
    if not isinstance(s, str):
        return False
    code = _fast_normalise(s)
    if len(code) != 18:
        return False
    try:
        total = sum(map(_getitem, _RIC_TABLES, code))
    except KeyError:
        return False
    if code[17] != RIC_CHECK_CHARS[total % 11] or code[:2] not in PROVINCES:
        return False
    ymd = code[6:14]
    mmdd = code[10:14]
    limit = today.strftime("%Y%m%d") if today is not None else _china_today_str()
    return _MIN_BIRTH <= ymd <= limit and mmdd in _MMDD and (mmdd != "0229" or _is_leap(int(code[6:10])))


# --------------------------------------------------------------------------------------------------
# Organisation code and registration number
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationCode:
    """A valid organisation code (GB 11714)."""

    code: str  #: canonical ``XXXXXXXX-X``
    body: str  #: the 8-character body
    check_char: str

    @property
    def compact(self) -> str:
        return self.body + self.check_char

    def __str__(self) -> str:
        return self.code


def parse_organisation_code(s: str) -> OrganisationCode:
    """Parse an organisation code, with or without the hyphen (``12345678-9`` / ``123456789``)."""
    code = _normalise(s, "org_code")
    if len(code) == 10 and code[8] == "-":
        code = code[:8] + code[9]
    elif len(code) != 9 and not (len(code) == 10 and "-" in code):
        raise _error(
            "org_code.length",
            f"an organisation code has 9 characters (10 with the hyphen), got {len(code)}",
            f"组织机构代码应为9位（含连字符10位），实际为{len(code)}位",
            code,
            length=len(code),
        )
    if "-" in code:
        raise _error(
            "org_code.format",
            "the hyphen goes before the check character (XXXXXXXX-X)",
            "连字符应位于校验码之前（XXXXXXXX-X）",
            code,
        )
    for i, c in enumerate(code[:8]):
        if c not in _ORG_BODY_CHARS:
            raise _error(
                "org_code.charset",
                f"character {c!r} at position {i + 1} is not a digit or A-Z",
                f"第{i + 1}位字符“{c}”应为数字或大写字母",
                code,
                position=i + 1,
            )
    if code[8] not in _ORG_CHECK_CHARS:
        raise _error(
            "org_code.charset", "the check character is a digit or X", "校验码应为数字或X", code, position=9
        )
    expected = _ORG_CHECK_BY_MOD[sum(map(_getitem, _ORG_TABLES, code)) % 11]
    if code[8] != expected:
        raise _error(
            "org_code.check_char",
            f"check character is {code[8]!r}, expected {expected!r}",
            f"校验码错误：为“{code[8]}”，应为“{expected}”",
            code,
            position=9,
        )
    return OrganisationCode(code=f"{code[:8]}-{code[8]}", body=code[:8], check_char=code[8])


def is_valid_organisation_code(s: str) -> bool:
    try:
        parse_organisation_code(s)
    except InvalidIdentifier:
        return False
    return True


@dataclass(frozen=True, slots=True)
class RegistrationNumber:
    """A valid 15-digit registration number (工商注册号, pre-2015)."""

    code: str
    region: str  #: first six digits, the registering authority's division code

    def __str__(self) -> str:
        return self.code


def parse_registration_number(s: str) -> RegistrationNumber:
    """Parse a 15-digit registration number (ISO 7064 MOD 11,10 check digit)."""
    code = _normalise(s, "regno")
    if len(code) != 15:
        raise _error(
            "regno.length",
            f"a registration number has 15 digits, got {len(code)}",
            f"注册号应为15位，实际为{len(code)}位",
            code,
            length=len(code),
        )
    if not (code.isascii() and code.isdigit()):
        raise _error("regno.format", "a registration number is all digits", "注册号应全部为数字", code)
    expected = registration_number_check_digit(code[:14])
    if code[14] != expected:
        raise _error(
            "regno.check_char",
            f"check digit is {code[14]!r}, expected {expected!r}",
            f"校验位错误：为“{code[14]}”，应为“{expected}”",
            code,
            position=15,
        )
    return RegistrationNumber(code=code, region=code[:6])


def is_valid_registration_number(s: str) -> bool:
    try:
        parse_registration_number(s)
    except InvalidIdentifier:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Classification and the never-raising check
# --------------------------------------------------------------------------------------------------


class IdentifierKind(StrEnum):
    USCC = "uscc"
    RESIDENT_ID = "resident_id"
    ORGANISATION_CODE = "organisation_code"
    REGISTRATION_NUMBER = "registration_number"
    UNKNOWN = "unknown"

    @property
    def zh(self) -> str:
        return _KIND_ZH[self]


_KIND_ZH = {
    IdentifierKind.USCC: "统一社会信用代码",
    IdentifierKind.RESIDENT_ID: "居民身份证号码",
    IdentifierKind.ORGANISATION_CODE: "组织机构代码",
    IdentifierKind.REGISTRATION_NUMBER: "注册号",
    IdentifierKind.UNKNOWN: "未知",
}


def _looks_like_ric18(code: str) -> bool:
    return (
        code.isascii()
        and code[:17].isdigit()
        and (code[17] == "X" or code[17].isdigit())
        and code[:2] in PROVINCES
        and code[6:8] in ("18", "19", "20")
        and code[10:14] in _MMDD
    )


def classify(s: str) -> IdentifierKind:
    """Guess the kind of identifier from its shape (see the module docstring). Never raises."""
    if not isinstance(s, str):
        return IdentifierKind.UNKNOWN
    code = _fast_normalise(s)
    n = len(code)
    if n == 9 or (n == 10 and code[8] == "-"):
        return IdentifierKind.ORGANISATION_CODE
    if n == 18:
        if is_valid_resident_id(code):
            return IdentifierKind.RESIDENT_ID
        if is_valid_uscc(code) or not _looks_like_ric18(code):
            return IdentifierKind.USCC
        return IdentifierKind.RESIDENT_ID
    if n == 15 and code.isascii() and code.isdigit():
        if code[:2] in PROVINCES and code[8:12] in _MMDD:
            return IdentifierKind.RESIDENT_ID
        return IdentifierKind.REGISTRATION_NUMBER
    return IdentifierKind.UNKNOWN


@dataclass(frozen=True, slots=True)
class CheckResult:
    kind: IdentifierKind
    valid: bool
    rule: str | None  #: the failing rule, ``None`` when valid
    message: str
    message_zh: str = ""


def check(s: str, *, today: date | None = None) -> CheckResult:
    """Classify ``s`` and validate it as that kind. Never raises."""
    try:
        kind = classify(s)
        if kind is IdentifierKind.UNKNOWN:
            return CheckResult(
                kind,
                False,
                "unknown.shape",
                "not shaped like a USCC (18 characters), resident ID (18), organisation code (9)"
                " or registration number (15 digits)",
                "无法识别的代码：长度或格式不符合统一社会信用代码、身份证号码、组织机构代码或注册号",
            )
        if kind is IdentifierKind.USCC:
            parse_uscc(s)
        elif kind is IdentifierKind.RESIDENT_ID:
            parse_resident_id(s, today=today)
        elif kind is IdentifierKind.ORGANISATION_CODE:
            parse_organisation_code(s)
        else:
            parse_registration_number(s)
    except InvalidIdentifier as e:
        return CheckResult(kind, False, e.rule, e.message, e.message_zh)
    except Exception as e:  # pragma: no cover - defensive: check() must never raise
        return CheckResult(IdentifierKind.UNKNOWN, False, "internal", f"{type(e).__name__}: {e}")
    return CheckResult(kind, True, None, f"valid {kind.value}", f"有效的{kind.zh}")


# --------------------------------------------------------------------------------------------------
# Masking for public display
# --------------------------------------------------------------------------------------------------


def mask_document_number(s: str) -> str:
    """Keep the first two and last two characters, mask the rest (``E12345678`` → ``E1*****78``).

    Strings of four characters or fewer are masked entirely.
    """
    s = s.strip()
    n = len(s)
    if n <= 4:
        return "*" * n
    return s[:2] + "*" * (n - 4) + s[-2:]


def mask_resident_id(s: str) -> str:
    """Hide the birth month and day: ``342301196405053224`` → ``3423011964****3224``.

    15-digit numbers hide their MMDD too (positions 9-12); anything else falls back to
    :func:`mask_document_number`. Never raises on a ``str``.
    """
    code = _fast_normalise(s)
    if len(code) == 18:
        return code[:10] + "****" + code[14:]
    if len(code) == 15:
        return code[:8] + "****" + code[12:]
    return mask_document_number(code)


def mask_person_name(name: str) -> str:
    """``张三`` → ``张*``, ``张三丰`` → ``张*丰``, ``欧阳娜娜`` → ``欧**娜``; a one-character name → ``*``."""
    name = name.strip()
    n = len(name)
    if n <= 1:
        return "*" * n
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]
