"""The demo city's lists, accounts and cases, made through the services so due process and audit are real.

Deterministic from the city's seed: the subjects listed, the court file and the cases are chosen by a
seeded generator over records sorted by id. Idempotent: each listing, account, party and case is
skipped when it already exists, so running the demo again adds nothing.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from xinyong import ids
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import NotFound
from xinyong.services import accounts, court_import, lists, objections, repair, screening
from xinyong.services import remedy_store as rs
from xinyong.services.platform import Platform
from xinyong.store.tables import list_entries, records, subjects

PASSWORD = "xinyong-demo-2026"  # every demo login's password (a demo, not a deployment)
OPERATOR = Actor.operator("demo-setup")
BANK = "demo_bank"
SCREENING_PARTY = "demo_procurement"
SAMR = "sz_samr"
COURT = "sz_court"
# Shenzhen serious list: deciding units of other domains, with the ground their penalties usually meet.
SZ_UNITS = {
    "sz_environment": "endangers_health_or_life",
    "sz_emergency": "endangers_health_or_life",
    "sz_fire": "endangers_health_or_life",
    "sz_housing": "endangers_health_or_life",
    "sz_tax": "refuses_statutory_obligation",
    "sz_hrss": "refuses_statutory_obligation",
    "sz_drc": "undermines_fair_competition",
}
PUBLISHED = {"samr_serious_illegal": 14, "sz_serious_untrustworthy": 10}
PENDING = ("proposed", "notified", "statement", "decided")  # one entry left at each earlier stage
COURT_GROUNDS = (
    "有履行能力而拒不履行生效法律文书确定义务",
    "违反财产报告制度",
    "违反限制消费令",
    "无正当理由拒不履行执行和解协议",
)
PROOF = rs.Attachment("proof", "payment-receipt.pdf", b"%PDF-1.4 demo: fine paid", "application/pdf")
COMMITMENT = rs.Attachment(
    "commitment", "commitment.pdf", b"%PDF-1.4 demo: credit commitment", "application/pdf"
)
EVIDENCE = rs.Attachment("evidence", "evidence.pdf", b"%PDF-1.4 demo: evidence", "application/pdf")


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    note: str


@dataclass
class Extras:
    listed: dict[str, int] = field(default_factory=dict)  # list type -> entries made this run
    court: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    screening_key: str | None = None  # only on the run that registered the party
    cases: dict[str, str] = field(default_factory=dict)  # what -> case id (made this run or found)

    def summary(self) -> dict[str, Any]:
        return {"listed": self.listed, "court_import": self.court, "cases": self.cases}


@dataclass(frozen=True)
class Penalty:
    id: str
    subject_id: str
    id_value: str
    name: str
    kind: str
    unit: str
    document: str
    decided: date
    fine: float
    category: str


def populate(platform: Platform, city: Path) -> Extras:
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    seed = manifest["seed"]
    anchor = min(date.fromisoformat(manifest["settings"]["as_of"]), platform.today())
    penalties = _penalties(platform)
    out = Extras()
    listed = _list_entries(platform, penalties, seed, anchor, out)
    out.court = _court(platform, city, _rng(seed, "court"), anchor)
    _cases(platform, [p for p in penalties if p.subject_id not in listed], _rng(seed, "cases"), out)
    _accounts(platform, penalties, out)
    return out


# --- reads ------------------------------------------------------------------------------------------


def _rng(seed: int, part: str) -> random.Random:
    """A generator per part (and per entry), so that a part skipped on a re-run shifts no other choice."""
    return random.Random(f"{seed}:{part}")


def _penalties(platform: Platform) -> list[Penalty]:
    query = (
        select(records, subjects.c.id_value, subjects.c.name, subjects.c.kind)
        .join(subjects, subjects.c.id == records.c.subject_id)
        .where(
            records.c.item_code.in_(("administrative_penalty", "market_regulation_penalty")),
            records.c.status == "current",
            records.c.decision_date.is_not(None),
        )
        .order_by(records.c.id)
    )
    with platform.store.read() as conn:
        rows = conn.execute(query).all()
    return [
        Penalty(
            r.id,
            r.subject_id,
            r.id_value,
            r.name,
            r.kind,
            r.unit_code,
            r.document_number or "",
            r.decision_date,
            _fine(r.fields),
            str((r.fields or {}).get("CF_CFLB") or ""),
        )
        for r in rows
        if r.document_number
    ]


def _fine(fields: dict[str, Any] | None) -> float:
    try:
        return float((fields or {}).get("CF_NR_FK") or 0)
    except (TypeError, ValueError):
        return 0.0


def _adult(p: Penalty, on: date) -> bool:
    if p.kind != "individual":
        return True
    return ids.parse_resident_id(p.id_value).age_on(on) >= 18


def _existing_workflow_documents(platform: Platform) -> set[str]:
    with platform.store.read() as conn:
        rows = conn.execute(
            select(list_entries.c.basis_document).where(list_entries.c.source == "workflow")
        ).scalars()
        return set(rows)


# --- lists ------------------------------------------------------------------------------------------


def _list_entries(
    platform: Platform, penalties: list[Penalty], seed: int, anchor: date, out: Extras
) -> set[str]:
    """Listings through the whole due process, and one entry left at each earlier stage, per list."""
    done = _existing_workflow_documents(platform)
    taken: set[str] = set()
    for list_code, units in (
        ("samr_serious_illegal", {SAMR: "heavy_fine"}),
        ("sz_serious_untrustworthy", SZ_UNITS),
    ):
        kinds = {str(k) for k in lists.list_type(platform.catalog, list_code).subject_kinds}
        pool = [
            p
            for p in penalties
            if p.unit in units
            and p.kind in kinds
            and p.subject_id not in taken
            and p.decided < anchor - timedelta(days=60)
            and _adult(p, anchor)
        ]
        pool.sort(key=lambda p: (-p.fine, p.id))
        pool = _first_per_subject(pool)  # a subject's heaviest penalty
        rng = _rng(seed, list_code)
        chosen = rng.sample(
            pool[: 3 * (PUBLISHED[list_code] + len(PENDING))],
            min(len(pool), PUBLISHED[list_code] + len(PENDING)),
        )
        stages = ["published"] * PUBLISHED[list_code] + list(PENDING)
        made = 0
        for p, stage in zip(chosen, stages, strict=False):
            if p.subject_id in taken:
                continue
            taken.add(p.subject_id)
            if p.document in done:
                continue
            ground = _ground(list_code, units[p.unit], p)
            rng = _rng(seed, p.id)
            start = (
                anchor - timedelta(days=rng.randint(21, 150))
                if stage in ("published", "decided")  # decided after the defence window, not later than today
                else anchor - timedelta(days=2)
            )
            _list_one(platform, list_code, p, ground, stage, start, rng)
            made += 1
        out.listed[list_code] = made
    return taken


def _first_per_subject(pool: list[Penalty]) -> list[Penalty]:
    seen: set[str] = set()
    out = []
    for p in pool:
        if p.subject_id not in seen:
            seen.add(p.subject_id)
            out.append(p)
    return out


def _ground(list_code: str, default: str, p: Penalty) -> str:
    if list_code != "samr_serious_illegal":
        return default
    if "吊销" in p.category or "降低资质" in p.category:
        return "licence_revoked_or_downgraded"
    if "停产停业" in p.category or "关闭" in p.category:
        return "business_restricted_or_closed"
    return "heavy_fine"


def _list_one(
    platform: Platform, list_code: str, p: Penalty, ground: str, stage: str, on: date, rng: random.Random
) -> None:
    actor = Actor(role=Role.SOURCE_UNIT, unit=p.unit, user="demo-officer")
    n = rng.randint(100, 999)
    entry = lists.propose(
        platform,
        actor,
        list_type_code=list_code,
        identifier=p.id_value,
        ground=ground,
        basis_document=p.document,
        facts=f"依据行政处罚决定书{p.document}（{p.category or '行政处罚'}），情节严重，拟列入名单",
        subject_name=p.name,
        on=on,
    )
    if stage == "proposed":
        return
    entry = lists.notify(platform, actor, entry.id, document=f"列入告知书〔{on.year}〕{n}号", on=on)
    statement = stage == "statement" or rng.random() < 0.25
    if statement:
        lists.record_statement(
            platform,
            actor,
            entry.id,
            statement="当事人陈述：已积极整改，请求从轻处理",
            on=on + timedelta(days=1),
        )
    if stage in ("notified", "statement"):
        return
    assert entry.defence_until is not None
    day = entry.defence_until + timedelta(days=1)
    lists.decide(
        platform,
        actor,
        entry.id,
        decision_document=f"列入决定书〔{day.year}〕{n}号",
        statements_considered="陈述申辩理由不足以改变认定，不予采纳" if statement else "",
        on=day,
    )
    if stage == "published":
        lists.publish(platform, actor, entry.id, on=day)


# --- court list -------------------------------------------------------------------------------------


def _court(platform: Platform, city: Path, rng: random.Random, anchor: date) -> dict[str, int]:
    """Write a small court data file of dishonest judgment debtors (adults only) and import it."""
    with platform.store.read() as conn:
        rows = conn.execute(
            select(subjects.c.id_value, subjects.c.name, subjects.c.kind, subjects.c.legal_representative)
            .where(subjects.c.id_scheme.in_(("resident_id", "uscc")))
            .order_by(subjects.c.id)
        ).all()
    people = [
        r for r in rows if r.kind == "individual" and ids.parse_resident_id(r.id_value).age_on(anchor) >= 18
    ]
    firms = [r for r in rows if r.kind == "enterprise"]
    chosen = rng.sample(people, min(6, len(people))) + rng.sample(firms, min(3, len(firms)))
    court_records = [_court_record(i, r, rng, anchor) for i, r in enumerate(chosen, start=1)]
    path = city / "court_dishonest_debtors.json"
    path.write_text(json.dumps(court_records, ensure_ascii=False, indent=1), encoding="utf-8")
    actor = Actor(role=Role.SOURCE_UNIT, unit=COURT, user="demo-judge")
    result = court_import.import_records(platform, actor, court_import.parse(path.read_bytes()))
    return {"imported": result.imported, "already": result.already}


def _court_record(i: int, r: Any, rng: random.Random, anchor: date) -> dict[str, Any]:
    registered = anchor - timedelta(days=rng.randint(60, 400))
    published = registered + timedelta(days=rng.randint(10, 40))
    person = r.kind == "individual"
    return {
        "iname": r.name,
        "caseCode": f"({registered.year})粤03执{1000 + i}号",
        "cardNum": r.id_value,
        "age": ids.parse_resident_id(r.id_value).age_on(published) if person else None,
        "businessEntity": "" if person else (r.legal_representative or ""),
        "courtName": "深圳市中级人民法院",
        "gistId": f"({registered.year - 1})粤03民初{2000 + i}号",
        "gistUnit": "深圳市中级人民法院",
        "regDate": registered.strftime("%Y%m%d"),
        "duty": f"向申请执行人支付款项人民币{rng.randint(2, 90) * 10000}元及利息",
        "performance": "全部未履行",
        "disruptTypeName": rng.choice(COURT_GROUNDS),
        "publishDate": published.strftime("%Y年%m月%d日"),
    }


# --- objections and repair --------------------------------------------------------------------------


def _subject_actor(p: Penalty, user: str) -> Actor:
    return Actor(role=Role.SUBJECT, subject_id=p.subject_id, user=user)


def _has_case(platform: Platform, kind: str, record_id: str) -> str | None:
    with platform.store.read() as conn:
        found = rs.load_cases(conn, kind=kind, target_ids=[record_id])
    return found[0].id if found else None


def _cases(platform: Platform, penalties: list[Penalty], rng: random.Random, out: Extras) -> None:
    """An objection under platform check, one forwarded, a repair pending decision and one approved."""
    pool = sorted(penalties, key=lambda p: p.id)
    rng.shuffle(pool)
    people = [p for p in pool if p.kind == "individual"]
    firms = [p for p in pool if p.kind == "enterprise"]
    used: set[str] = set()
    eligible = _eligible(platform, firms, 2)
    for what, p in zip(("repair_pending", "repair_approved"), eligible, strict=False):
        used.add(p.subject_id)
        out.cases[what] = _has_case(platform, repair.KIND, p.id) or _repair(
            platform, p, approve=what == "repair_approved"
        )
    for what, group in (("objection_platform_check", people), ("objection_source_review", firms)):
        chosen = next((q for q in group if q.subject_id not in used), None)
        if chosen is None:
            continue
        used.add(chosen.subject_id)
        out.cases[what] = _has_case(platform, objections.KIND, chosen.id) or _object(
            platform, chosen, forward=what.endswith("review")
        )


def _eligible(platform: Platform, firms: list[Penalty], wanted: int) -> list[Penalty]:
    found: list[Penalty] = []
    seen: set[str] = set()
    for p in firms[:400]:
        if p.subject_id in seen:
            continue
        if _has_case(platform, repair.KIND, p.id):
            found.append(p)  # made by an earlier run
        else:
            _, result = repair.eligibility(
                platform, _subject_actor(p, "demo"), "record", p.id, obligations_fulfilled=True
            )
            if not result.eligible:
                continue
            found.append(p)
        seen.add(p.subject_id)
        if len(found) == wanted:
            break
    return found


def _repair(platform: Platform, p: Penalty, *, approve: bool) -> str:
    case = repair.apply(
        platform,
        _subject_actor(p, "demo-agent"),
        "record",
        p.id,
        [PROOF, COMMITMENT],
        statement="罚款已缴清，已完成整改，申请信用修复",
    )
    if approve:
        unit = Actor(role=Role.SOURCE_UNIT, unit=p.unit, user="demo-officer")
        repair.decide(
            platform, unit, case.id, approve=True, document_number=f"信用修复决定书〔{p.decided.year}〕1号"
        )
    return case.id


def _object(platform: Platform, p: Penalty, *, forward: bool) -> str:
    case = objections.file(
        platform,
        _subject_actor(p, "demo-subject"),
        "record",
        p.id,
        "wrong_or_missing",
        "处罚决定书所载罚款金额与本人收到的决定书不一致，请核实更正",
        [EVIDENCE],
    )
    if forward:
        objections.verify(
            platform, OPERATOR, case.id, matches_source=True, note="平台数据与报送数据一致，转交认定单位"
        )
    return case.id


# --- accounts ---------------------------------------------------------------------------------------


def _accounts(platform: Platform, penalties: list[Penalty], out: Extras) -> None:
    """Demo logins for every role (the person is one who objected; the agent's firm applied for repair)."""
    by_subject = {p.subject_id: p for p in penalties}
    person = _case_subject(platform, out.cases.get("objection_platform_check"))
    firm = _case_subject(platform, out.cases.get("repair_pending"))
    wanted: list[tuple[str, Role, str, str | None, tuple[str, ...], str]] = [
        ("demo-operator", Role.OPERATOR, "", None, (), "platform operator: staff pages, queues"),
        ("demo-auditor", Role.AUDITOR, "", None, (), "auditor: the audit log"),
        ("demo-samr", Role.SOURCE_UNIT, SAMR, None, (), "staff of 深圳市市场监督管理局: listings, cases"),
        ("demo-bank", Role.RELYING_PARTY, BANK, None, ("bank_loan",), "a bank, declared purpose bank_loan"),
    ]
    if person:
        name = by_subject[person].name if person in by_subject else ""
        wanted.append(
            ("demo-person", Role.SUBJECT, "", person, (), f"data subject {name}: own file, objection")
        )
    if firm:
        name = by_subject[firm].name if firm in by_subject else ""
        wanted.append(("demo-agent", Role.SUBJECT, "", firm, (), f"agent of {name}: repair application"))
    for username, role, unit, subject_id, purposes, note in wanted:
        try:
            accounts.find_user(platform.store, username)
        except NotFound:
            accounts.create_user(
                platform.store, OPERATOR, username, PASSWORD, role, unit, subject_id, purposes
            )
        out.logins.append(Login(role.value, username, PASSWORD, note))
    if SCREENING_PARTY not in {p.code for p in screening.list_parties(platform.store)}:
        _, out.screening_key = screening.add_party(
            platform.store,
            platform.catalog,
            OPERATOR,
            code=SCREENING_PARTY,
            name="深圳市公共资源交易中心（演示）",
            purposes=["procurement", "administration"],
        )


def _case_subject(platform: Platform, case_id: str | None) -> str | None:
    if case_id is None:
        return None
    with platform.store.read() as conn:
        return rs.load_case(conn, case_id).subject_id
