"""The registry of a synthetic city: enterprises, individuals, institutions, associations."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from xinyong.domain.enums import SubjectKind
from xinyong.synth import names
from xinyong.synth.dates import AS_OF, iso
from xinyong.synth.identifiers import IdentifierFactory
from xinyong.synth.places import address
from xinyong.synth.regions import BirthPlaces, District, draw_district, draw_registration_region

REFORM = date(2015, 10, 1).toordinal()  # 三证合一: no new registration numbers or org codes after this
SHARES = {
    SubjectKind.ENTERPRISE: 0.70,
    SubjectKind.INDIVIDUAL: 0.25,
    SubjectKind.PUBLIC_INSTITUTION: 0.03,
    SubjectKind.SOCIAL_ORGANISATION: 0.02,
}
INDIVIDUAL_BUSINESS_SHARE = 0.15
MINOR_SHARE = 0.02
ADULT_BORN_BY = 2000  # adults born by 2000 were adults on every possible decision date
SOCIAL_TYPES, SOCIAL_WEIGHTS = ("51", "52", "53"), (55, 38, 7)  # 社会团体, 民办非企业单位, 基金会
CATEGORY_OF_TYPE = {"51": "social_group", "52": "private_non_enterprise", "53": "foundation"}

# Registration years of enterprises (Shenzhen's stock grew fastest after the 2014 reform).
_YEARS = list(range(1987, 2027))
_YEAR_WEIGHTS = [0.2 if y < 2000 else 0.6 if y < 2010 else 1.0 if y < 2014 else 2.6 for y in _YEARS]


@dataclass(slots=True)
class Subject:
    kind: str
    category: str
    name: str
    lb: str = "1"  # 行政相对人类别 code: 1 organisation, 2 natural person, 3 individual business
    uscc: str = ""
    id_number: str = ""
    sex: str = ""
    birth: int = 0
    legal_rep: int = -1  # index of the legal representative among the subjects (-1: not registered)
    rep_name: str = ""
    registered: int = 0
    region_code: str = ""
    region_name: str = ""
    district: str = ""
    reg_number: str = ""
    org_code: str = ""
    tax_number: str = ""
    certificate: str = ""
    address: str = ""
    trade: str = ""  # industry word, shop type or institution kind (matches templates to subjects)

    @property
    def birth_year(self) -> int:
        return date.fromordinal(self.birth).year if self.birth else 0


def kind_counts(total: int) -> dict[SubjectKind, int]:
    counts = {k: round(total * s) for k, s in SHARES.items()}
    counts[SubjectKind.ENTERPRISE] += total - sum(counts.values())
    return counts


def _day_in(rng: random.Random, year: int) -> int:
    start = date(year, 1, 1).toordinal()
    return min(start + rng.randrange(365), AS_OF)


class Registry:
    """Builds the subjects in a fixed order: individuals first (they are the legal representatives)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids = IdentifierFactory(rng)
        self.births = BirthPlaces()
        self.names = names.UniqueNames()
        self.subjects: list[Subject] = []
        self.adults: list[int] = []

    def build(self, total: int, progress: Callable[[int], None] | None = None) -> list[Subject]:
        counts = kind_counts(total)
        steps = (
            (SubjectKind.INDIVIDUAL, self._individual),
            (SubjectKind.ENTERPRISE, self._enterprise),
            (SubjectKind.PUBLIC_INSTITUTION, self._institution),
            (SubjectKind.SOCIAL_ORGANISATION, self._association),
        )
        for kind, make in steps:
            for _ in range(counts[kind]):
                make()
                if progress and len(self.subjects) % 10000 == 0:
                    progress(len(self.subjects))
        self._name_representatives()
        return self.subjects

    def _name_representatives(self) -> None:
        for s in self.subjects:
            if s.lb == "2":
                continue
            if s.legal_rep >= 0:
                s.rep_name = self.subjects[s.legal_rep].name
            else:
                s.rep_name = names.person_name(self.rng, self.rng.random() < 0.7)

    # -- natural persons -------------------------------------------------------------------
    def _birth(self) -> int:
        rng = self.rng
        if rng.random() < MINOR_SHARE:
            year = rng.randint(2009, 2020)
        else:
            year = min(max(int(rng.triangular(1950, ADULT_BORN_BY + 1, 1988)), 1950), ADULT_BORN_BY)
        return _day_in(rng, year)

    def _individual(self) -> None:
        rng = self.rng
        birth = self._birth()
        male = rng.random() < 0.52
        year = date.fromordinal(birth).year
        region, region_name = self.births.draw(rng, year)
        rid = self.ids.resident_id(region, iso(birth).replace("-", ""), male)
        s = Subject(
            SubjectKind.INDIVIDUAL.value,
            "individual",
            names.person_name(rng, male),
            lb="2",
            id_number=rid,
            sex="男" if male else "女",
            birth=birth,
            region_code=region,
            region_name=region_name,
        )
        if year <= ADULT_BORN_BY:
            self.adults.append(len(self.subjects))
        self.subjects.append(s)

    def _legal_rep(self, registered: int) -> int:
        """An adult at least 20 at registration, or -1 when the city has no individuals."""
        if not self.adults:
            return -1
        limit = date.fromordinal(registered).year - 20
        for _ in range(12):
            i = self.rng.choice(self.adults)
            if self.subjects[i].birth_year <= limit:
                return i
        return min(self.adults, key=lambda j: self.subjects[j].birth)

    # -- organisations ---------------------------------------------------------------------
    def _enterprise(self) -> None:
        rng = self.rng
        year = rng.choices(_YEARS, _YEAR_WEIGHTS)[0]
        registered = _day_in(rng, year)
        region, region_name, district = draw_registration_region(rng, year)
        rep = self._legal_rep(registered)
        if rng.random() < INDIVIDUAL_BUSINESS_SHARE:
            self._individual_business(registered, region, region_name, district, rep)
            return
        legacy = registered < REFORM
        org = self.ids.org_code("" if legacy else "MA5")
        name, trade = self.names.draw(lambda x: names.enterprise_name(rng, x))
        s = Subject(
            SubjectKind.ENTERPRISE.value,
            "enterprise",
            name,
            uscc=self.ids.uscc("91", region, org),
            legal_rep=rep,
            registered=registered,
            region_code=region,
            region_name=region_name,
            district=district.name,
            address=address(rng, district),
            trade=trade,
        )
        if legacy:
            s.reg_number = self.ids.registration_number(region, "1")
            s.org_code = org
            s.tax_number = region + org
        self.subjects.append(s)

    def _individual_business(
        self, registered: int, region: str, region_name: str, district: District, rep: int
    ) -> None:
        rng = self.rng
        owner = self.subjects[rep].name[:1] if rep >= 0 else names.surname(rng)
        region = region if region.startswith("4403") else district.code
        name, trade = self.names.draw(lambda x: names.shop_name(rng, district.name, owner, x))
        org = self.ids.org_code("MA5" if registered >= REFORM else "L")
        s = Subject(
            SubjectKind.ENTERPRISE.value,
            "individual_business",
            name,
            lb="3",
            uscc=self.ids.uscc("92", region, org),
            legal_rep=rep,
            registered=registered,
            region_code=region,
            region_name="深圳市" + district.name,
            district=district.name,
            address=address(rng, district),
            trade=trade,
        )
        if registered < REFORM:
            s.reg_number = self.ids.registration_number(region, "6")
        self.subjects.append(s)

    def _org_region(self, year: int) -> tuple[str, District]:
        district = draw_district(self.rng, year)
        return ("440300" if self.rng.random() < 0.7 else district.code), district

    def _institution(self) -> None:
        rng = self.rng
        year = rng.randint(1980, 2024)
        registered = _day_in(rng, year)
        region, district = self._org_region(year)
        org = self.ids.org_code("" if registered < REFORM else "MB")
        name, trade = self.names.draw(lambda x: names.institution_name(rng, district.name, x))
        self.subjects.append(
            Subject(
                SubjectKind.PUBLIC_INSTITUTION.value,
                "public_institution",
                name,
                uscc=self.ids.uscc("12", region, org),
                legal_rep=self._legal_rep(registered),
                registered=registered,
                region_code=region,
                region_name="深圳市" + (district.name if region != "440300" else ""),
                district=district.name,
                org_code=org if registered < REFORM else "",
                certificate=f"事证第1{region}{rng.randrange(100000):05d}号",
                address=address(rng, district),
                trade=trade,
            )
        )

    def _association(self) -> None:
        rng = self.rng
        type_code = rng.choices(SOCIAL_TYPES, SOCIAL_WEIGHTS)[0]
        year = rng.randint(1990, 2026)
        registered = _day_in(rng, year)
        region, district = self._org_region(year)
        legacy = registered < REFORM
        org = self.ids.org_code("" if legacy else "MJL")
        name, trade = self.names.draw(lambda x: names.association_name(rng, type_code, x))
        self.subjects.append(
            Subject(
                SubjectKind.SOCIAL_ORGANISATION.value,
                CATEGORY_OF_TYPE[type_code],
                name,
                uscc=self.ids.uscc("5" + type_code[1], region, org),
                legal_rep=self._legal_rep(registered),
                registered=registered,
                region_code=region,
                region_name="深圳市" + (district.name if region != "440300" else ""),
                district=district.name,
                org_code=org if legacy else "",
                certificate=f"深社证字第{rng.randrange(1, 20000):06d}号" if legacy else "",
                address=address(rng, district),
                trade=trade,
            )
        )
