"""Which files a city gets, in which shape, and how many records each holds.

Source units export the way their systems do: most as UTF-8 CSV with Chinese headers, some with
a byte-order mark (saved from Excel), older systems in GB18030, data-exchange systems with the
XK_/CF_ code headers and coded values, and a few small units as XLSX workbooks.
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.synth.layout import Layout, Unit
from xinyong.synth.profiles import PROFILES
from xinyong.synth.templates import UnitProfile

LICENSING = "licensing"
PENALTY = "penalty"
LICENSING_SHARE = 0.6


@dataclass(frozen=True)
class Style:
    format: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | gb18030 ("" for xlsx)
    header: str  # zh (Chinese headers) | code (XK_/CF_ field codes)
    values: str  # label (Chinese enum labels) | code (enum codes)


UTF8 = Style("csv", "utf-8", "zh", "label")
BOM = Style("csv", "utf-8-sig", "zh", "label")
GBK = Style("csv", "gb18030", "zh", "label")
GBK_CODES = Style("csv", "gb18030", "zh", "code")
EXCHANGE = Style("csv", "utf-8", "code", "code")
XLSX = Style("xlsx", "", "zh", "label")
XLSX_CODES = Style("xlsx", "", "code", "code")

STYLE_OF_UNIT: dict[str, Style] = {
    "sz_samr": UTF8,
    "sz_housing": UTF8,
    "sz_environment": UTF8,
    "sz_health": UTF8,
    "sz_urban": UTF8,
    "sz_water": UTF8,
    "sz_commerce": UTF8,
    "sz_hrss": BOM,
    "sz_culture": BOM,
    "sz_planning": BOM,
    "sz_education": BOM,
    "sz_medical_security": BOM,
    "sz_civil_affairs": GBK,
    "sz_emergency": GBK,
    "sz_fire": GBK,
    "sz_industry": GBK_CODES,
    "sz_tax": EXCHANGE,
    "sz_public_security": EXCHANGE,
    "sz_transport": EXCHANGE,
    "sz_finance": XLSX,
    "sz_drc": XLSX,
    "sz_justice": XLSX_CODES,
}


@dataclass
class FileSpec:
    name: str
    record_type: str  # licensing | penalty
    unit: Unit
    profile: UnitProfile
    style: Style
    rows: int = 0


def _file_name(unit: Unit, record_type: str, style: Style) -> str:
    prefix = "xk" if record_type == LICENSING else "cf"
    return f"{prefix}_{unit.code.removeprefix('sz_')}.{style.format}"


def _weight(spec: FileSpec) -> float:
    p = spec.profile
    return p.licence_weight if spec.record_type == LICENSING else p.penalty_weight


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of ``total`` by ``weights`` (deterministic)."""
    wsum = sum(weights)
    if total <= 0 or wsum <= 0:
        return [0] * len(weights)
    exact = [total * w / wsum for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _fill(specs: list[FileSpec], total: int, xlsx_rows: int) -> None:
    """Spread ``total`` rows by unit weight; XLSX files keep at most ``xlsx_rows``, CSV takes the rest."""
    for spec, n in zip(specs, _apportion(total, [_weight(s) for s in specs]), strict=True):
        spec.rows = n
    excess = 0
    for spec in specs:
        if spec.style.format == "xlsx" and spec.rows > xlsx_rows:
            excess += spec.rows - xlsx_rows
            spec.rows = xlsx_rows
    csvs = [s for s in specs if s.style.format == "csv" and _weight(s) > 0]
    for spec, n in zip(csvs, _apportion(excess, [_weight(s) for s in csvs]), strict=True):
        spec.rows += n


def plan_files(layout: Layout, records: int, xlsx_rows: int) -> list[FileSpec]:
    licensing = round(records * LICENSING_SHARE)
    specs: list[FileSpec] = []
    for record_type, total in ((LICENSING, licensing), (PENALTY, records - licensing)):
        group = [
            FileSpec(
                _file_name(u, record_type, STYLE_OF_UNIT[u.code]),
                record_type,
                u,
                PROFILES[u.code],
                STYLE_OF_UNIT[u.code],
            )
            for u in layout.units
            if u.code in PROFILES
            and (PROFILES[u.code].licences if record_type == LICENSING else PROFILES[u.code].penalties)
        ]
        _fill(group, total, xlsx_rows)
        specs.extend(group)
    return specs
