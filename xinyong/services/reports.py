"""Credit reports (信用报告): request, download, verify, statistics.

A requester states a purpose from a fixed list, gets a numbered report (free of charge, like every public
credit information query), signed with the platform's Ed25519 key; the request is appended to the event
log (and so to the tamper-evident audit log) in the transaction that stores the report. Verification by
number or by the PDF itself answers: genuine? issued when? still current, i.e. would the same requester
get the same items for the same purpose today? The last is answered by re-running the disclosure
decisions, so a record revoked, superseded, repaired or past its publicity period since the report was
issued makes the report "no longer current", with the reason.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from xinyong import chinatime, ids
from xinyong.audit.keys import KeyStore
from xinyong.catalog import Catalog
from xinyong.catalog.lists import of
from xinyong.domain import disclosure
from xinyong.domain.accounts import logs_query
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role, SubjectKind
from xinyong.domain.permissions import require
from xinyong.errors import InvalidInput, NotFound, NotPermitted, Problem
from xinyong.reports import content, pdf, signing
from xinyong.reports.content import Assembly, ListEntry, ListSource, Report, Requester
from xinyong.services import authorizations, events, querylog
from xinyong.services import lists as lists_service
from xinyong.services.platform import Platform
from xinyong.store import Store
from xinyong.store.tables import reports, source_units, subjects

# The purposes a requester may state (查询用途): the list, plus "understanding a company", which
# Shenzhen counts separately in its statistics.
REPORT_PURPOSES: tuple[Purpose, ...] = (
    Purpose.DUE_DILIGENCE,  # 尽职调查
    Purpose.BANK_LOAN,  # 银行贷款
    Purpose.BIDDING,  # 招投标
    Purpose.GOVERNMENT_FUNDING,  # 政府资金支持
    Purpose.UNDERSTANDING,  # 了解企业信用
    Purpose.OTHER,  # 其他
)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: numbers are read aloud and typed
_STAFF = frozenset({Role.OPERATOR, Role.AUDITOR, Role.SYSTEM})


def may_read_personal(store: Store, actor: Actor, subject_id: str, today: date) -> bool:
    """Whether ``actor`` may have a personal report on the individual ``subject_id`` (个人信用报告).

    The one place that decides it: the individual themselves, or a relying party holding the individual's
    current authorization (授权查询) for the purpose it states.
    """
    if actor.role is Role.SUBJECT:
        return bool(actor.subject_id) and actor.subject_id == subject_id
    if actor.role is not Role.RELYING_PARTY or actor.purpose is None:
        return False
    with store.read() as conn:
        return authorizations.current(conn, actor, subject_id, today) is not None


def parse_purpose(value: str | Purpose | None) -> Purpose:
    try:
        purpose = Purpose(value) if value else None
    except ValueError:
        purpose = None
    if purpose not in REPORT_PURPOSES:
        allowed = ", ".join(p.value for p in REPORT_PURPOSES)
        raise InvalidInput(
            f"state the purpose of the report, one of: {allowed} (got {value!r})",
            message_zh="请选择报告用途：尽职调查、银行贷款、招投标、政府资金支持、了解企业信用或其他",
            rule="reports.purpose",
            problems=[
                Problem("reports.purpose", "unknown or missing purpose", {"field": "purpose"}, value=value)
            ],
        )
    assert purpose is not None
    return purpose


def new_number(issued: datetime) -> str:
    """``XY`` + the day of issue + 10 random characters (~50 bits): not guessable from another report's."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"XY{issued.astimezone(chinatime.CHINA):%Y%m%d}-{tail}"


def verify_url(platform: Platform, number: str) -> str:
    return f"{platform.settings.public_url.rstrip('/')}/reports/verify?number={number}"


def keystore(platform: Platform) -> KeyStore:
    return KeyStore.for_data_dir(platform.settings.data_dir)


# --------------------------------------------------------------------------------------------------
# List section


def list_source(catalog: Catalog) -> ListSource:
    """The report's list section from the lists service: the subject's entries published and in their
    period on the report's day (public information, the same for every requester), with list name,
    deciding unit, decision document, dates, legal basis and objection marks."""

    def provider(store: Store, actor: Actor, subject_id: str, today: date, lang: str) -> list[ListEntry]:
        views = lists_service.published_entries(store, catalog, subject_id, today, lang)
        with store.read() as conn:
            units = {
                r.code: r.name_en if lang == "en" else r.name_zh
                for r in conn.execute(
                    select(source_units.c.code, source_units.c.name_zh, source_units.c.name_en).where(
                        source_units.c.code.in_(sorted({v["unit"] for v in views}))
                    )
                )
            }
        return [_list_entry(catalog, v, units, lang) for v in views]

    return ListSource(provider)


