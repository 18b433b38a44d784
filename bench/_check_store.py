"""The synthetic store of ``bench/check.py``: subjects, identifiers, names and 双公示 records,
bulk-loaded straight into a migrated SQLite or PostgreSQL database.

This is NOT the ingestion path (no validation, no batches, no events): the benchmark measures the
one-click check, and a store of 1,000,000 subjects and 10,000,000 records has to be built in
minutes. The rows are shaped like what ingestion stores:

* subjects: ids from ``subject_id_for(scheme, value)``, valid USCCs (types 91, 92, 12, 51-53, check
  characters from ``xinyong.ids``) or 18-digit resident ID numbers, names drawn with
  ``xinyong.synth.names`` (organisation names unique), ``name_search = normalise_name(name)``;
* subject_identifiers: ``uscc`` and ``organisation_code`` (``XXXXXXXX-X``) of organisations,
  ``resident_id`` of people; subject_names: one row per subject (its registration date);
* records: licensing and penalty decisions drawn from ``xinyong.synth.profiles`` (each unit's
  templates, texts and laws), field values in the normalised form ingestion stores (enum codes,
  lists for 处罚类别, ISO dates, 万元 decimals as text), canonical JSON, content ids as
  ``xinyong.ingest.drafts.content_id``; penalty tiers from ``classify_penalty_tier`` with the rule
  set in force on the decision date; decision dates 2019-01-01 … 2026-11-27; status current;
  items ``administrative_licensing`` / ``administrative_penalty`` / ``market_regulation_penalty``
  (the latter for the market regulator, as the catalog says); units from the items' source units.

Records per subject follow a skewed (log-normal) distribution like the synthetic city's: most
subjects have a handful, a few have hundreds. Records are generated in worker processes (fork),
deterministically from the seed, chunk by chunk.
"""

from __future__ import annotations

import gc
import importlib.util
import math
import multiprocessing
import queue
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache, partial
from itertools import accumulate
from typing import Any

from xinyong.catalog import Catalog
from xinyong.domain.publicity import classify_penalty_tier, ruleset_in_force
from xinyong.ids import org_code_check_char, resident_id_check_char, uscc_check_char
from xinyong.ingest.drafts import canonical_fields, content_id
from xinyong.search.normalise import normalise_name
from xinyong.services.registry import subject_id_for
from xinyong.settings import PACKAGE_DIR
from xinyong.synth import names as synth
from xinyong.synth.amounts import draw_fine, draw_value, wan, yuan
from xinyong.synth.dates import AS_OF, FOREVER, START, iso
from xinyong.synth.dates import add_months as _add_months
from xinyong.synth.dates import zh as _zh
from xinyong.synth.profiles import PROFILES

STAMP = str(datetime(2026, 11, 28, 2, 0, 0, 123456, tzinfo=UTC))  # as sqlite3 stores a datetime
DISTRICTS = (  # Shenzhen: (region code, district)
    ("440303", "罗湖区"),
    ("440304", "福田区"),
    ("440305", "南山区"),
    ("440306", "宝安区"),
    ("440307", "龙岗区"),
    ("440308", "盐田区"),
    ("440309", "龙华区"),
    ("440310", "坪山区"),
    ("440311", "光明区"),
)
PROJECT_STEMS = ("华润", "万科", "招商", "卓越", "星河", "前海", "科兴", "海岸", "宝能")
ROADS = (
    "深南大道",
    "滨海大道",
    "北环大道",
    "宝安大道",
    "龙岗大道",
    "新安六路",
    "春风路",
    "科技园路",
    "布吉路",
)
BIRTH_REGIONS = ("440301", "440303", "440305", "440306", "430103", "412922", "450102", "360102", "350102")
BASE31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet (no I, O, S, V, Z)
KIND_SHARES = (  # (kind, letter of xinyong.synth.templates targets, USCC type, share)
    ("enterprise", "E", "91", 0.595),
    ("enterprise", "B", "92", 0.105),  # 个体工商户
    ("individual", "I", "", 0.25),
    ("public_institution", "P", "12", 0.03),
    ("social_organisation", "S", "5", 0.02),
)
NO_RECORDS_SHARE = 0.07  # subjects with no record at all
SIGMA = 1.1  # log-normal spread of records per subject
MAX_WEIGHT = 60.0  # the heaviest subjects: about 35 times the mean (the synthetic city's 341 for 10.6)
SERIOUS = {"08", "10", "11", "12", "13"}
OTHER_CONTENT = {
    "01": "警告",
    "02": "通报批评",
    "07": "降低资质等级",
    "09": "限制开展生产经营活动三个月",
    "10": "责令停产停业三十日",
    "11": "责令关闭",
    "12": "限制从业六个月",
    "13": "行政拘留十日",
    "99": "列入不良行为记录名单",
}
SUBJECT_COLUMNS = (
    "id",
    "kind",
    "id_scheme",
    "id_value",
    "name",
    "name_search",
    "legal_representative",
    "registered_on",
    "region",
    "is_individual_business",
    "created_at",
    "updated_at",
)
IDENTIFIER_COLUMNS = ("scheme", "value", "subject_id", "source", "created_at")
NAME_COLUMNS = ("subject_id", "name", "valid_from", "recorded_at", "source")
RECORD_COLUMNS = (
    "id",
    "item_code",
    "catalog_version",
    "subject_id",
    "unit_code",
    "document_number",
    "decision_date",
    "tier",
    "fields",
    "status",
    "first_seen_at",
    "last_seen_at",
)
SOURCE = "bench:check"
CHUNK_SUBJECTS = 5000  # subjects per generation chunk (records follow them)


