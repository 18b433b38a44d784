"""Rows of 双公示 files: one licensing or penalty decision per row, in the schema's column order."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from itertools import accumulate

from xinyong.synth.amounts import draw_fine, draw_value, wan, yuan
from xinyong.synth.context import PARTY_FIELDS, CityContext, Pool
from xinyong.synth.dates import AS_OF, FOREVER, add_months, add_years, iso, zh
from xinyong.synth.layout import Layout, Schema
from xinyong.synth.plan import LICENSING, FileSpec
from xinyong.synth.regions import DISTRICTS
from xinyong.synth.templates import LicenceTemplate, PenaltyTemplate

CHUNK = 20000  # rows drawn and written per batch
LIST_SEPARATOR = ";"  # between several 处罚类别 in one cell
_SEVERE = {"08", "10", "11", "12", "13"}
_DISTRICT_SHORT = {d.name: d.short for d in DISTRICTS}
_LB, _REG_NUMBER, _REP_ID_TYPE, _REP_ID, _ID_TYPE = (
    PARTY_FIELDS.index(f) for f in ("XDR_LB", "XDR_GSZC", "FR_ZJLX", "FR_ZJHM", "XDR_ZJLX")
)


class RowFactory:
    """Common part: the counterparty columns, the authority columns, subject and date draws."""

    def __init__(self, spec: FileSpec, schema: Schema, layout: Layout, ctx: CityContext, rng: random.Random):
        self.spec, self.schema, self.ctx, self.rng = spec, schema, ctx, rng
        self.width = len(schema.fields)
        self.prefix = schema.fields[0].code.split("_")[0]
        self.party_cols = [self.col(f) for f in PARTY_FIELDS]
        labels = spec.style.values == "label"
        self.enums = {
            name: (dict(values) if labels else {c: c for c in values})
            for name, values in layout.enums.items()
        }
        self.legacy_share = 0.6 if spec.style.header == "code" else 0.3
        self.rep_ids = spec.style.header == "code"  # data-exchange files carry the legal representative's ID
        self.fixed_decimals = spec.style.header == "code"
        self.doc_seq: dict[int, int] = {}
        self.authority: list[tuple[int, str]] = []  # set by the subclass

    def col(self, suffix: str) -> int:
        return self.schema.index(f"{self.prefix}_{suffix}" if suffix != "BZ" else "BZ")

    def new_row(self, subject: int) -> list[str]:
        row = [""] * self.width
        party = self.ctx.parties[subject]
        for i, v in zip(self.party_cols, party, strict=True):
            row[i] = v
        c = self.party_cols  # positions follow PARTY_FIELDS
        lb, ids = self.enums["counterparty_category"], self.enums["id_document_type"]
        row[c[_LB]] = lb[party[_LB]]
        if party[_ID_TYPE]:
            row[c[_ID_TYPE]] = ids[party[_ID_TYPE]]
        if party[_REP_ID_TYPE] and self.rep_ids:
            row[c[_REP_ID_TYPE]] = ids[party[_REP_ID_TYPE]]
        else:
            row[c[_REP_ID_TYPE]] = row[c[_REP_ID]] = ""
        if party[_REG_NUMBER] and self.rng.random() >= self.legacy_share:
            row[c[_REG_NUMBER]] = row[c[_REG_NUMBER + 1]] = row[c[_REG_NUMBER + 2]] = (
                ""  # 工商注册号, 组织机构代码, 税务登记号
            )
        return row

    def party_on(self, pool: Pool, day: int) -> tuple[int, int]:
        """A subject that existed on ``day``; after a few misses, the day moves past the registration."""
        rng, subjects = self.rng, self.ctx.subjects
        for _ in range(8):
            subject = rng.choices(pool[0], cum_weights=pool[1])[0]
            registered = subjects[subject].registered
            if day >= registered:
                return subject, day
        return subject, registered + rng.randrange(AS_OF - registered + 1)

    def doc_number(self, fmt: str, day: int, subject: int) -> str:
        year = int(iso(day)[:4])
        seq = self.doc_seq.get(year, 0) + 1
        self.doc_seq[year] = seq
        district = self.ctx.subjects[subject].district
        branch = _DISTRICT_SHORT.get(district) or DISTRICTS[seq % len(DISTRICTS)].short
        return fmt.format(year=year, seq=seq, branch=branch)

    def place(self, subject: int) -> str:
        s = self.ctx.subjects[subject]
        return s.address or self.rng.choice(self.ctx.streets)

    def authority_cells(self, *suffixes: str) -> list[tuple[int, str]]:
        """(column, value) of the deciding organ and the data source: name, USCC, name, USCC."""
        unit = self.spec.unit
        values = (unit.name_zh, unit.uscc, unit.name_zh, unit.uscc)
        return [(self.col(s), v) for s, v in zip(suffixes, values, strict=True)]

    def fill_authority(self, row: list[str]) -> None:
        for i, v in self.authority:
            row[i] = v

    def rows(self, count: int) -> Iterator[list[list[str]]]:
        """Batches of rows (the last one may be short)."""
        done = 0
        while done < count:
            n = min(CHUNK, count - done)
            days = self.ctx.days.draw(self.rng, n)
            yield [self.row(d) for d in days]
            done += n

    def row(self, day: int) -> list[str]:
        raise NotImplementedError


class LicensingFactory(RowFactory):
    def __init__(self, spec: FileSpec, schema: Schema, layout: Layout, ctx: CityContext, rng: random.Random):
        super().__init__(spec, schema, layout, ctx, rng)
        self.templates = spec.profile.licences
        self.indices = list(range(len(self.templates)))
        self.cum_weights = list(accumulate(t.weight for t in self.templates))
        self.pools = [ctx.pool(t.targets, t.trades) for t in self.templates]
        self.authority = self.authority_cells("XKJG", "XKJGDM", "LYDW", "LYDWDM")
        self.number_seq = [0] * len(self.templates)
        self.c = {
            k: self.col(k)
            for k in ("XKWS", "WSH", "XKLB", "XKZS", "XKBH", "NR", "JDRQ", "YXQZ", "YXQZI", "ZT", "BZ")
        }

    def row(self, day: int) -> list[str]:
        rng, c = self.rng, self.c
        k = rng.choices(self.indices, cum_weights=self.cum_weights)[0]
        t = self.templates[k]
        subject, day = self.party_on(self.pools[k], day)
        row = self.new_row(subject)
        row[c["WSH"]] = self.doc_number(self.spec.profile.licence_doc, day, subject)
        row[c["XKWS"]] = t.doc
        row[c["XKLB"]] = self.enums["licence_category"][t.category]
        row[c["XKZS"]] = t.cert
        row[c["XKBH"]] = self.licence_number(k, t, day, subject)
        row[c["NR"]] = t.content.format(
            name=row[self.party_cols[0]],
            item=rng.choice(t.items),
            address=self.place(subject),
            project=rng.choice(self.ctx.projects),
            investment=yuan(draw_value(rng, 1_000_000, 500_000_000)),
        )
        self.fill_dates(row, day, t)
        self.fill_authority(row)
        r = rng.random()
        row[c["BZ"]] = "延续" if r < 0.04 else "变更" if r < 0.06 else ""
        return row

    def licence_number(self, k: int, t: LicenceTemplate, day: int, subject: int) -> str:
        if not t.number:
            return ""
        self.number_seq[k] += 1
        s = self.ctx.subjects[subject]
        year = iso(day)[:4]
        return t.number.format(
            region=s.region_code if s.lb != "2" else "440300",
            year=year,
            year2=year[2:],
            seq=self.number_seq[k],
            seq2=self.rng.randrange(1000),
            uscc=s.uscc,
        )

    def fill_dates(self, row: list[str], day: int, t: LicenceTemplate) -> None:
        rng, c = self.rng, self.c
        start = day if rng.random() < 0.8 else day + rng.randint(1, 10)
        row[c["JDRQ"]], row[c["YXQZ"]] = iso(day), iso(start)
        status = "1"
        if t.years:
            until = add_years(start, t.years) - 1
            row[c["YXQZI"]] = iso(until)
            if until < AS_OF and rng.random() < 0.85:
                status = "2"
        else:
            row[c["YXQZI"]] = FOREVER
        if rng.random() < 0.003:
            status = "3"
        row[c["ZT"]] = self.enums["record_status"][status]


class PenaltyFactory(RowFactory):
    def __init__(self, spec: FileSpec, schema: Schema, layout: Layout, ctx: CityContext, rng: random.Random):
        super().__init__(spec, schema, layout, ctx, rng)
        self.templates = spec.profile.penalties
        self.indices = list(range(len(self.templates)))
        self.cum_weights = list(accumulate(t.weight for t in self.templates))
        self.pools = [ctx.pool(t.targets, t.trades) for t in self.templates]
        self.authority = self.authority_cells("CFJG", "CFJGDM", "SJLY", "SJLYDM")
        self.combos = [
            ([tuple(cs.split(";")) for cs, _ in t.categories], [w for _, w in t.categories])
            for t in self.templates
        ]
        self.fill_publicity_end = rng.random() < 0.7
        self.c = {
            k: self.col(k)
            for k in (
                "WSH",
                "WFXW",
                "SY",
                "YJ",
                "CFLB",
                "NR",
                "NR_FK",
                "NR_WFFF",
                "NR_ZKDX",
                "JDRQ",
                "YXQ",
                "GSJZQ",
                "BZ",
            )
        }

    def row(self, day: int) -> list[str]:
        rng, c = self.rng, self.c
        k = rng.choices(self.indices, cum_weights=self.cum_weights)[0]
        t = self.templates[k]
        subject, day = self.party_on(self.pools[k], day)
        row = self.new_row(subject)
        codes = rng.choices(*self.combos[k])[0]
        row[c["WSH"]] = self.doc_number(self.spec.profile.penalty_doc, day, subject)
        row[c["WFXW"]], row[c["YJ"]] = t.violation, t.basis
        labels = self.enums["penalty_category"]
        row[c["CFLB"]] = LIST_SEPARATOR.join(labels[x] for x in codes)
        value = draw_value(rng)
        gain = int(value * rng.uniform(0.05, 0.6))
        row[c["SY"]] = t.facts.format(
            name=row[self.party_cols[0]],
            when=zh(day - rng.randint(5, 90)),
            address=self.place(subject),
            item=rng.choice(t.items),
            value=yuan(value),
            gain=yuan(gain),
            count=rng.randint(2, 30),
            project=rng.choice(self.ctx.projects),
            investment=yuan(draw_value(rng, 1_000_000, 500_000_000)),
            ratio=f"{rng.uniform(0.1, 3.0):.2f}",
        )
        fine = draw_fine(rng, *t.fine) if "03" in codes else 0
        row[c["NR"]] = self.content(row, codes, t, fine, gain, subject)
        self.fill_dates(row, day, codes, fine)
        self.fill_authority(row)
        row[c["BZ"]] = "已履行" if rng.random() < 0.05 else ""
        return row

    def content(
        self, row: list[str], codes: tuple[str, ...], t: PenaltyTemplate, fine: int, gain: int, subject: int
    ) -> str:
        rng, c = self.rng, self.c
        parts, confiscated = [], 0
        for code in codes:
            if code == "03":
                row[c["NR_FK"]] = wan(fine, self.fixed_decimals)
                parts.append(f"罚款人民币{yuan(fine)}元")
            elif code == "04":
                confiscated += gain
                parts.append(f"没收违法所得人民币{yuan(gain)}元")
            elif code == "05":
                goods = draw_value(rng, 100, 50000)
                confiscated += goods
                parts.append(f"没收非法财物（价值人民币{yuan(goods)}元）")
            elif code in ("06", "08"):
                row[c["NR_ZKDX"]] = self.licence_named(t, subject)
                parts.append(("暂扣" if code == "06" else "吊销") + row[c["NR_ZKDX"]])
            else:
                parts.append(_OTHER_CONTENT[code](rng))
        if confiscated:
            row[c["NR_WFFF"]] = wan(confiscated, self.fixed_decimals)
        return "；".join(parts)

    def licence_named(self, t: PenaltyTemplate, subject: int) -> str:
        s = self.ctx.subjects[subject]
        if t.licence == "营业执照" and s.uscc:
            return f"营业执照（统一社会信用代码：{s.uscc}）"
        return f"{t.licence or '许可证件'}（编号：{self.rng.randrange(10**9, 10**10)}）"

    def fill_dates(self, row: list[str], day: int, codes: tuple[str, ...], fine: int) -> None:
        c = self.c
        if set(codes) <= {"01", "02"}:
            until = add_months(day, 3)
        elif _SEVERE.intersection(codes) or fine >= 100_000_000:
            until = add_years(day, 3)
        else:
            until = add_years(day, 1)
        row[c["JDRQ"]], row[c["YXQ"]] = iso(day), iso(until)
        if self.fill_publicity_end:
            row[c["GSJZQ"]] = iso(until)


_OTHER_CONTENT: dict[str, Callable[[random.Random], str]] = {
    "01": lambda rng: "警告",
    "02": lambda rng: "通报批评",
    "07": lambda rng: "降低资质等级",
    "09": lambda rng: f"限制开展生产经营活动{rng.choice((1, 3, 6))}个月",
    "10": lambda rng: f"责令停产停业{rng.choice((15, 30, 90))}日",
    "11": lambda rng: "责令关闭",
    "12": lambda rng: f"限制从业{rng.choice((3, 6))}个月",
    "13": lambda rng: f"行政拘留{rng.choice(('五', '七', '十', '十五'))}日",
    "99": lambda rng: rng.choice(
        ("一年内禁止参加政府采购活动", "限期停止活动三个月", "列入不良行为记录名单")
    ),
}


def factory_for(spec: FileSpec, layout: Layout, ctx: CityContext, rng: random.Random) -> RowFactory:
    if spec.record_type == LICENSING:
        return LicensingFactory(spec, layout.licensing, layout, ctx, rng)
    return PenaltyFactory(spec, layout.penalty, layout, ctx, rng)
