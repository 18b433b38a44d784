"""Which disciplinary measures (失信惩戒措施) apply: computed from list entries, never stored.

There is no flag, table or setting that switches a measure on. A measure applies to a subject on a
day only through a list entry that is published and inside its period on that day, whose list type
the measure names in ``triggered_by``, and (for measures with their own duration, e.g. three years
out of government procurement) only within that duration from the entry's start, never beyond the
entry's own end. Everything that answers "is this subject restricted?" calls :func:`applying`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from xinyong.catalog.lists import ListCatalog, Measure
from xinyong.domain.enums import SubjectKind
from xinyong.domain.lists import Entry, ListState, in_force


@dataclass(frozen=True)
class Applying:
    """One measure applying through one entry, until ``until`` (None: until the entry is removed)."""

    measure: Measure
    entry: Entry
    until: date | None


def measure_end(measure: Measure, entry: Entry) -> date | None:
    """The last day the measure applies through this entry (the earlier of the two ends)."""
    return end_of(measure, entry.starts_on, entry.ends_on)


def end_of(measure: Measure, starts_on: date | None, ends_on: date | None) -> date | None:
    if starts_on is None:
        return None
    own = measure.duration.after(starts_on) if measure.duration is not None else None
    ends = [d for d in (own, ends_on) if d is not None]
    return min(ends) if ends else None


def applies(measure: Measure, entry: Entry, today: date) -> bool:
    """Whether ``measure`` applies through ``entry`` on ``today``."""
    return applies_to(
        measure, entry.list_type, entry.subject_kind, entry.state, entry.starts_on, entry.ends_on, today
    )


def applies_to(
    measure: Measure,
    list_type: str,
    subject_kind: SubjectKind,
    state: ListState,
    starts_on: date | None,
    ends_on: date | None,
    today: date,
) -> bool:
    """:func:`applies` on an entry's relevant fields (bulk screening reads only these)."""
    if list_type not in measure.triggered_by or subject_kind not in measure.subject_kinds:
        return False
    if not in_force(state, starts_on, ends_on, today):
        return False
    end = end_of(measure, starts_on, ends_on)
    return end is None or today <= end


def applying(
    lists: ListCatalog, entries: Iterable[Entry], today: date, measure_code: str | None = None
) -> list[Applying]:
    """Measures applying today through ``entries`` (optionally only ``measure_code``)."""
    measures = [lists.measures[measure_code]] if measure_code else list(lists.measures.values())
    out: list[Applying] = []
    for entry in entries:
        for measure in measures:
            if applies(measure, entry, today):
                out.append(Applying(measure, entry, measure_end(measure, entry)))
    return out


def binds_person(measure: Measure, role: str) -> bool:
    """Whether the measure's basis names persons in ``role`` of a listed unit (e.g. its legal
    representative under 法释〔2015〕17号 art. 3); they are restricted only through the unit's entry."""
    return measure.target == "subject_and_named_persons" and role in measure.named_persons