@dataclass(frozen=True, slots=True)
class Subject:
    id: str
    kind: str
    letter: str  # E, B, I, P, S (xinyong.synth.templates)
    scheme: str
    value: str  # USCC or resident ID
    name: str
    rep: str  # legal representative ("" for people)
    registered: int  # ordinal (0 for people)
    region: str
    org_code: str  # XXXXXXXX-X ("" for people)


# ---------------------------------------------------------------------------------------------
# Subjects


def _base31(i: int, width: int) -> str:
    out = []
    for _ in range(width):
        i, r = divmod(i, 31)
        out.append(BASE31[r])
    return "".join(reversed(out))


def _org_code(i: int, prefix: str) -> str:
    body = prefix + _base31(i, 8 - len(prefix))  # unique per subject index
    return body + org_code_check_char(body)


_YEARS = list(range(1990, 2027))
_YEAR_CUM = list(
    accumulate(0.3 if y < 2000 else 0.7 if y < 2010 else 1.0 if y < 2014 else 2.6 for y in _YEARS)
)


def make_subjects(n: int, seed: int) -> list[Subject]:
    """``n`` subjects (about 70 % enterprises, 25 % people, 3 % institutions, 2 % associations)."""
    rng = random.Random(seed)
    unique = synth.UniqueNames()
    cum = list(accumulate(share for *_, share in KIND_SHARES))
    resident_ids: set[str] = set()
    out: list[Subject] = []
    for i in range(n):
        kind, letter, type_code, _ = KIND_SHARES[_pick(rng.random() * cum[-1], cum)]
        if letter == "I":
            male = rng.random() < 0.52
            birth = date(1950, 1, 1).toordinal() + rng.randrange(50 * 365)
            while True:
                first17 = f"{rng.choice(BIRTH_REGIONS)}{iso(birth).replace('-', '')}{rng.randrange(1000):03d}"
                rid = first17 + resident_id_check_char(first17)
                if rid not in resident_ids:
                    resident_ids.add(rid)
                    break
                birth += 1
            name = synth.person_name(rng, male)
            out.append(
                Subject(
                    subject_id_for("resident_id", rid), kind, letter, "resident_id", rid, name, "", 0, "", ""
                )
            )
            continue
        region, district = rng.choice(DISTRICTS)
        make: Callable[[int], tuple[str, str]]
        if letter == "E":
            make = partial(synth.enterprise_name, rng)
        elif letter == "B":
            make = partial(synth.shop_name, rng, district, synth.surname(rng))
        elif letter == "P":
            make = partial(synth.institution_name, rng, district)
        else:
            type_code = rng.choices(("51", "52", "53"), (55, 38, 7))[0]
            make = partial(synth.association_name, rng, type_code)
        name = unique.draw(make)[0]
        org = _org_code(i, "MA5" if letter in "EB" else "MB" if letter == "P" else "MJ")
        first17 = type_code + region + org
        uscc = first17 + uscc_check_char(first17)
        year = _YEARS[_pick(rng.random() * _YEAR_CUM[-1], _YEAR_CUM)]
        registered = min(date(year, 1, 1).toordinal() + rng.randrange(365), AS_OF)
        rep = synth.person_name(rng, rng.random() < 0.7)
        out.append(
            Subject(
                subject_id_for("uscc", uscc),
                kind,
                letter,
                "uscc",
                uscc,
                name,
                rep,
                registered,
                region,
                f"{org[:8]}-{org[8]}",
            )
        )
    return out


