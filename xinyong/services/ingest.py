"""Ingestion: source units' files and pushes → validated, linked, stored records.

A batch is all-or-nothing by default: one bad row and nothing of it is stored, and the
full rejection report says what is wrong where (row, field, rule, value, zh/en message).
With ``accept_valid`` the valid rows are stored and the rest reported. Rows already
stored (same content hash) add nothing; a row with the same document number and
subject but other content is a correction that supersedes the stored version.
Rows stream through in chunks inside one transaction, so memory stays bounded and a
killed process leaves the store as it was.

Speed: a chunk's rows are first proven valid column by column (``xinyong.ingest.columnar``:
each distinct text converted once, row rules over whole columns); only the rows it cannot prove
go through the row-by-row validator, which reports them (the outcome is the same, by test).
Converters remember results per distinct text (codes, dates, amounts repeat); each chunk is
looked up with one statement per question (``dialect.among``; plain driver SQL on SQLite) and
written through the bulk path (COPY on PostgreSQL, executemany on SQLite). The keys every record
of a batch shares (catalog version, unit, batch) are checked once per batch, not per row
(``records.check_batch_keys``). A large CSV or JSON-lines file is read and drafted by a forked
second process while this one writes, when a core is spare; the drafts cross the pipe as columns,
each subject once (``xinyong.ingest.handover``). The first chunks of a batch are smaller, so that
writing starts early. On PostgreSQL the next chunk is validated while a writer thread stores the
last, new subjects go in as one INSERT from arrays per chunk, and the loaded tables' lookup columns
are re-analysed inside the transaction as they double (``FreshStatistics``), so per-chunk lookups
stay index lookups; on SQLite the connection gets a larger page cache while loading and new
subjects go in many rows per INSERT (their name-search triggers cost per statement). Python's
cycle collector is paused while a batch loads (none of the rows, drafts or chunks form cycles).
"""

from __future__ import annotations

import hashlib
import heapq
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from xinyong import chinatime
from xinyong.catalog import Catalog, CatalogItem
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.permissions import require
from xinyong.domain.validation import FieldIssue, RowValidator
from xinyong.errors import InvalidInput, NotFound, NotPermitted, Problem, XinyongError
from xinyong.ingest import drafts
from xinyong.ingest.columnar import ChunkDrafter
from xinyong.ingest.drafts import RecordDraft, SchemaRoles
from xinyong.ingest.handover import Packer, Unpacker
from xinyong.ingest.headers import ColumnMap, choose_item, map_header
from xinyong.search.normalise import normalise_name
from xinyong.services import collector, events, units
from xinyong.store import Store
from xinyong.store import records as q
from xinyong.store.dialect import FreshStatistics, RawJson, loading
from xinyong.store.tables import batches

CHUNK_ROWS = 5000
RAMP = 8  # the first chunk of a batch has CHUNK_ROWS / RAMP rows, each next one twice as many
PROCESS_MIN_BYTES = 16 << 20  # CSV and JSON-lines files this large: drafted by a 2nd process (spare core)
FAST_PATH = True  # prove rows valid column by column (xinyong.ingest.columnar); False: row by row only
# re-analysed as they grow while a batch loads: only the columns the chunk lookups filter on (the
# statistics of records.fields, a JSON document per row, were most of what ANALYZE read and computed)
LOADED_TABLES = (
    "records (id, unit_code, item_code, status, document_number, subject_id)",
    "subjects (id)",
    "subject_identifiers (scheme, value, subject_id)",
    "subject_names (subject_id)",
)
RawRow = tuple[int, list[str | None], Sequence[Problem]]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class IngestOptions:
    item: str | None = None
    accept_valid: bool = False
    encoding: str | None = None
    today: date | None = None
    max_reported: int = 10_000  # problems kept in the report; all are counted


@dataclass
class BatchReport:
    batch_id: str
    file: str
    unit: str
    item: str | None = None
    status: str = "loading"  # accepted, partially_accepted, rejected
    rows: int = 0
    added: int = 0
    duplicates: int = 0
    corrections: int = 0
    rejected_rows: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "file": self.file,
            "unit": self.unit,
            "item": self.item,
            "status": self.status,
            "rows": self.rows,
            "added": self.added,
            "duplicates": self.duplicates,
            "corrections": self.corrections,
            "rejected_rows": self.rejected_rows,
            "problems": self.problem_count,
            "seconds": round(self.seconds, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "problem_list": [p.as_dict() for p in self.problems]}

    def note(self, problem: Problem, limit: int) -> None:
        self.problem_count += 1
        if len(self.problems) < limit:
            self.problems.append(problem)


