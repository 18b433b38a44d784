"""Calendar helpers working on proleptic ordinals (fast to draw and compare)."""

from __future__ import annotations

import random
from datetime import date
from itertools import accumulate

START = date(2019, 1, 1).toordinal()
AS_OF = date(2026, 11, 27).toordinal()  # the last day a decision may carry
FOREVER = "2099-12-31"  # what source units write for "no expiry"

# Relative yearly volume of decisions (2020 dipped; volumes grew since).
_YEAR_WEIGHT = {2019: 0.85, 2020: 0.75, 2021: 0.95, 2022: 0.9, 2023: 1.05, 2024: 1.15, 2025: 1.25, 2026: 1.3}

_ISO: dict[int, str] = {}


def iso(ordinal: int) -> str:
    """``YYYY-MM-DD`` of an ordinal (cached: the same few thousand days recur)."""
    s = _ISO.get(ordinal)
    if s is None:
        s = _ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return s


def zh(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d.year}年{d.month}月{d.day}日"


def add_years(ordinal: int, years: int) -> int:
    d = date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28).toordinal()


def add_months(ordinal: int, months: int) -> int:
    d = date.fromordinal(ordinal)
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day).toordinal()
        except ValueError:
            continue
    raise AssertionError("unreachable")


class DecisionDays:
    """Working-day-weighted draw of decision dates between START and AS_OF."""

    def __init__(self) -> None:
        self.days = list(range(START, AS_OF + 1))
        weights = [self._weight(o) for o in self.days]
        self.cum = list(accumulate(weights))

    @staticmethod
    def _weight(o: int) -> float:
        d = date.fromordinal(o)
        return _YEAR_WEIGHT[d.year] * (0.08 if d.weekday() >= 5 else 1.0)

    def draw(self, rng: random.Random, k: int) -> list[int]:
        return rng.choices(self.days, cum_weights=self.cum, k=k)