def _pick(x: float, cum: Sequence[float]) -> int:
    for i, c in enumerate(cum):
        if x < c:
            return i
    return len(cum) - 1


def subject_rows(subjects: Sequence[Subject]) -> Iterator[tuple[Any, ...]]:
    for s in subjects:
        yield (
            s.id,
            s.kind,
            s.scheme,
            s.value,
            s.name,
            normalise_name(s.name),
            s.rep or None,
            iso(s.registered) if s.registered else None,
            s.region or None,
            s.letter == "B",
            STAMP,
            STAMP,
        )


def identifier_rows(subjects: Sequence[Subject]) -> Iterator[tuple[Any, ...]]:
    for s in subjects:
        yield (s.scheme, s.value, s.id, SOURCE, STAMP)
        if s.org_code:
            yield ("organisation_code", s.org_code, s.id, SOURCE, STAMP)


def name_rows(subjects: Sequence[Subject]) -> Iterator[tuple[Any, ...]]:
    for s in subjects:
        yield (s.id, s.name, iso(s.registered) if s.registered else None, STAMP, SOURCE)


def record_counts(n_subjects: int, n_records: int, seed: int) -> list[int]:
    """Records per subject: log-normal weights, NO_RECORDS_SHARE with none, summing to n_records."""
    rng = random.Random(seed + 7)
    weights = [
        0.0 if rng.random() < NO_RECORDS_SHARE else min(rng.lognormvariate(0, SIGMA), MAX_WEIGHT)
        for _ in range(n_subjects)
    ]
    total = sum(weights) or 1.0
    counts = [int(n_records * w / total) for w in weights]
    short = n_records - sum(counts)
    order = sorted(range(n_subjects), key=lambda i: weights[i], reverse=True)
    for k in range(short):  # the remainder to the heaviest subjects, one each
        counts[order[k % n_subjects]] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Records


VARIANTS = 48  # pre-drawn variants of each template (texts, amounts, penalty kinds)
_KEEP = {"name": "{name}", "address": "{address}", "when": "{when}"}  # filled per record


@dataclass(frozen=True, slots=True)
class Variant:
    """One pre-drawn decision of a template: constant fields and the texts still to be filled."""

    constant: tuple[tuple[str, Any], ...]
    texts: tuple[tuple[str, str], ...]  # (field, format string with {name} {address} {when})
    when_days: int  # days between the facts and the decision
    months: int  # validity of a penalty (months) or a licence (years * 12); 0 = no expiry
    publicity_end: bool
    codes: tuple[str, ...]
    fine_wan: Decimal | None


@dataclass(frozen=True)
class Choice:
    item: str
    unit: str
    doc_format: str
    licence: bool
    number: str  # licence number format ("" when none)
    variants: tuple[Variant, ...]