@dataclass(frozen=True)
class _Stored:
    """What writing one chunk did: counts, and the rows refused for clashing within the batch."""

    added: int
    duplicates: int
    corrections: int
    conflicts: list[RecordDraft]


@dataclass(frozen=True)
class _Pending:
    """A chunk being written: its job, the rows read up to its end, its validation problems."""

    job: Future[_Stored]
    rows: int
    held: list[Problem]


def _row_of(problem: Problem) -> int:
    row = problem.where.get("row")
    return row if isinstance(row, int) else 0


class _ChunkWriter:
    """Runs chunk writes in order: on one background thread for PostgreSQL, whose server does
    its part (constraint checks, indexes) while the next chunk is validated here; inline for
    SQLite, whose driver would trade the interpreter lock back and forth for every row."""

    def __init__(self, threaded: bool) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-writer") if threaded else None

    def submit(self, fn: Callable[..., _Stored], *args: Any) -> Future[_Stored]:
        if self.pool is not None:
            return self.pool.submit(fn, *args)
        done: Future[_Stored] = Future()
        done.set_result(fn(*args))  # inline: a failure is raised here and now
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


class _Rejected(Exception):
    """Raised inside the write transaction to roll a rejected batch back."""


@dataclass
class _Source:
    name: str
    header: list[str]
    rows: Iterable[RawRow]
    content_hash: str
    allowed: frozenset[str] = frozenset()
    encoding: str | None = None
    size: int = 0  # bytes of a CSV or JSON-lines file (0: drafted in this process, whatever its size)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_actor(actor: Actor, unit: str) -> None:
    require(actor, "records.ingest")
    if actor.role is Role.SOURCE_UNIT and actor.unit != unit:
        raise NotPermitted(
            f"staff of unit {actor.unit!r} may not submit data as unit {unit!r}",
            message_zh="只能以本单位名义报送数据",
            rule="ingest.other_unit",
        )


def ingest_file(
    store: Store,
    catalog: Catalog,
    path: Path,
    unit: str,
    actor: Actor,
    options: IngestOptions = IngestOptions(),
    progress: Progress | None = None,
) -> BatchReport:
    """Ingest one file from a source unit (CSV in UTF-8/GB18030, XLSX or JSON lines)."""
    from xinyong.ingest.readers import open_table

    check_actor(actor, unit)
    allowed = _unit_items(store, unit)
    report = BatchReport(batch_id=uuid.uuid4().hex, file=path.name, unit=unit)
    try:
        table = open_table(path, encoding=options.encoding)
    except InvalidInput as e:
        return _reject_file(store, report, e, actor, file_hash(path), options)
    with table:
        source = _Source(
            path.name, list(table.header), table.rows(), file_hash(path), allowed, table.encoding
        )
        if table.format in ("csv", "jsonl"):  # XLSX: openpyxl's reader is not shared with a fork
            source.size = path.stat().st_size
        return _ingest(store, catalog, source, report, actor, options, progress)


def ingest_rows(
    store: Store,
    catalog: Catalog,
    name: str,
    rows: list[dict[str, Any]],
    unit: str,
    actor: Actor,
    options: IngestOptions = IngestOptions(),
) -> BatchReport:
    """Ingest records pushed as JSON objects keyed by field code or header (the push API)."""
    check_actor(actor, unit)
    allowed = _unit_items(store, unit)
    header = sorted({k for r in rows for k in r}, key=lambda k: next(i for i, r in enumerate(rows) if k in r))
    body = events.canonical_json(rows)
    raw: list[RawRow] = [
        (n, [None if r.get(h) is None else str(r.get(h)).strip() or None for h in header], [])
        for n, r in enumerate(rows, start=1)
    ]
    source = _Source(name, header, raw, hashlib.sha256(body).hexdigest(), allowed)
    return _ingest(store, catalog, source, BatchReport(uuid.uuid4().hex, name, unit), actor, options, None)


def _unit_items(store: Store, unit: str) -> frozenset[str]:
    """The catalog items this unit may supply (it must exist and be active)."""
    found = units.get_unit(store, unit)
    if not found.active:
        raise NotPermitted(
            f"unit {unit!r} is deactivated", message_zh="该信息提供单位已停用", rule="ingest.unit_inactive"
        )
    return frozenset(found.items)


