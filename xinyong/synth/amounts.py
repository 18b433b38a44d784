"""Money: fines and confiscations in yuan, written in 万元 with up to six decimals."""

from __future__ import annotations

import math
import random


def wan(cents: int, fixed: bool = False) -> str:
    """Cents as 万元: 50000 -> "0.05" (or "0.050000" when ``fixed``); exact, no float rounding."""
    whole, frac = divmod(abs(cents), 1_000_000)
    text = f"{'-' if cents < 0 else ''}{whole}.{frac:06d}"
    return text if fixed else text.rstrip("0").rstrip(".")


def yuan(cents: int) -> str:
    """Cents as a yuan figure for texts: 123456 -> "1234.56", 500000 -> "5000"."""
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}" if frac else str(whole)


def draw_fine(rng: random.Random, lo: int, hi: int) -> int:
    """A fine in cents between ``lo`` and ``hi`` yuan, rounded the way decisions round them."""
    if hi <= lo:
        return lo * 100
    amount = math.exp(rng.uniform(math.log(max(lo, 1)), math.log(hi)))
    r = rng.random()
    if r < 0.08:  # a multiple of a computed sum (货值金额的 N 倍): exact to the cent
        return int(amount * 100)
    step = 10000 if amount >= 100000 else 1000 if amount >= 10000 else 100 if amount >= 1000 else 50
    return max(lo, min(hi, round(amount / step) * step)) * 100


def draw_value(rng: random.Random, lo: int = 200, hi: int = 500000) -> int:
    """A goods value or an illegal gain in cents (log-uniform, to the cent)."""
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))) * 100)