class RecordMaker:
    """Draws records for subjects; deterministic per (seed, chunk). Each template's texts and
    amounts are pre-drawn as VARIANTS variants; the counterparty, dates, document number and the
    ids are per record."""

    def __init__(self, catalog: Catalog, seed: int = 1) -> None:
        self.version = catalog.version
        self.catalog = catalog
        rng = random.Random(seed)
        allowed = {code: set(catalog.items[code].source_units) for code in ITEMS}
        self.by_letter: dict[str, tuple[list[Choice], list[float]]] = {}
        made: dict[tuple[str, int, bool], Choice] = {}
        for letter in "EBIPS":
            choices: list[Choice] = []
            weights: list[float] = []
            for code, profile in PROFILES.items():
                unit = catalog.units.get(code)
                if unit is None:
                    continue
                authority = (unit.name_zh, unit.uscc)
                lic_total = sum(t.weight for t in profile.licences) or 1
                pen_total = sum(t.weight for t in profile.penalties) or 1
                if code in allowed["administrative_licensing"]:
                    for k, t in enumerate(profile.licences):
                        if letter in t.targets:
                            key = (code, k, True)
                            if key not in made:
                                made[key] = Choice(
                                    "administrative_licensing",
                                    code,
                                    profile.licence_doc,
                                    True,
                                    t.number,
                                    tuple(_licence_variant(rng, t, authority) for _ in range(VARIANTS)),
                                )
                            choices.append(made[key])
                            weights.append(profile.licence_weight * t.weight / lic_total)
                item = "market_regulation_penalty" if code == "sz_samr" else "administrative_penalty"
                if code in allowed[item]:
                    for k, p in enumerate(profile.penalties):
                        if letter in p.targets:
                            key = (code, k, False)
                            if key not in made:
                                made[key] = Choice(
                                    item,
                                    code,
                                    profile.penalty_doc,
                                    False,
                                    "",
                                    tuple(_penalty_variant(rng, p, authority) for _ in range(VARIANTS)),
                                )
                            choices.append(made[key])
                            weights.append(profile.penalty_weight * p.weight / pen_total)
            self.by_letter[letter] = (choices, list(accumulate(weights)))
        self._tiers: dict[tuple[str, str, int, str], str] = {}
        self._rulesets: dict[tuple[str, int], Any] = {}

    def _tier(self, item_code: str, day: int, variant: Variant, lb: str) -> str:
        item = self.catalog.items[item_code]
        if not item.publicity:
            return item.tier.value
        key = (item.publicity, day)
        if key not in self._rulesets:
            try:
                self._rulesets[key] = ruleset_in_force(self.catalog, item.publicity, date.fromordinal(day))
            except Exception:  # no rule set in force: the item's default tier
                self._rulesets[key] = None
        ruleset = self._rulesets[key]
        if ruleset is None:
            return item.tier.value
        tkey = (ruleset.code, item_code, id(variant), lb)
        tier = self._tiers.get(tkey)
        if tier is None:
            tier = self._tiers[tkey] = classify_penalty_tier(
                ruleset, variant.codes, variant.fine_wan, lb
            ).value
        return tier

    def records(
        self, subjects: Sequence[Subject], counts: Sequence[int], seed: int, first: int
    ) -> list[tuple[Any, ...]]:
        rng = random.Random(seed)
        out: list[tuple[Any, ...]] = []
        seq = first
        randrange, version = rng.randrange, self.version
        for s, n in zip(subjects, counts, strict=True):
            if not n:
                continue
            choices, cum = self.by_letter[s.letter]
            if not choices:
                continue
            earliest = max(START, s.registered)
            span = AS_OF - earliest + 1
            party = _party(s, rng)
            address = _address(s, rng)
            lb = "2" if s.letter == "I" else "3" if s.letter == "B" else "1"
            for c in rng.choices(choices, cum_weights=cum, k=n):
                seq += 1
                day = earliest + randrange(span)
                decided = iso(day)
                year = decided[:4]
                v = c.variants[randrange(VARIANTS)]
                doc = c.doc_format.format(year=year, seq=seq, branch="南山")
                values = dict(v.constant)
                when = zh(day - v.when_days)
                for f, text in v.texts:
                    values[f] = text.format(name=s.name, address=address, when=when)
                if c.licence:
                    prefix = "XK"
                    values["XK_WSH"] = doc
                    values["XK_JDRQ"] = values["XK_YXQZ"] = decided
                    values["XK_YXQZI"] = iso(add_months(day, v.months) - 1) if v.months else FOREVER
                    if c.number:
                        values["XK_XKBH"] = c.number.format(
                            region=s.region or "440300",
                            year=year,
                            year2=year[2:],
                            seq=seq % 10_000_000,
                            seq2=randrange(1000),
                            uscc=s.value,
                        )
                    tier = "neutral"
                else:
                    prefix = "CF"
                    values["CF_WSH"] = doc
                    values["CF_JDRQ"] = decided
                    values["CF_YXQ"] = until = iso(add_months(day, v.months))
                    if v.publicity_end:
                        values["CF_GSJZQ"] = until
                    tier = self._tier(c.item, day, v, lb)
                for f, value in party:
                    values[prefix + f] = value
                fields = canonical_fields(values)
                rid = content_id(c.item, c.unit, s.id, fields)
                out.append(
                    (rid, c.item, version, s.id, c.unit, doc, decided, tier, fields, "current", STAMP, STAMP)
                )
        return out


