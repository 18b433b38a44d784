"""Deliberate, realistic mistakes: one per affected row, each of a known kind and field."""

from __future__ import annotations

import random
from dataclasses import dataclass

from xinyong.synth.layout import Schema

BAD_USCC_CHECK = "bad_uscc_check"  # 统一社会信用代码 with a wrong check character
BAD_ID_CHECK = "bad_id_check"  # 身份证号 with a wrong check digit
MISSING_REQUIRED = "missing_required"  # a required (or conditionally required) field left empty
WRONG_ENUM = "wrong_enum"  # a value outside the 代码表
FUTURE_DECISION_DATE = "future_decision_date"  # decision year mistyped into the future
VALID_UNTIL_BEFORE_VALID_FROM = "valid_until_before_valid_from"
NEGATIVE_FINE = "negative_fine"
MALFORMED_DATE = "malformed_date"  # an impossible or garbled date

KINDS = (
    BAD_USCC_CHECK,
    BAD_ID_CHECK,
    MISSING_REQUIRED,
    WRONG_ENUM,
    FUTURE_DECISION_DATE,
    VALID_UNTIL_BEFORE_VALID_FROM,
    NEGATIVE_FINE,
    MALFORMED_DATE,
)
_WEIGHT = {
    MISSING_REQUIRED: 25,
    MALFORMED_DATE: 14,
    WRONG_ENUM: 14,
    BAD_USCC_CHECK: 12,
    BAD_ID_CHECK: 12,
    VALID_UNTIL_BEFORE_VALID_FROM: 9,
    FUTURE_DECISION_DATE: 8,
    NEGATIVE_FINE: 6,
}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Values people actually type when they get a code list wrong.
_WRONG: dict[str, dict[str, tuple[str, ...]]] = {
    "label": {
        "XDR_LB": ("企业法人", "法人", "个人", "企业"),
        "XKLB": ("一般", "行政许可", "普通许可"),
        "CFLB": ("罚金", "罚没款", "警告处分"),
        "ZT": ("正常", "已注销", "在用"),
    },
    "code": {
        "XDR_LB": ("0", "4", "9"),
        "XKLB": ("07", "00", "99"),
        "CFLB": ("14", "00", "15"),
        "ZT": ("0", "4", "9"),
    },
}
_MISSING = {
    "XK": ("XDR_MC", "WSH", "NR", "XKJG", "LYDWDM", "XKWS"),
    "CF": ("XDR_MC", "WSH", "WFXW", "SY", "YJ", "NR", "CFJG", "SJLYDM"),
}


@dataclass(frozen=True)
class Mistake:
    file: str
    row: int  # spreadsheet row: the header is row 1
    kind: str
    field: str

    def as_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "row": self.row, "kind": self.kind, "field": self.field}


