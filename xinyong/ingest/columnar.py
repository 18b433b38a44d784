"""The fast path of ingestion: prove a chunk's rows valid column by column, draft them in bulk.

The row-by-row path (``RowValidator.validate``, ``drafts.identify`` …, called by
``services.ingest._Run.draft``) is the reference: it reports every problem of a row. Most rows
of a real file have none, and proving that costs far less per column than checking each row:

* a free-text column is valid when its longest cell is within the field's length;
* a coded column (dates, amounts, enums, codes) is converted once per *distinct* text of the
  chunk, with the validator's own (remembered) converters;
* required fields, future dates, date order and conditional requirements are checked over the
  normalised columns; identity document numbers per distinct (type, number) pair;
* subject identification, the legally effective document and the tier are computed once per
  distinct combination of the few values they read, by the same functions as the reference path.

A row that any of these does not prove valid (or that the reader flagged) goes through the
reference path unchanged, in row order, so its report is the reference report. For a proven row
the draft is built from the same normalised values by the same functions (canonical JSON, content
id), so the outcome is identical; ``tests/test_ingest_columnar.py`` checks this against the
reference over the synthetic city's files (with their deliberate mistakes) and generated rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from json.encoder import encode_basestring
from typing import Any

from xinyong.catalog import Catalog, CatalogItem, FieldType
from xinyong.domain.enums import Tier
from xinyong.domain.validation import FieldError, RowValidator
from xinyong.errors import Problem
from xinyong.ingest import drafts
from xinyong.ingest.drafts import RecordDraft, SchemaRoles, SubjectKey

RawRow = tuple[int, list[str | None], Sequence[Problem]]
_TEXT_TYPES = (FieldType.STRING, FieldType.TEXT, FieldType.ID_NUMBER)
_CANONICAL = drafts.canonical_json
_encode_text = encode_basestring  # what that encoder writes a text as (ensure_ascii=False)
_BAD = object()  # a cell whose conversion failed
MEMO_LIMIT = 100_000  # remembered identifications / tiers per batch
_Coded = tuple[Sequence[str | None], dict[str | None, Any]]  # a coded column: raw cells, text -> value


class ChunkDrafter:
    """Drafts the rows of one batch chunk by chunk; ``reference`` drafts a row the slow, reporting way."""

    def __init__(
        self,
        catalog: Catalog,
        item: CatalogItem,
        unit: str,
        validator: RowValidator,
        cells: tuple[tuple[int, str], ...],
        rulesets: dict[str, Any],
    ) -> None:
        self.catalog, self.item, self.unit, self.validator = catalog, item, unit, validator
        self.schema = validator.schema
        self.roles = SchemaRoles(self.schema)
        self.cells = cells
        self.width = max((i for i, _ in cells), default=-1) + 1
        self.rulesets = rulesets
        present = {code for _, code in cells}
        self.complete = all(code in present for code in validator.required)
        schema, roles = self.schema, self.roles
        wanted = [
            schema.subject_name_field,
            schema.subject_category_field,
            *roles.uscc_fields,
            *(c for pair in roles.person_fields for c in pair),
            *(c for c, _ in roles.legacy_fields),
        ]
        self.identity_codes = _present(wanted, present)
        self.document_codes = _present([schema.document_number_field, schema.decision_date_field], present)
        self.tier_codes = _present(
            [
                schema.decision_date_field,
                roles.category_field,
                drafts.FINE_FIELD,
                schema.subject_category_field,
            ],
            present,
        )
        self.tier_rest = tuple(c for c in self.tier_codes if c != schema.decision_date_field)
        self.sorted_codes = tuple(sorted(present))
        self.identities: dict[tuple[Any, ...], SubjectKey | None] = {}
        self.tiers: dict[tuple[int, tuple[str | None, ...]], Tier] = {}

    def draft_chunk(
        self, chunk: list[RawRow], reference: Callable[[RawRow], RecordDraft | None]
    ) -> tuple[list[RecordDraft], int]:
        """The chunk's drafts in row order, and how many rows the fast path drafted itself."""
        width = self.width
        candidates = [k for k, (_, cells, trouble) in enumerate(chunk) if not trouble and len(cells) >= width]
        fast: dict[int, RecordDraft] = {}
        if candidates and self.complete:
            fast = self._prove(chunk, candidates)
        out: list[RecordDraft] = []
        for k, row in enumerate(chunk):
            found = fast.get(k)
            if found is None:
                found = reference(row)
            if found is not None:
                out.append(found)
        return out, len(fast)

    # ---- proving rows valid

    def _prove(self, chunk: list[RawRow], candidates: list[int]) -> dict[int, RecordDraft]:
        columns = list(zip(*(chunk[k][1] for k in candidates), strict=False))
        n = len(candidates)
        ok = bytearray(b"\x01") * n
        norm: dict[str, list[Any]] = {}
        coded: dict[str, _Coded] = {}
        fields = self.validator.fields
        for i, code in self.cells:
            norm[code] = self._convert(fields[code], columns[i], ok, coded)
        self._check(norm, ok)
        proven = [j for j in range(n) if ok[j]]
        if not proven:
            return {}
        return self._drafts(chunk, candidates, proven, norm, coded)

    def _convert(
        self, f: Any, raw: Sequence[str | None], ok: bytearray, coded: dict[str, _Coded]
    ) -> list[Any]:
        """The column's normalised values (None where empty or invalid, the row marked not proven);
        a coded column's raw cells and distinct conversions are kept in ``coded`` for encoding."""
        if f.type in _TEXT_TYPES:
            limit = f.max_length
            if limit is not None and max(map(len, filter(None, raw)), default=0) > limit:
                out = list(raw)
                for j, v in enumerate(raw):
                    if v is not None and len(v) > limit:
                        ok[j] = 0
                        out[j] = None
                return out
            return [None if v == "" else v for v in raw] if "" in raw else list(raw)
        convert = self.validator.converters[f.code]
        table: dict[str | None, Any] = {None: None}
        bad = False
        for v in set(raw):
            if v is None or v == "":
                table[v] = None
                continue
            try:
                table[v] = convert(v)
            except FieldError:
                table[v] = _BAD
                bad = True
        out = list(map(table.__getitem__, raw))
        coded[f.code] = (raw, table)
        if bad:
            for j, v in enumerate(out):
                if v is _BAD:
                    ok[j] = 0
                    out[j] = None
        return out

    def _check(self, norm: dict[str, list[Any]], ok: bytearray) -> None:
        """Row rules over whole columns, as ``RowValidator.validate`` applies them to one row."""
        v = self.validator
        for code in v.required:
            if None in norm[code]:
                _fail_where(ok, norm[code], lambda x: x is None)
        for code, type_field in v.id_numbers:
            if code in norm and norm[code].count(None) != len(norm[code]):
                self._id_numbers(norm[code], norm.get(type_field or ""), ok)
        today = v.today.isoformat()
        for code in v.future_checked:
            if code in norm and max(filter(None, norm[code]), default="") > today:
                _fail_where(ok, norm[code], lambda x: x is not None and x > today)
        for code, earlier in v.ordered:
            if code in norm and earlier and earlier in norm:
                later_col, earlier_col = norm[code], norm[earlier]
                for j, (a, b) in enumerate(zip(later_col, earlier_col, strict=True)):
                    if a is not None and b is not None and a < b:
                        ok[j] = 0
        for cond, wanted in v.conditions:
            present = norm.get(cond.field)
            if present is None:
                continue
            needed = [norm.get(code) for code in cond.require]
            given = [col for col in needed if col is not None]
            if len(given) < len(needed):
                lacking: Iterable[int] = range(len(present))
            else:
                lacking = sorted({j for col in given if None in col for j, x in enumerate(col) if x is None})
            for j in lacking:
                value = present[j]
                if value is None or not ok[j]:
                    continue
                hit = not wanted.isdisjoint(value) if isinstance(value, list) else value in wanted
                if hit and any(col is None or col[j] is None for col in needed):
                    ok[j] = 0
        self._documents(norm, ok)

    def _documents(self, norm: dict[str, list[Any]], ok: bytearray) -> None:
        """Negative information needs its document's number and date (``drafts.document_issues``)."""
        columns = [norm[c] for c in self.document_codes]
        verdicts: dict[tuple[bool, ...], bool] = {}
        if not any(None in col for col in columns):  # every row gives them all: one verdict
            values = dict.fromkeys(self.document_codes, "")
            if drafts.document_issues(self.schema, self.item, values):
                ok[:] = bytes(len(ok))
            return
        for j, given in enumerate(zip(*columns, strict=True)):
            key = tuple(x is not None for x in given)
            fine = verdicts.get(key)
            if fine is None:
                values = {c: "" for c, there in zip(self.document_codes, key, strict=True) if there}
                fine = verdicts[key] = not drafts.document_issues(self.schema, self.item, values)
            if not fine:
                ok[j] = 0

    def _id_numbers(self, numbers: list[Any], types: list[Any] | None, ok: bytearray) -> None:
        kinds = types if types is not None else [None] * len(numbers)
        checked: dict[tuple[Any, Any], Any] = {}
        for pair in set(zip(kinds, numbers, strict=True)):
            if pair[1] is not None:
                found = self.validator.document_number(pair[0], pair[1])
                checked[pair] = None if isinstance(found, FieldError) else found
        for j, pair in enumerate(zip(kinds, numbers, strict=True)):
            if pair[1] is None:
                continue
            found = checked[pair]
            if found is None:
                ok[j] = 0
            numbers[j] = found

    # ---- drafting proven rows

    def _drafts(
        self,
        chunk: list[RawRow],
        candidates: list[int],
        proven: list[int],
        norm: dict[str, list[Any]],
        coded: dict[str, _Coded],
    ) -> dict[int, RecordDraft]:
        schema, item_code, unit = self.schema, self.item.code, self.unit
        identity_cols = [norm[c] for c in self.identity_codes]
        members = {c: self._encoded(c, norm[c], coded.get(c)) for c in self.sorted_codes}
        encoded = list(members.values())
        tier_cols = [members[c] for c in self.tier_rest]  # a value's member text stands for it
        doc_col = norm.get(schema.document_number_field or "")
        date_col = norm.get(schema.decision_date_field or "")
        content_id, fromiso = drafts.content_id, date.fromisoformat
        tier_of = self._tier
        identities = zip(*identity_cols, strict=True) if identity_cols else iter(lambda: (), None)
        tiers = zip(*tier_cols, strict=True) if tier_cols else iter(lambda: (), None)
        out: dict[int, RecordDraft] = {}
        wanted = iter(proven)
        want = next(wanted)
        rows = zip(zip(*encoded, strict=True), identities, tiers, strict=False)  # last two: maybe endless
        for j, (pieces, who, tier_key) in enumerate(rows):
            if j != want:
                continue
            want = next(wanted, -1)
            subject = self._identify(who)
            if subject is None:
                continue  # the reference path reports why
            fields_json = "{" + ",".join(filter(None, pieces)) + "}"  # = drafts.canonical_fields(values)
            decided = date_col[j] if date_col is not None else None
            k = candidates[j]
            out[k] = RecordDraft(
                id=content_id(item_code, unit, subject.subject_id, fields_json),
                item_code=item_code,
                subject=subject,
                document_number=doc_col[j] if doc_col is not None else None,
                decision_date=fromiso(decided) if decided else None,
                tier=tier_of(decided, tier_key, norm, j),
                fields=fields_json,
                source_row=chunk[k][0],
            )
        return out

    def _encoded(self, code: str, column: list[Any], coded: _Coded | None) -> list[str | None]:
        """Each cell as its ``"code":value`` member of the canonical JSON (None where absent).

        The members of a row, joined in code order, are ``drafts.canonical_fields`` of its values:
        that encoder (sorted keys, ``,``/``:``) writes each key and value so, text through the same
        ``encode_basestring``. Each distinct text is encoded once: a coded column's by its raw text
        (which its value was converted from), so list values (multi-valued enums) need no hashing."""
        prefix = _CANONICAL(code) + ":"
        if coded is None:
            members: dict[str | None, str | None] = {None: None}
            members.update((v, prefix + _encode_text(v)) for v in set(column) if v is not None)
            return list(map(members.__getitem__, column))
        raw, values = coded
        table = {t: None if v is None or v is _BAD else prefix + _CANONICAL(v) for t, v in values.items()}
        return list(map(table.__getitem__, raw))

    def _identify(self, key: tuple[Any, ...]) -> SubjectKey | None:
        """The subject of a valid row, or None when identification or the document rule fails."""
        found = self.identities.get(key, self)
        if found is not self:
            return found  # type: ignore[return-value]
        values = {c: v for c, v in zip(self.identity_codes, key, strict=True) if v is not None}
        subject, issues = drafts.identify(self.roles, self.item, values)
        result = None if issues else subject
        if len(self.identities) >= MEMO_LIMIT:
            self.identities.clear()
        self.identities[key] = result
        return result

    def _tier(self, decided: Any, key: tuple[str | None, ...], norm: dict[str, list[Any]], j: int) -> Tier:
        """Row ``j``'s tier (``drafts.record_tier``), remembered per rule set and ``key`` (the row's
        other tier fields as member texts): decision dates vary far more than the tiers they give."""
        ruleset = drafts.tier_ruleset(self.catalog, self.roles, self.item, decided, self.rulesets)
        if ruleset is None:
            return self.item.tier
        memo = (id(ruleset), key)  # the rule sets stay alive in the catalog and self.rulesets
        found = self.tiers.get(memo)
        if found is None:
            values = {c: norm[c][j] for c in self.tier_rest if norm[c][j] is not None}
            found = drafts.classified_tier(self.roles, ruleset, values)
            if len(self.tiers) >= MEMO_LIMIT:
                self.tiers.clear()
            self.tiers[memo] = found
        return found


def _present(codes: list[str | None], present: set[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in codes if c and c in present))


def _fail_where(ok: bytearray, column: list[Any], bad: Callable[[Any], bool]) -> None:
    for j, x in enumerate(column):
        if bad(x):
            ok[j] = 0