def _list_entry(catalog: Catalog, view: dict[str, Any], units: dict[str, str], lang: str) -> ListEntry:
    lt = of(catalog).list_type(view["list_type"])
    ends = view["ends_on"]
    if lang == "en":
        status = f"listed until {ends}" if ends else "listed (no fixed period)"
    else:
        status = f"公示中，至 {ends}" if ends else "公示中（无固定期限）"
    starts = view["starts_on"]
    return ListEntry(
        id=view["id"],
        list_name=view["list_name"],
        unit_name=units.get(view["unit"], view["unit"]),
        document_number=view["decision_document"],
        entered_on=date.fromisoformat(starts) if starts else None,
        legal_basis=tuple(str(b) for b in lt.legal_basis),
        status=f"{status}; {view['ground']}" if lang == "en" else f"{status}；{view['ground']}",
        marks=tuple(view["marks"]),
    )


# --------------------------------------------------------------------------------------------------
# Request


@dataclass(frozen=True)
class Issued:
    number: str
    issued_at: datetime
    pdf: bytes
    report: Report
    key_id: str


def request(
    platform: Platform,
    actor: Actor,
    subject_id: str,
    purpose: str | Purpose | None,
    lang: str = "zh",
    lists: ListSource | None = None,
    now: datetime | None = None,
) -> Issued:
    """Issue a signed report on ``subject_id`` for ``actor`` and the stated purpose.

    ``lists``: where the list section comes from; the lists service unless a test says otherwise."""
    require(actor, "reports.request")
    stated = parse_purpose(purpose)
    lang = "en" if lang == "en" else "zh"
    today = platform.today()
    requester = _requester(platform.store, actor, subject_id, stated, today)
    issued_at = now or datetime.now(UTC)
    issued_at = issued_at.replace(microsecond=issued_at.microsecond // 1000 * 1000)  # whole milliseconds
    number = new_number(issued_at)
    source = lists or list_source(platform.catalog)
    assembly = content.assemble(platform.store, platform.catalog, requester, subject_id, today, lang, source)
    report = Report(number, issued_at, verify_url(platform, number), assembly.body)
    signed = signing.sign(
        pdf.render(report),
        number,
        round(issued_at.timestamp() * 1000),
        report.content_sha256(),
        keystore(platform).signing_key(),
    )
    _store(platform.store, requester, report, signed)
    return Issued(number, issued_at, signed.data, report, signed.statement.key_id)


def _requester(store: Store, actor: Actor, subject_id: str, purpose: Purpose, today: date) -> Requester:
    with store.read() as conn:
        kind = conn.execute(select(subjects.c.kind).where(subjects.c.id == subject_id)).scalar()
    if kind is None:
        raise NotFound(f"no subject {subject_id!r}", message_zh="没有找到该信用主体", rule="reports.subject")
    is_subject = actor.role is Role.SUBJECT and actor.subject_id == subject_id
    stating = actor.with_purpose(purpose)
    if kind == SubjectKind.INDIVIDUAL.value and not may_read_personal(store, stating, subject_id, today):
        raise _personal_refused({"subject_id": subject_id})
    authorized = kind == SubjectKind.INDIVIDUAL.value and not is_subject
    return Requester(actor.with_purpose(purpose), purpose, is_subject, authorized)


def _personal_refused(where: dict[str, str]) -> NotPermitted:
    return NotPermitted(
        "a personal credit report is given only to the individual or to a party holding their authorization",
        message_zh="个人信用报告仅向本人或者经本人授权的查询者提供",
        rule="reports.personal_authorization_required",
        problems=[Problem("reports.personal_authorization_required", "not the individual", where)],
    )


def _store(store: Store, requester: Requester, report: Report, signed: signing.SignedReport) -> None:
    a, body = requester.actor, report.body
    fingerprints = body.fingerprints()
    row: dict[str, Any] = {
        "number": report.number,
        "subject_id": body.subject.id,
        "subject_kind": body.subject.kind,
        "purpose": body.purpose,
        "lang": body.lang,
        "requester_role": a.role.value,
        "requester_user": a.user,
        "requester_unit": a.unit,
        "requester_subject_id": a.subject_id,
        "issued_at": report.issued_at,
        "issued_month": f"{report.issued_at.astimezone(chinatime.CHINA):%Y-%m}",
        "as_of": body.as_of,
        "key_id": signed.statement.key_id,
        "content_sha256": signed.statement.content_sha256,
        "pdf_sha256": signed.statement.pdf_sha256,
        "signature": signed.signature,
        "items": fingerprints,
        "pdf": signed.data,
    }
    payload = {
        "purpose": body.purpose,
        "subject_kind": body.subject.kind,
        "items": len(fingerprints),
        "content_sha256": row["content_sha256"],
        "pdf_sha256": row["pdf_sha256"],
        "key_id": row["key_id"],
    }
    with store.write() as conn:
        conn.execute(insert(reports).values(**row))
        events.append(conn, a, "report:issue", "report", report.number, payload, subject_id=body.subject.id)
        _log_query(conn, a, body.subject.id, report.number, body.as_of)


def _log_query(conn: Connection, actor: Actor, subject_id: str, number: str, today: date) -> None:
    """A report is a non-public read for everyone but the public and the subject: into the query log
    (查询记录), with the authorization it rests on."""
    if logs_query(actor, subject_id):
        auth = authorizations.current(conn, actor, subject_id, today)
        querylog.record_in(conn, actor, subject_id, "report", object_id=number, authorization=auth)


# --------------------------------------------------------------------------------------------------
# Download


def download(platform: Platform, actor: Actor, number: str) -> bytes:
    """The signed PDF as issued (the download is logged). Personal reports only to whom a new one could
    be issued."""
    require(actor, "reports.request")
    row = _row(platform.store, number)
    personal = row.subject_kind == SubjectKind.INDIVIDUAL.value and actor.role not in _STAFF
    stating = actor.with_purpose(Purpose(row.purpose))
    if personal and not may_read_personal(platform.store, stating, row.subject_id, platform.today()):
        raise _personal_refused({"report": number})
    with platform.store.write() as conn:  # a read of a stored report: logged like the request
        events.append(conn, actor, "report:download", "report", row.number, {}, subject_id=row.subject_id)
        _log_query(conn, stating, row.subject_id, row.number, platform.today())
    return bytes(row.pdf)


def _row(store: Store, number: str) -> Any:
    with store.read() as conn:
        row = conn.execute(select(reports).where(reports.c.number == number.strip().upper())).first()
    if row is None:
        raise NotFound(
            f"no report numbered {number!r}",
            message_zh="没有该编号的信用报告",
            rule="reports.number",
        )
    return row


# --------------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Change:
    ref: str
    change: str  # removed, changed, added
    item_name: str
    document_number: str | None
    reason: str
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Verification:
    genuine: bool
    code: (
        str  # genuine, unsigned, malformed, modified, unknown_key, bad_signature, not_issued, unknown_number
    )
    message_zh: str
    message_en: str
    number: str | None = None
    issued_at: datetime | None = None
    key_id: str | None = None
    subject_kind: str | None = None
    subject_name: str | None = None
    purpose: str | None = None
    current: bool | None = None
    checked_on: date | None = None
    changes: list[Change] = field(default_factory=list)


FAILURES = {
    "unsigned": ("该文件没有本平台的报告签名", "the file carries no report signature of this platform"),
    "malformed": ("签名信息格式错误", "the signature block is malformed"),
    "modified": ("报告签发后已被改动", "the report was changed after it was signed"),
    "unknown_key": ("报告不是由本平台的密钥签名", "the report is not signed by a key of this platform"),
    "bad_signature": ("签名与报告内容不符", "the signature does not match the report"),
    "not_issued": ("本平台没有签发过该报告", "this platform has no record of issuing this report"),
    "unknown_number": ("没有该编号的信用报告", "no report has this number"),
}


def _failure(code: str) -> Verification:
    zh, en = FAILURES[code]
    return Verification(False, code, zh, en)


def verify_number(
    platform: Platform, number: str, lists: ListSource | None = None, today: date | None = None
) -> Verification:
    require(Actor.public(), "reports.verify")
    try:
        row = _row(platform.store, number)
    except NotFound:
        return _failure("unknown_number")
    return _verified(platform, row, lists, today or platform.today())


def verify_pdf(
    platform: Platform, data: bytes, lists: ListSource | None = None, today: date | None = None
) -> Verification:
    """Check an uploaded PDF: its signature against every platform key, then the issued report's row."""
    require(Actor.public(), "reports.verify")
    try:
        statement = signing.check(data, keystore(platform))
    except signing.VerificationFailed as e:
        return _failure(e.code)
    with platform.store.read() as conn:
        row = conn.execute(select(reports).where(reports.c.number == statement.number)).first()
    if row is None or row.pdf_sha256 != statement.pdf_sha256:
        return _failure("not_issued")
    return _verified(platform, row, lists, today or platform.today())


def _verified(platform: Platform, row: Any, lists: ListSource | None, today: date) -> Verification:
    changes = still_current(platform, row, lists, today)
    name = _subject_name(platform.store, row)
    current = not changes
    zh = "报告真实有效，内容仍为最新" if current else "报告真实，但内容已有变化，不再是最新"
    en = "genuine, and its content is still current" if current else "genuine, but no longer current"
    return Verification(
        True,
        "genuine",
        zh,
        en,
        number=row.number,
        issued_at=_aware(row.issued_at),
        key_id=row.key_id,
        subject_kind=row.subject_kind,
        subject_name=name,
        purpose=row.purpose,
        current=current,
        checked_on=today,
        changes=changes,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _subject_name(store: Store, row: Any) -> str:
    with store.read() as conn:
        name = conn.execute(select(subjects.c.name).where(subjects.c.id == row.subject_id)).scalar_one()
    return ids.mask_person_name(name) if row.subject_kind == SubjectKind.INDIVIDUAL.value else str(name)


def still_current(platform: Platform, row: Any, lists: ListSource | None, today: date) -> list[Change]:
    """What a report would say differently if the same requester asked for it today (empty: current)."""
    requester = _stored_requester(row)
    source = lists or list_source(platform.catalog)
    now = content.assemble(
        platform.store, platform.catalog, requester, row.subject_id, today, row.lang, source
    )
    before = {ref: fp for ref, fp in row.items}
    after = {i.ref: i for i in now.body.items()}
    changes = [_removed(ref, now) for ref in before if ref not in after]
    changes += [
        _changed(after[ref]) for ref, fp in before.items() if ref in after and after[ref].fingerprint() != fp
    ]
    added = [ref for ref in after if ref not in before]
    if added:
        changes.append(_added(len(added)))
    return changes


def _stored_requester(row: Any) -> Requester:
    actor = Actor(
        Role(row.requester_role),
        row.requester_user,
        row.requester_unit,
        row.requester_subject_id,
        Purpose(row.purpose),
    )
    is_subject = actor.role is Role.SUBJECT and actor.subject_id == row.subject_id
    authorized = row.subject_kind == SubjectKind.INDIVIDUAL.value and not is_subject
    return Requester(actor, Purpose(row.purpose), is_subject, authorized)


def _removed(ref: str, now: Assembly) -> Change:
    view = now.views.get(ref.removeprefix("record:")) if ref.startswith("record:") else None
    if view is None and ref.startswith("list:"):
        return Change(
            ref,
            "removed",
            "",
            None,
            "list_removed",
            "报告中的一项名单信息已移出名单或期限届满",
            "a list entry of the report was removed from its list or its period ended",
        )
    if view is None:
        return Change(
            ref,
            "removed",
            "",
            None,
            "gone",
            "报告中的一项信息已不存在",
            "an item of the report no longer exists",
        )
    reason = view.reason  # why the requester would not get it in a report today
    zh, en = disclosure.REASONS.get(reason, (reason, reason))
    doc = f"（{view.document_number}）" if view.document_number else ""
    return Change(
        ref,
        "removed",
        view.item_name,
        view.document_number,
        reason,
        f"报告中的「{view.item_name}」{doc}已不应再列入：{zh}",
        f"'{view.item_name}'{(' ' + view.document_number) if view.document_number else ''} in this report "
        f"would no longer be included: {en}",
    )


def _changed(item: content.Item) -> Change:
    return Change(
        item.ref,
        "changed",
        item.item_name,
        item.document_number,
        "changed",
        f"报告中的「{item.item_name}」已有变化（如异议标注）",
        f"'{item.item_name}' in this report has changed (e.g. an objection mark)",
    )


def _added(count: int) -> Change:
    return Change(
        "",
        "added",
        "",
        None,
        "added",
        f"报告出具后新增 {count} 条应列入的信息",
        f"{count} item(s) that a report today would include were added since",
    )


# --------------------------------------------------------------------------------------------------
# Statistics


@dataclass(frozen=True)
class Statistics:
    total: int
    by_purpose: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    rows: list[tuple[str, str, str, int]]  # (month, purpose, subject kind, reports)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["month", "purpose", "subject_kind", "reports"])
        writer.writerows(self.rows)
        return out.getvalue()


def statistics(platform: Platform, actor: Actor) -> Statistics:
    """Reports by purpose, subject kind and month (Shenzhen publishes such figures)."""
    require(actor, "reports.statistics")
    query = (
        select(reports.c.issued_month, reports.c.purpose, reports.c.subject_kind, func.count())
        .group_by(reports.c.issued_month, reports.c.purpose, reports.c.subject_kind)
        .order_by(reports.c.issued_month, reports.c.purpose, reports.c.subject_kind)
    )
    with platform.store.read() as conn:
        rows = [(r[0], r[1], r[2], int(r[3])) for r in conn.execute(query)]
    purposes, kinds, months = Counter[str](), Counter[str](), Counter[str]()
    for month, purpose, kind, n in rows:
        purposes[purpose] += n
        kinds[kind] += n
        months[month] += n
    return Statistics(
        total=sum(months.values()),
        by_purpose=_ranked(purposes),
        by_kind=_ranked(kinds),
        by_month=sorted(months.items()),
        rows=rows,
    )


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