def _party(s: Subject, rng: random.Random) -> list[tuple[str, str]]:
    """Counterparty fields (without the CF/XK prefix) of a subject's records."""
    if s.letter == "I":
        return [("_XDR_MC", s.name), ("_XDR_LB", "2"), ("_XDR_ZJLX", "001"), ("_XDR_ZJHM", s.value)]
    out = [("_XDR_MC", s.name), ("_XDR_LB", "3" if s.letter == "B" else "1"), ("_XDR_SHXYM", s.value)]
    if s.letter != "B":
        out.append(("_FRDB", s.rep))
    if rng.random() < 0.3:
        out.append(("_XDR_ZZJG", s.org_code))
    return out


def _address(s: Subject, rng: random.Random) -> str:
    district = next((d for r, d in DISTRICTS if r == s.region), rng.choice(DISTRICTS)[1])
    return f"深圳市{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号"


def _fill(rng: random.Random, template: Any, value: int, gain: int) -> dict[str, Any]:
    return {
        **_KEEP,
        "item": rng.choice(template.items),
        "value": yuan(value),
        "gain": yuan(gain),
        "count": rng.randint(2, 30),
        "project": f"{rng.choice(PROJECT_STEMS)}大厦",
        "investment": yuan(draw_value(rng, 1_000_000, 500_000_000)),
        "ratio": f"{rng.uniform(0.1, 3.0):.2f}",
    }


def _licence_variant(rng: random.Random, t: Any, authority: tuple[str, str]) -> Variant:
    constant: dict[str, Any] = {"XK_XKWS": t.doc, "XK_XKLB": t.category, "XK_ZT": "1"}
    if t.cert:
        constant["XK_XKZS"] = t.cert
    constant["XK_XKJG"] = constant["XK_LYDW"] = authority[0]
    constant["XK_XKJGDM"] = constant["XK_LYDWDM"] = authority[1]
    if rng.random() < 0.06:
        constant["BZ"] = "延续" if rng.random() < 0.6 else "变更"
    texts = (("XK_NR", t.content.format(**_fill(rng, t, 0, 0))),)
    return Variant(tuple(constant.items()), texts, 0, 12 * t.years, False, (), None)


def _penalty_variant(rng: random.Random, t: Any, authority: tuple[str, str]) -> Variant:
    codes = tuple(rng.choices([cs.split(";") for cs, _ in t.categories], [w for _, w in t.categories])[0])
    value = draw_value(rng)
    gain = int(value * rng.uniform(0.05, 0.6))
    constant: dict[str, Any] = {"CF_WFXW": t.violation, "CF_YJ": t.basis, "CF_CFLB": sorted(set(codes))}
    parts, confiscated, fine = [], 0, 0
    for code in codes:
        if code == "03":
            fine = draw_fine(rng, *t.fine)
            constant["CF_NR_FK"] = wan(fine)
            parts.append(f"罚款人民币{yuan(fine)}元")
        elif code == "04":
            confiscated += gain
            parts.append(f"没收违法所得人民币{yuan(gain)}元")
        elif code == "05":
            goods = draw_value(rng, 100, 50000)
            confiscated += goods
            parts.append(f"没收非法财物（价值人民币{yuan(goods)}元）")
        elif code in ("06", "08"):
            constant["CF_NR_ZKDX"] = f"{t.licence or '许可证件'}（编号：{rng.randrange(10**9, 10**10)}）"
            parts.append(("暂扣" if code == "06" else "吊销") + constant["CF_NR_ZKDX"])
        else:
            parts.append(OTHER_CONTENT.get(code, "其他"))
    if confiscated:
        constant["CF_NR_WFFF"] = wan(confiscated)
    constant["CF_NR"] = "；".join(parts)
    constant["CF_CFJG"] = constant["CF_SJLY"] = authority[0]
    constant["CF_CFJGDM"] = constant["CF_SJLYDM"] = authority[1]
    if rng.random() < 0.05:
        constant["BZ"] = "已履行"
    if set(codes) <= {"01", "02"}:
        months = 3
    elif SERIOUS.intersection(codes) or fine >= 100_000_000:
        months = 36
    else:
        months = 12
    texts = (("CF_SY", t.facts.format(**_fill(rng, t, value, gain))),)
    fine_wan = Decimal(constant["CF_NR_FK"]) if "CF_NR_FK" in constant else None
    return Variant(
        tuple(constant.items()), texts, rng.randint(5, 90), months, rng.random() < 0.7, codes, fine_wan
    )