def _ingest(
    store: Store,
    catalog: Catalog,
    source: _Source,
    report: BatchReport,
    actor: Actor,
    options: IngestOptions,
    progress: Progress | None,
) -> BatchReport:
    started = time.perf_counter()
    try:
        item = choose_item(catalog, report.unit, source.allowed, source.header, options.item, source.name)
    except InvalidInput as e:
        return _reject_file(store, report, e, actor, source.content_hash, options)
    report.item = item.code
    columns, header_problems = map_header(catalog.schemas[item.schema], source.header, source.name)
    if header_problems:
        err = InvalidInput(
            f"{source.name}: the header does not fit {item.code}",
            problems=header_problems,
            message_zh=f"{source.name}：表头不符合“{item.name_zh}”的数据规范",
            rule="file.header",
        )
        return _reject_file(store, report, err, actor, source.content_hash, options)
    run = _Run(catalog, item, columns, report, options, source)
    try:
        with store.write() as conn:
            _open_batch(conn, report, source, actor)
            q.check_batch_keys(conn, catalog.version, report.unit, report.batch_id)
            with loading(conn), collector.paused():
                run.load(conn, progress)
            if report.problem_count and not options.accept_valid:
                raise _Rejected
            report.seconds = time.perf_counter() - started
            report.status = "partially_accepted" if report.problem_count else "accepted"
            _close_batch(conn, report, actor)
    except InvalidInput as e:  # a file-level failure found while reading on (encoding, truncation)
        report.added = report.duplicates = report.corrections = 0
        return _reject_file(store, report, e, actor, source.content_hash, options)
    except _Rejected:
        report.status = "rejected"
        report.added = report.duplicates = report.corrections = 0
        report.seconds = time.perf_counter() - started
        _record_rejection(store, report, source, actor)
    return report