class MistakeMaker:
    def __init__(self, schema: Schema, values_style: str, rng: random.Random) -> None:
        self.rng = rng
        self.p = schema.fields[0].code.split("_")[0]
        self.codes = set(schema.codes)
        self.idx = {f.code: i for i, f in enumerate(schema.fields)}
        self.wrong = _WRONG[values_style]
        self.licensing = self.p == "XK"

    def f(self, suffix: str) -> str:
        return f"{self.p}_{suffix}"

    def get(self, row: list[str], suffix: str) -> str:
        return row[self.idx[self.f(suffix)]]

    def kinds_for(self, row: list[str]) -> list[str]:
        kinds = [
            MISSING_REQUIRED,
            MALFORMED_DATE,
            WRONG_ENUM,
            VALID_UNTIL_BEFORE_VALID_FROM,
            FUTURE_DECISION_DATE,
        ]
        if self.get(row, "XDR_SHXYM"):
            kinds.append(BAD_USCC_CHECK)
        if self.get(row, "XDR_ZJHM"):
            kinds.append(BAD_ID_CHECK)
        if not self.licensing and self.get(row, "NR_FK"):
            kinds.append(NEGATIVE_FINE)
        return kinds

    def apply(self, row: list[str]) -> tuple[str, str]:
        """Spoil ``row`` in place; returns (kind, field code)."""
        kinds = self.kinds_for(row)
        kind = self.rng.choices(kinds, [_WEIGHT[k] for k in kinds])[0]
        field: str = getattr(self, "_" + kind)(row)
        return kind, field

    def _set(self, row: list[str], code: str, value: str) -> str:
        row[self.idx[code]] = value
        return code

    def _bad_uscc_check(self, row: list[str]) -> str:
        code = self.f("XDR_SHXYM")
        good = row[self.idx[code]]
        wrong = USCC_CHARS[(USCC_CHARS.index(good[-1]) + self.rng.randint(1, 30)) % 31]
        return self._set(row, code, good[:-1] + wrong)

    def _bad_id_check(self, row: list[str]) -> str:
        code = self.f("XDR_ZJHM")
        good = row[self.idx[code]]
        wrong = self.rng.choice([c for c in "0123456789X" if c != good[-1]])
        return self._set(row, code, good[:-1] + wrong)

    def _missing_required(self, row: list[str]) -> str:
        options = [self.f(s) for s in _MISSING[self.p]]
        if self.get(row, "XDR_SHXYM"):
            options.append(self.f("XDR_SHXYM"))
        if self.get(row, "XDR_ZJHM"):
            options.append(self.f("XDR_ZJHM"))
        if not self.licensing:
            options += [self.f(s) for s in ("NR_FK", "NR_WFFF") if self.get(row, s)] * 3
        return self._set(row, self.rng.choice(options), "")

    def _wrong_enum(self, row: list[str]) -> str:
        suffix = self.rng.choice(("XDR_LB", "XKLB", "ZT") if self.licensing else ("XDR_LB", "CFLB"))
        return self._set(row, self.f(suffix), self.rng.choice(self.wrong[suffix]))

    def _future_decision_date(self, row: list[str]) -> str:
        """A mistyped year: 2024 -> 2042 (swapped digits) or 2021 -> 2041; dependent dates follow it."""
        code = self.f("JDRQ")
        year = int(row[self.idx[code]][:4])
        swapped = 2000 + int(str(year % 100)[::-1].rjust(2, "0"))
        shift = (swapped if swapped > 2031 else year + 20) - year
        if not self.licensing:
            for dep in ("YXQ", "GSJZQ"):
                if self.get(row, dep):
                    self._set(row, self.f(dep), _shift_year(self.get(row, dep), shift))
        return self._set(row, code, _shift_year(row[self.idx[code]], shift))

    def _valid_until_before_valid_from(self, row: list[str]) -> str:
        if self.licensing:
            start = self.get(row, "YXQZ")
            return self._set(row, self.f("YXQZI"), _shift_year(start, -self.rng.randint(1, 3)))
        decided = self.get(row, "JDRQ")
        return self._set(row, self.f("YXQ"), _shift_year(decided, -1))

    def _negative_fine(self, row: list[str]) -> str:
        code = self.f("NR_FK")
        return self._set(row, code, "-" + row[self.idx[code]])

    def _malformed_date(self, row: list[str]) -> str:
        code = self.f(self.rng.choice(("JDRQ", "YXQZ") if self.licensing else ("JDRQ", "YXQ")))
        year, day = self.get(row, "JDRQ")[:4], self.rng.randint(1, 28)
        bad = self.rng.choice(
            (
                f"{year}-02-30",
                f"{year}-04-31",
                f"{year}-13-{day:02d}",
                f"{year}-00-{day:02d}",
                "0000-00-00",
                f"{year}-06-31",
            )
        )
        return self._set(row, code, bad)


def _shift_year(iso_date: str, years: int) -> str:
    year, rest = int(iso_date[:4]), iso_date[4:]
    if rest == "-02-29":
        rest = "-02-28"
    return f"{year + years}{rest}"