@lru_cache(maxsize=65536)
def zh(ordinal: int) -> str:
    return _zh(ordinal)


@lru_cache(maxsize=262144)
def add_months(ordinal: int, months: int) -> int:
    return _add_months(ordinal, months)


ITEMS = ("administrative_licensing", "administrative_penalty", "market_regulation_penalty")

# state of the fork workers (set before the pool starts: inherited, not pickled)
_WORK: dict[str, Any] = {}


@dataclass
class Chunk:
    """Records of consecutive subjects: rows (SQLite) and, when asked, the same rows as the text
    of a PostgreSQL ``COPY … FROM STDIN`` (made in the worker, so the loading process only writes)."""

    rows: list[tuple[Any, ...]]
    copy_text: bytes | None = None


def copy_text(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """Rows in COPY's text format (tab-separated, backslash escapes, \\N for NULL)."""
    out = []
    for row in rows:
        out.append("\t".join("\\N" if v is None else _copy_escape(str(v)) for v in row))
    out.append("")
    return "\n".join(out).encode()


def _copy_escape(v: str) -> str:
    if "\\" in v:
        v = v.replace("\\", "\\\\")
    if "\t" in v or "\n" in v or "\r" in v:
        v = v.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return v


def _init_worker() -> None:
    gc.disable()  # a short-lived worker: the cyclic collector would only rescan the inherited heap
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # the parent's handlers are not ours
        signal.signal(s, signal.SIG_DFL if s != signal.SIGINT else signal.SIG_IGN)


def _chunk(k: int) -> Chunk:
    subjects, counts, firsts = _WORK["subjects"], _WORK["counts"], _WORK["firsts"]
    lo, hi = k * CHUNK_SUBJECTS, min((k + 1) * CHUNK_SUBJECTS, len(subjects))
    maker: RecordMaker = _WORK["maker"]
    rows = maker.records(subjects[lo:hi], counts[lo:hi], _WORK["seed"] * 1_000_003 + k, firsts[k])
    return Chunk(rows, copy_text(rows) if _WORK["copy_text"] else None)


def record_chunks(
    subjects: list[Subject],
    counts: list[int],
    catalog: Catalog,
    seed: int,
    workers: int,
    with_copy_text: bool = False,
) -> Iterator[Chunk]:
    """Chunks of record rows, in subject order, generated by ``workers`` forked processes."""
    n_chunks = math.ceil(len(subjects) / CHUNK_SUBJECTS)
    firsts = [0] * n_chunks
    total = 0
    for k in range(n_chunks):
        firsts[k] = total
        total += sum(counts[k * CHUNK_SUBJECTS : (k + 1) * CHUNK_SUBJECTS])
    _WORK.update(
        subjects=subjects,
        counts=counts,
        firsts=firsts,
        seed=seed,
        maker=RecordMaker(catalog, seed),
        copy_text=with_copy_text,
    )
    try:
        if workers <= 0:
            for k in range(n_chunks):
                yield _chunk(k)
            return
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            yield from pool.imap(_chunk, range(n_chunks), chunksize=1)
    finally:
        _WORK.clear()


# ---------------------------------------------------------------------------------------------
# Loading


def _migration_0002() -> Any:
    return _migration("0002_name_search.py")


def _migration_0011() -> Any:
    return _migration("0011_name_length_index.py")


def _migration_0012() -> Any:
    return _migration("0012_name_pairs_table.py")


def _migration(filename: str) -> Any:
    path = PACKAGE_DIR / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"_xinyong_migration_{filename[:4]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SECONDARY_TABLES = ("subjects", "subject_identifiers", "subject_names", "records", "subject_search_pairs")


@dataclass
class LoadTimes:
    """Seconds spent by one database's loader (generation not included)."""

    prepare_s: float = 0.0
    subjects_s: float = 0.0
    records_s: float = 0.0
    indexes_s: float = 0.0
    analyze_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.prepare_s + self.subjects_s + self.records_s + self.indexes_s + self.analyze_s


class Sink:
    """One database being loaded: prepare, subjects, record chunks, finish (each timed)."""

    label = ""

    def __init__(self) -> None:
        self.times = LoadTimes()

    def prepare(self) -> None: ...

    def subjects(self, subjects: Sequence[Subject]) -> None: ...

    wants_copy_text = False
    times_itself = False  # records_s measured by the sink (a writer thread), not around records()

    def records(self, chunk: Chunk) -> None: ...

    def indexes(self) -> None: ...

    def analyze(self) -> None: ...

    def close(self) -> None: ...


class SqliteSink(Sink):
    """A migrated SQLite file, loaded with executemany in big transactions (journal off,
    synchronous off). Its secondary indexes and the FTS triggers are dropped during the load and
    created again afterwards, the FTS indexes filled in one statement each as migrations 0002 and
    0011 fill them.
    No ANALYZE unless asked: the platform never runs it, so a real store has no sqlite_stat1."""

    label = "sqlite"
    COMMIT_EVERY = 1_000_000

    def __init__(self, path: str, analyze: bool = False) -> None:
        super().__init__()
        self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.run_analyze = analyze
        self.m2 = _migration_0002()
        self.m10 = _migration_0011()
        self.ddl: list[str] = []
        self.pending = 0

    def prepare(self) -> None:
        con = self.con
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-2000000")  # 2 GB of page cache for the primary-key b-trees
        con.execute("PRAGMA temp_store=MEMORY")
        tables = ",".join(f"'{t}'" for t in SECONDARY_TABLES)
        indexes = con.execute(
            "SELECT name, sql FROM sqlite_master"
            f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({tables})"
        ).fetchall()
        self.ddl = [sql for _, sql in indexes]
        con.execute("BEGIN")
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        for trigger in (
            "subjects_search_ai",
            "subjects_search_au",
            "subjects_search_ad",
            *self.m10.TRIGGER_NAMES,
        ):
            con.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        con.execute("COMMIT")

    def subjects(self, subjects: Sequence[Subject]) -> None:
        con = self.con
        con.execute("BEGIN")
        con.executemany(_insert_sql("subjects", SUBJECT_COLUMNS), subject_rows(subjects))
        con.executemany(_insert_sql("subject_identifiers", IDENTIFIER_COLUMNS), identifier_rows(subjects))
        con.executemany(_insert_sql("subject_names", NAME_COLUMNS), name_rows(subjects))
        con.execute("COMMIT")
        con.execute("BEGIN")

    def records(self, chunk: Chunk) -> None:
        self.con.executemany(_insert_sql("records", RECORD_COLUMNS), chunk.rows)
        self.pending += len(chunk.rows)
        if self.pending >= self.COMMIT_EVERY:
            self.con.execute("COMMIT")
            self.con.execute("BEGIN")
            self.pending = 0

    def indexes(self) -> None:
        con = self.con
        con.execute("COMMIT")
        con.execute("BEGIN")
        for ddl in self.ddl:
            con.execute(ddl)
        con.execute(self.m2.SQLITE_FILL)
        con.execute(self.m10.FILL)
        for trigger in (*self.m2.SUBJECT_TRIGGERS, *self.m10.TRIGGERS):
            con.execute(trigger)
        con.execute("COMMIT")

    def analyze(self) -> None:
        if self.run_analyze:  # the platform itself never runs ANALYZE: off unless asked
            self.con.execute("ANALYZE")
        self.con.execute("PRAGMA journal_mode=WAL")  # what the platform's engine uses

    def close(self) -> None:
        self.con.close()


class PostgresSink(Sink):
    """A migrated PostgreSQL database, loaded with COPY from a thread of its own (so the server
    parses while SQLite inserts). Its secondary (non-constraint) indexes, the GIN name indexes
    included, and the records' primary key are dropped during the load and created again
    afterwards; foreign-key triggers are skipped during the load (``session_replication_role =
    replica``: the rows are consistent by construction); then VACUUM ANALYZE (the state autovacuum
    keeps tables in)."""

    label = "postgresql"
    wants_copy_text = True
    times_itself = True
    COMMIT_EVERY = 1_000_000
    RECORDS_KEY = "pk_records"  # no foreign key refers to records: dropped during the load

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.raw = engine.raw_connection()
        self.conn: Any = self.raw.driver_connection
        self.ddl: list[str] = []
        self.pending = 0
        self.queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=4)
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def prepare(self) -> None:
        conn = self.conn
        conn.autocommit = True
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
            " AND i.tablename = ANY(%s) AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(SECONDARY_TABLES),),
        ).fetchall()
        key = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", (self.RECORDS_KEY,)
        ).fetchone()
        self.ddl = [f"ALTER TABLE records ADD CONSTRAINT {self.RECORDS_KEY} {key[0]}"] if key else []
        self.ddl += [ddl for _, ddl in indexes]
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        if key:
            conn.execute(f"ALTER TABLE records DROP CONSTRAINT {self.RECORDS_KEY}")

    def subjects(self, subjects: Sequence[Subject]) -> None:
        with self.conn.transaction():
            self._copy("subjects", SUBJECT_COLUMNS, subject_rows(subjects))
            self._copy("subject_identifiers", IDENTIFIER_COLUMNS, identifier_rows(subjects))
            self._copy("subject_names", NAME_COLUMNS, name_rows(subjects))
        self.conn.execute("BEGIN")
        self.thread = threading.Thread(target=self._writer, name="pg-copy", daemon=True)
        self.thread.start()

    def records(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise RuntimeError("the PostgreSQL load failed") from self.error
        self.queue.put(chunk)  # the writer thread times its own work

    def _writer(self) -> None:
        sql = f"COPY records ({', '.join(RECORD_COLUMNS)}) FROM STDIN"
        while (chunk := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the loading thread raises at its next chunk
            started = time.perf_counter()
            try:
                if chunk.copy_text is None:
                    self._copy("records", RECORD_COLUMNS, chunk.rows)
                else:
                    with self.conn.cursor() as cur, cur.copy(sql) as copy:
                        copy.write(chunk.copy_text)
                self.pending += len(chunk.rows)
                if self.pending >= self.COMMIT_EVERY:
                    self.conn.execute("COMMIT")
                    self.conn.execute("BEGIN")
                    self.pending = 0
            except BaseException as e:  # handed to the loading thread
                self.error = e
            self.times.records_s += time.perf_counter() - started

    def _join(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if self.error is not None:
            raise RuntimeError("the PostgreSQL load failed") from self.error

    def indexes(self) -> None:
        self._join()
        self.conn.execute("COMMIT")
        # the subjects' character pairs (migration 0012), which its triggers, off during the load,
        # did not write: filled in one statement, before their index
        self.conn.execute(_migration_0012().FILL)
        for ddl in self.ddl:
            self.conn.execute(ddl)

    def analyze(self) -> None:
        self.conn.execute("SET session_replication_role = origin")
        self.conn.execute("VACUUM ANALYZE")

    def close(self) -> None:
        if self.thread is not None:  # a failed load: stop the writer before closing
            self.error = self.error or RuntimeError("closed")
            self.queue.put(None)
            self.thread.join(timeout=60)
        self.raw.close()

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _timed(times: LoadTimes, attr: str, fn: Callable[..., None], *args: Any) -> None:
    started = time.perf_counter()
    fn(*args)
    setattr(times, attr, getattr(times, attr) + time.perf_counter() - started)


def load(
    sinks: Sequence[Sink],
    subjects: list[Subject],
    counts: list[int],
    catalog: Catalog,
    seed: int,
    workers: int,
    progress: Callable[[str], None],
) -> tuple[int, float]:
    """Generate the records once and feed every sink; (records, wall seconds of the load). The
    sinks build their indexes in parallel threads (the databases do the work, outside the GIL)."""
    started = time.perf_counter()
    for sink in sinks:
        _timed(sink.times, "prepare_s", sink.prepare)
        _timed(sink.times, "subjects_s", sink.subjects, subjects)
    done, next_report = 0, 1_000_000
    wants_text = any(s.wants_copy_text for s in sinks)
    for chunk in record_chunks(subjects, counts, catalog, seed, workers, wants_text):
        for sink in sinks:
            if sink.times_itself:
                sink.records(chunk)
            else:
                _timed(sink.times, "records_s", sink.records, chunk)
        done += len(chunk.rows)
        if done >= next_report:
            rate = done / (time.perf_counter() - started)
            progress(f"{done:,} records loaded ({rate:,.0f}/s)")
            next_report += 1_000_000

    def finish(sink: Sink) -> None:
        try:
            _timed(sink.times, "indexes_s", sink.indexes)
            _timed(sink.times, "analyze_s", sink.analyze)
        finally:
            sink.close()

    with ThreadPoolExecutor(len(sinks)) as pool:
        for future in [pool.submit(finish, sink) for sink in sinks]:
            future.result()
    return done, time.perf_counter() - started