class _Run:
    """One batch's pass over its rows: validate, link, store, chunk by chunk."""

    def __init__(
        self,
        catalog: Catalog,
        item: CatalogItem,
        columns: ColumnMap,
        report: BatchReport,
        options: IngestOptions,
        source: _Source,
    ) -> None:
        self.catalog, self.item, self.columns, self.report, self.options = (
            catalog,
            item,
            columns,
            report,
            options,
        )
        self.source = source
        schema = catalog.schemas[item.schema]
        self.schema = schema
        self.roles = SchemaRoles(schema)
        self.validator = RowValidator(schema, catalog.enums, options.today or chinatime.today())
        self.stamp = events.now()
        self.cells = tuple((i, code) for i, code in enumerate(columns.codes) if code is not None)
        self.width = max((i for i, _ in self.cells), default=-1) + 1
        self.rulesets: dict[str, Any] = {}  # rule set in force per decision date
        self.fast = ChunkDrafter(catalog, item, report.unit, self.validator, self.cells, self.rulesets)
        self.held: list[Problem] = []  # problems of the chunk being drafted, noted in row order

    def load(self, conn: Connection, progress: Progress | None) -> None:
        """Draft chunk k+1 while chunk k is written, with the report of a one-by-one load.

        All counting and problem noting happens on this thread, chunk after chunk: a chunk's
        validation problems are held until its write is done, then noted together with the
        rows its write refused (documents clashing within the batch), in row order.
        """
        elsewhere = self.source.size >= PROCESS_MIN_BYTES and _spare_core()
        chunks = self.drafted_elsewhere() if elsewhere else self.drafted()
        statistics = FreshStatistics(conn, "records", LOADED_TABLES, CHUNK_ROWS)
        writer = _ChunkWriter(threaded=conn.dialect.name == "postgresql")
        pending: _Pending | None = None
        try:
            for found, held in chunks:
                if pending:
                    self.account(pending, progress)
                pending = _Pending(
                    writer.submit(self.write_chunk, conn, found, statistics), self.report.rows, held
                )
            if pending:
                self.account(pending, progress)
        except InvalidInput:  # the file fails while being read on: the rows checked so far stay reported
            writer.close()
            if pending and pending.job.exception() is None:
                self.account(pending, None)
            self.note_all(self.held)
            raise
        finally:
            writer.close()  # waits for a write still running, so the transaction can end cleanly
            chunks.close()  # ends the drafting process, if any

    def drafted(self) -> Generator[tuple[list[RecordDraft], list[Problem]], None, None]:
        """Each chunk's drafts and the problems of its rows, drafted here."""
        for chunk in _chunked(self.source.rows, CHUNK_ROWS):
            found = self.draft_chunk(chunk)
            held, self.held = self.held, []
            yield found, held

    def drafted_elsewhere(self) -> Generator[tuple[list[RecordDraft], list[Problem]], None, None]:
        """``drafted``, run by a second process (forked: it inherits this run and its open file) that
        reads and drafts while this one writes, a pipe's worth of chunks ahead at most. The row
        counts move over with each chunk; a file failing while read on raises here, in order."""
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        _widen(send)
        worker = context.Process(target=_draft_worker, args=(self, send), daemon=True)
        worker.start()
        send.close()
        unpacker = Unpacker()
        try:
            while True:
                try:
                    message = receive.recv()
                except EOFError:
                    raise RuntimeError(f"the drafting process ended (exit code {worker.exitcode})") from None
                if message[0] == "end":
                    return
                if message[0] == "invalid":
                    raise message[1]
                if message[0] == "crash":
                    raise RuntimeError(f"the drafting process failed: {message[1]}")
                _, packed, held, rows, rejected = message
                self.report.rows += rows
                self.report.rejected_rows += rejected
                yield unpacker.unpack(packed), held
        finally:
            receive.close()
            if worker.is_alive():
                worker.terminate()
            worker.join()

    def write_chunk(self, conn: Connection, found: list[RecordDraft], statistics: FreshStatistics) -> _Stored:
        stored = self.store_chunk(conn, found)
        statistics.grew(conn, stored.added)
        return stored

    def account(self, pending: _Pending, progress: Progress | None) -> None:
        stored = pending.job.result()
        self.report.added += stored.added
        self.report.duplicates += stored.duplicates
        self.report.corrections += stored.corrections
        self.report.rejected_rows += len(stored.conflicts)
        clashes = [self.conflict(d) for d in stored.conflicts]
        self.note_all(heapq.merge(pending.held, clashes, key=_row_of))
        if progress:
            progress(pending.rows)

    def note_all(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.report.note(problem, self.options.max_reported)

    def draft_chunk(self, chunk: list[RawRow]) -> list[RecordDraft]:
        """The chunk's drafts in row order: rows proven valid column by column (``ChunkDrafter``),
        the others one by one by ``draft``, which reports their problems."""
        if not FAST_PATH:
            return [d for d in (self.draft(row) for row in chunk) if d is not None]
        found, fast = self.fast.draft_chunk(chunk, self.draft)
        self.report.rows += fast
        return found

    def draft(self, raw: RawRow) -> RecordDraft | None:
        """One row the reference way: every problem of the row reported (held until its chunk is written)."""
        number, cells, read_problems = raw
        self.report.rows += 1
        if len(cells) >= self.width:
            values = {code: cells[i] for i, code in self.cells}
        else:
            values = {code: cells[i] for i, code in self.cells if i < len(cells)}
        normalised, issues = self.validator.validate(values)
        subject = None
        if not issues:
            subject, more = drafts.identify(self.roles, self.item, normalised)
            issues = more + drafts.document_issues(self.schema, self.item, normalised)
        if read_problems or issues or subject is None:
            self.reject(number, read_problems, issues)
            return None
        fields_json = drafts.canonical_fields(normalised)
        return RecordDraft(
            id=drafts.content_id(self.item.code, self.report.unit, subject.subject_id, fields_json),
            item_code=self.item.code,
            subject=subject,
            document_number=normalised.get(self.schema.document_number_field or ""),
            decision_date=_date(normalised.get(self.schema.decision_date_field or "")),
            tier=drafts.record_tier(self.catalog, self.roles, self.item, normalised, self.rulesets),
            fields=fields_json,
            source_row=number,
        )

    def reject(self, row: int, read_problems: Sequence[Problem], issues: list[FieldIssue]) -> None:
        self.report.rejected_rows += 1
        self.held.extend(read_problems)
        for i in issues:
            where = {"file": self.source.name, "row": row, "field": i.field}
            self.held.append(Problem(i.rule, i.message, where, i.message_zh, i.value))

    def store_chunk(self, conn: Connection, found: list[RecordDraft]) -> _Stored:
        """Store one chunk's drafts (runs on the writer thread: it reads the report, never changes it)."""
        unique = list({d.id: d for d in found}.values())
        known = q.existing_record_ids(conn, [d.id for d in unique])
        fresh = [d for d in unique if d.id not in known]
        q.touch_records(conn, sorted(known), self.stamp)
        superseded, conflicts = self.corrections(conn, fresh)
        clashing = {d.id for d in conflicts}
        fresh = [d for d in fresh if d.id not in clashing]
        self.link_subjects(conn, fresh)
        q.insert_records(conn, [self.record_row(d, superseded.get(d.id)) for d in fresh])
        return _Stored(len(fresh), len(found) - len(unique) + len(known), len(superseded), conflicts)

    def corrections(
        self, conn: Connection, fresh: list[RecordDraft]
    ) -> tuple[dict[str, str], list[RecordDraft]]:
        """New versions of stored documents, {new id: superseded id}, and rows that clash within the batch."""
        keyed = [d for d in fresh if d.document_number]
        current = q.current_by_document(
            conn,
            self.report.unit,
            self.item.code,
            [(d.document_number or "", d.subject.subject_id) for d in keyed],
        )
        out: dict[str, str] = {}
        conflicts: list[RecordDraft] = []
        seen: set[tuple[str, str]] = set()
        for d in keyed:
            key = (d.document_number or "", d.subject.subject_id)
            if key in seen or (key in current and current[key][1] == self.report.batch_id):
                conflicts.append(d)
                continue
            seen.add(key)
            if key in current:
                out[d.id] = current[key][0]
        q.supersede(conn, sorted(out.values()))
        return out, conflicts

    def conflict(self, d: RecordDraft) -> Problem:
        return Problem(
            "row.conflicting_document",
            f"document {d.document_number} appears earlier in this batch with other content",
            {"file": self.source.name, "row": d.source_row, "field": self.schema.document_number_field or ""},
            f"文书号 {d.document_number} 在本批次中重复出现且内容不同",
            d.document_number,
        )

    def link_subjects(self, conn: Connection, fresh: list[RecordDraft]) -> None:
        by_id = {d.subject.subject_id: d.subject for d in fresh}
        known = q.subject_names_of(conn, sorted(by_id))
        new = [s for sid, s in by_id.items() if sid not in known]
        renamed = [
            (sid, s.name) for sid, s in by_id.items() if sid in known and s.name and known[sid] != s.name
        ]
        source = f"batch:{self.report.batch_id}"
        q.insert_subjects(conn, [self.subject_row(s) for s in new])
        q.insert_identifiers(
            conn,
            [
                (scheme, value, s.subject_id, source, self.stamp)
                for s in new
                for scheme, value in ((s.scheme, s.value), *s.legacy)
            ],
        )
        names = [(s.subject_id, s.name) for s in new] + renamed
        q.add_names(conn, [(sid, name, None, self.stamp, source) for sid, name in names])
        q.rename_subjects(conn, renamed, self.stamp)

    def subject_row(self, s: drafts.SubjectKey) -> tuple[Any, ...]:
        """A new subject in q.SUBJECT_COLUMNS order (register details come from the registry)."""
        return (
            s.subject_id,
            s.kind.value,
            s.scheme,
            s.value,
            s.name,
            normalise_name(s.name),
            s.is_individual_business,
            self.stamp,
            self.stamp,
        )

    def record_row(self, d: RecordDraft, supersedes: str | None) -> tuple[Any, ...]:
        return (
            d.id,
            d.item_code,
            self.catalog.version,
            d.subject.subject_id,
            self.report.unit,
            d.document_number,
            d.decision_date,
            str(d.tier),  # a StrEnum: its value (faster than the .value property, row by row)
            RawJson(d.fields),
            "current",
            supersedes,
            self.report.batch_id,
            d.source_row,
            self.stamp,
            self.stamp,
        )


def _spare_core() -> bool:
    """Is a core idle for a drafting process? Moving a chunk between processes costs about a fifth of
    drafting it (pickling), so a second process pays only when it runs beside this one, not in turn."""
    cores = os.cpu_count() or 1
    return cores >= 2 and os.getloadavg()[0] <= cores - 1


def _widen(pipe: Any) -> None:
    """A chunk is megabytes: a 1 MiB pipe buffer instead of 64 KiB means fewer hand-overs (each a
    wait for the other process to be scheduled, dear on a busy machine). Linux only; best effort."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass


def _draft_worker(run: _Run, out: Any) -> None:
    """The drafting process: sends ("chunk", drafts packed, problems, rows, rejected rows) per chunk,
    then ("end",), or ("invalid", error) when the file fails while being read, or ("crash", text)."""
    try:
        rows = rejected = 0
        packer = Packer()
        for found, held in run.drafted():
            report = run.report
            out.send(("chunk", packer.pack(found), held, report.rows - rows, report.rejected_rows - rejected))
            rows, rejected = report.rows, report.rejected_rows
        out.send(("end",))
    except InvalidInput as e:
        out.send(("invalid", e))
    except Exception as e:  # anything else: told to the writing process, which raises it
        out.send(("crash", f"{type(e).__name__}: {e}"))
    finally:
        out.close()


def _chunked(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    """Chunks of ``size`` rows, the first ones smaller (an eighth, a quarter, a half): writing, on
    the other side of the pipe or thread, starts once a small chunk is drafted, not a full one."""
    chunk: list[RawRow] = []
    want = max(1, size // RAMP)
    for row in rows:
        chunk.append(row)
        if len(chunk) >= want:
            yield chunk
            chunk = []
            want = min(size, want * 2)
    if chunk:
        yield chunk


def _date(text: Any) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) and text else None


def _open_batch(conn: Connection, report: BatchReport, source: _Source, actor: Actor) -> None:
    conn.execute(
        insert(batches).values(
            id=report.batch_id,
            unit_code=report.unit,
            kind=f"records:{report.item}",
            source_name=source.name,
            content_hash=source.content_hash,
            status="loading",
            started_at=events.now(),
            actor=actor.label(),
        )
    )


def _close_batch(conn: Connection, report: BatchReport, actor: Actor) -> None:
    conn.execute(
        update(batches)
        .where(batches.c.id == report.batch_id)
        .values(
            status=report.status,
            rows_total=report.rows,
            rows_accepted=report.added + report.duplicates,
            rows_rejected=report.rejected_rows,
            report=report.as_dict(),
            finished_at=events.now(),
        )
    )
    events.append(conn, actor, f"batch:{report.status}", "batch", report.batch_id, report.summary())


def _record_rejection(store: Store, report: BatchReport, source: _Source, actor: Actor) -> None:
    with store.write() as conn:
        conn.execute(
            insert(batches).values(
                id=report.batch_id,
                unit_code=report.unit,
                kind=f"records:{report.item or 'unknown'}",
                source_name=source.name,
                content_hash=source.content_hash,
                status="rejected",
                rows_total=report.rows,
                rows_accepted=0,
                rows_rejected=report.rejected_rows,
                report=report.as_dict(),
                started_at=events.now(),
                finished_at=events.now(),
                actor=actor.label(),
            )
        )
        events.append(conn, actor, "batch:rejected", "batch", report.batch_id, report.summary())


def _reject_file(
    store: Store,
    report: BatchReport,
    err: XinyongError,
    actor: Actor,
    content_hash: str,
    options: IngestOptions,
) -> BatchReport:
    problems = err.problems or [
        Problem(err.rule or err.code, err.message, {"file": report.file}, err.message_zh)
    ]
    for p in problems:
        report.note(p, options.max_reported)
    report.status = "rejected"
    _record_rejection(store, report, _Source(report.file, [], [], content_hash), actor)
    return report


def get_batch(store: Store, actor: Actor, batch_id: str) -> dict[str, Any]:
    """One batch with its report; source-unit staff see only their own unit's batches."""
    require(actor, "batches.read")
    with store.read() as conn:
        row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
    if row is None or (actor.role is Role.SOURCE_UNIT and row.unit_code != actor.unit):
        raise NotFound(f"no batch {batch_id!r}", message_zh=f"没有批次 {batch_id}", rule="ingest.batch")
    return dict(row._mapping)


def list_batches(
    store: Store, actor: Actor, limit: int = 50, unit: str | None = None
) -> list[dict[str, Any]]:
    require(actor, "batches.read")
    if actor.role is Role.SOURCE_UNIT:
        unit = actor.unit
    query = select(batches).order_by(batches.c.started_at.desc()).limit(min(limit, 500))
    if unit:
        query = query.where(batches.c.unit_code == unit)
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
