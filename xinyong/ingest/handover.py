"""A chunk's drafts handed from the drafting process to the writing one, compactly.

Pickling the drafts as objects cost about as much as a fifth of drafting them, on both sides of
the pipe: every ``RecordDraft`` and ``SubjectKey`` is a class instance with its own state, every
decision date an object. ``Packer`` turns a chunk into plain columns (lists of text and numbers,
which pickle fast) and sends each subject once while the table of subjects sent stays small;
``Unpacker`` rebuilds equal drafts, in the same order, on the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xinyong.domain.enums import Tier
from xinyong.ingest.drafts import RecordDraft, SubjectKey

SUBJECTS_KEPT = 100_000  # subjects both sides remember per batch before starting over


@dataclass(frozen=True)
class Packed:
    """One chunk's drafts as columns; ``subjects`` holds the subjects not sent before."""

    restart: bool  # the receiver forgets the subjects it was sent before these
    subjects: list[SubjectKey]
    subject_index: list[int]
    ids: list[str]
    item_codes: list[str]
    document_numbers: list[str | None]
    decision_days: list[int]  # proleptic ordinals, 0 for none
    tiers: list[str]
    fields: list[str]
    source_rows: list[int]


class Packer:
    """The sending side: remembers which subjects it has sent (their position on the other side)."""

    def __init__(self) -> None:
        self.sent: dict[SubjectKey, int] = {}

    def pack(self, found: list[RecordDraft]) -> Packed:
        restart = len(self.sent) >= SUBJECTS_KEPT
        if restart:
            self.sent.clear()
        new: list[SubjectKey] = []
        index: list[int] = []
        for d in found:
            at = self.sent.get(d.subject)
            if at is None:
                at = self.sent[d.subject] = len(self.sent)
                new.append(d.subject)
            index.append(at)
        return Packed(
            restart,
            new,
            index,
            [d.id for d in found],
            [d.item_code for d in found],
            [d.document_number for d in found],
            [d.decision_date.toordinal() if d.decision_date else 0 for d in found],
            [d.tier.value for d in found],
            [d.fields for d in found],
            [d.source_row for d in found],
        )


class Unpacker:
    """The receiving side: the drafts of each packed chunk, equal to those that were packed."""

    def __init__(self) -> None:
        self.subjects: list[SubjectKey] = []
        self.days: dict[int, date | None] = {0: None}
        self.tiers = {t.value: t for t in Tier}

    def unpack(self, packed: Packed) -> list[RecordDraft]:
        if packed.restart:
            self.subjects.clear()
        self.subjects.extend(packed.subjects)
        days = self.days
        days.update((d, date.fromordinal(d)) for d in set(packed.decision_days) - days.keys())
        subjects, tiers = self.subjects, self.tiers
        return [
            RecordDraft(ident, item, subjects[at], number, days[day], tiers[tier], fields, row)
            for ident, item, at, number, day, tier, fields, row in zip(
                packed.ids,
                packed.item_codes,
                packed.subject_index,
                packed.document_numbers,
                packed.decision_days,
                packed.tiers,
                packed.fields,
                packed.source_rows,
                strict=True,
            )
        ]
