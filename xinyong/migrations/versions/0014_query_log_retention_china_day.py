"""query log: each entry kept five years from the query's day in China

Revision ID: 0014
Revises: 0013

Until this revision an entry's ``retain_until`` was counted from the UTC date of its query, while the
purge compares it with China's date: an entry made between 16:00 and 24:00 UTC (00:00 to 08:00 of
the next day in China) became purgeable a day short of five years. Each such entry's retention now
counts from China's day, as new entries' do (``xinyong.services.querylog``); no entry's is
shortened. The audit events of the queries do not hold the date, so the tamper-evident log is
unchanged. Downgrade keeps the later dates: a longer retention is still lawful.

The rules are copied here, not imported, so that this revision does the same whatever the code
becomes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))
YEARS = 5
CHUNK = 10_000

log = sa.table(
    "query_log",
    sa.column("id", sa.BigInteger),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("retain_until", sa.Date),
)


def _china_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite: naive UTC
    return aware.astimezone(CHINA).date()


def _retain_until(day: date) -> date:
    try:
        return day.replace(year=day.year + YEARS)
    except ValueError:  # 29 February
        return date(day.year + YEARS, 3, 1)


def upgrade() -> None:
    conn = op.get_bind()
    later = sa.update(log).where(log.c.id == sa.bindparam("entry")).values(retain_until=sa.bindparam("day"))
    last = 0
    while rows := conn.execute(
        sa.select(log.c.id, log.c.occurred_at, log.c.retain_until)
        .where(log.c.id > last)
        .order_by(log.c.id)
        .limit(CHUNK)
    ).all():
        last = rows[-1].id
        moved = [
            {"entry": r.id, "day": day}
            for r in rows
            if (day := _retain_until(_china_day(r.occurred_at))) > r.retain_until
        ]
        if moved:
            conn.execute(later, moved)


def downgrade() -> None:
    pass  # the later dates stay: five years from China's day is never shorter than required
