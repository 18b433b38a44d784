"""China Standard Time (UTC+8; no daylight saving since 1991): the calendar the platform's days are on.

Moments are stored in UTC; a day (a decision's, a deadline's, today) is China's. One definition for
the whole platform, so that a day never depends on the server's time zone or on which module asks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def today() -> date:
    """Today's date in China."""
    return datetime.now(CHINA).date()


def day_of(moment: datetime) -> date:
    """China's calendar day of ``moment`` (aware, or naive UTC as SQLite returns stored moments)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).date()
