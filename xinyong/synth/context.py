"""Shared state of one city while its records are generated: subjects, pools, text fragments."""

from __future__ import annotations

import random
from itertools import accumulate

from xinyong.synth import templates
from xinyong.synth.dates import DecisionDays
from xinyong.synth.names import trade_name
from xinyong.synth.places import street_pool
from xinyong.synth.subjects import Subject

_POOL_OF_CATEGORY = {
    "enterprise": templates.ENTERPRISE,
    "individual_business": templates.BUSINESS,
    "public_institution": templates.INSTITUTION,
    "social_group": templates.ASSOCIATION,
    "private_non_enterprise": templates.ASSOCIATION,
    "foundation": templates.ASSOCIATION,
}
ALL_POOLS = "EBIPS"

# 行政相对人 columns, by suffix after the XK_/CF_ prefix, in the order of a party tuple.
PARTY_FIELDS = (
    "XDR_MC",
    "XDR_LB",
    "XDR_SHXYM",
    "XDR_GSZC",
    "XDR_ZZJG",
    "XDR_SWDJ",
    "XDR_SYDW",
    "XDR_SHZZ",
    "FRDB",
    "FR_ZJLX",
    "FR_ZJHM",
    "XDR_ZJLX",
    "XDR_ZJHM",
)
RESIDENT_ID = "001"
ACTIVITY_SIGMA = {"1": 0.6, "3": 0.3, "2": 0.0}  # log-normal spread by 行政相对人类别
Pool = tuple[list[int], list[float]]  # subject indices and cumulative weights


def _party(s: Subject, subjects: list[Subject]) -> tuple[str, ...]:
    """The 行政相对人 values of a subject (enum values as codes)."""
    if s.lb == "2":
        return (s.name, "2", "", "", "", "", "", "", "", "", "", RESIDENT_ID, s.id_number)
    rep_id = subjects[s.legal_rep].id_number if s.legal_rep >= 0 else ""
    sydw = s.certificate if s.category == "public_institution" else ""
    shzz = s.certificate if s.kind == "social_organisation" else ""
    return (
        s.name,
        s.lb,
        s.uscc,
        s.reg_number,
        s.org_code,
        s.tax_number,
        sydw,
        shzz,
        s.rep_name,
        RESIDENT_ID if rep_id else "",
        rep_id,
        "",
        "",
    )


class CityContext:
    def __init__(self, subjects: list[Subject], adults: list[int], rng: random.Random) -> None:
        if not subjects:
            raise ValueError("a city needs at least one subject")
        self.subjects = subjects
        self.parties = [_party(s, subjects) for s in subjects]
        self.days = DecisionDays()
        self.streets = street_pool(rng)
        self.projects = [p.format(trade=trade_name(rng, 2)) for p in templates.PROJECTS for _ in range(60)]
        pools: dict[str, list[int]] = {k: [] for k in ALL_POOLS}
        for i, s in enumerate(subjects):
            if s.lb != "2":
                pools[_POOL_OF_CATEGORY[s.category]].append(i)
        pools[templates.PERSON] = list(adults)
        self.pools = pools
        self._union: dict[tuple[str, tuple[str, ...]], Pool] = {}
        # How often a subject turns up in decisions: companies vary a lot (chains, repeat offenders),
        # individual businesses a little, people not at all.
        self.activity = [rng.lognormvariate(0.0, ACTIVITY_SIGMA[s.lb]) for s in subjects]

    def _matching(self, letter: str, trades: tuple[str, ...]) -> list[int]:
        """The pool of one kind, narrowed to the trades when any subject of that kind has one of them."""
        pool = self.pools[letter]
        if not trades or letter == templates.PERSON:
            return pool
        wanted = set(trades)
        return [i for i in pool if self.subjects[i].trade in wanted] or pool

    def pool(self, targets: str, trades: tuple[str, ...] = ()) -> Pool:
        """Subjects a template may concern, with cumulative activity weights for drawing.

        Falls back to any subject in a very small city.
        """
        key = (targets, trades)
        found = self._union.get(key)
        if found is None:
            members = [i for t in targets for i in self._matching(t, trades)]
            if not members:
                members = [i for t in ALL_POOLS for i in self.pools[t]] or list(range(len(self.subjects)))
            found = self._union[key] = (members, list(accumulate(self.activity[i] for i in members)))
        return found
