"""The daily remedies job: reminders on the due day, overdue flags, deadlines without a calendar.

``run(platform, today)`` is registered with the job registry (``xinyong.services.jobs``) to run once
a day. For each open case it sends, at most once per case, kind and day:

* ``reminder`` to whoever must act, on the due day;
* ``overdue`` to the operators and whoever must act, every day after the due day;
* ``deadline_unknown`` to the operators when a deadline ran into a year without an official holiday
  schedule (load it: the deadline is flagged, never guessed).

Notices are recorded in ``remedy_notices`` and one ``remedy_jobs:run`` audit event summarises the run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, select

from xinyong.domain.actor import Actor
from xinyong.domain.permissions import require
from xinyong.services import events, jobs
from xinyong.services import remedy_store as rs
from xinyong.services.notify import Notice
from xinyong.services.platform import Platform
from xinyong.services.remedies import QueueRow, queue
from xinyong.store.tables import remedy_notices

TEXTS = {
    "reminder": ("今日为办理期限届满日", "Due today"),
    "overdue": ("已超过办理期限", "Overdue"),
    "deadline_unknown": (
        "办理期限跨入尚无官方节假日安排的年度，请导入该年度安排",
        "Deadline runs into a year without an official holiday schedule: load it",
    ),
}


def run(platform: Platform, today: date | None = None, actor: Actor | None = None) -> dict[str, Any]:
    """Send the day's reminders and overdue flags; returns counts and the overdue case ids."""
    actor = actor or Actor.system("remedy-jobs")
    require(actor, "remedies.jobs")
    today = today or platform.today()
    rows = queue(platform, actor, today)
    notices = [n for row in rows for n in _notices(row, today)]
    sender = rs.sender(platform)
    with platform.store.write() as conn:
        sent = {
            (r.case_id, r.kind, r.recipient)
            for r in conn.execute(select(remedy_notices).where(remedy_notices.c.on_date == today))
        }
        fresh = [n for n in notices if (n.case_id, n.kind, n.recipient) not in sent]
        for n in fresh:
            conn.execute(
                insert(remedy_notices).values(
                    case_id=n.case_id,
                    kind=n.kind,
                    recipient=n.recipient,
                    on_date=today,
                    channel=sender.channel,
                    at=events.now(),
                )
            )
        summary = _summary(rows, fresh, today)
        events.append(conn, actor, "remedy_jobs:run", "job", "remedy_jobs", summary)
    for n in fresh:
        sender.send(n)
    return summary


def _notices(row: QueueRow, today: date) -> list[Notice]:
    def notice(recipient: str, kind: str) -> Notice:
        zh, en = TEXTS[kind]
        due = row.due_on.isoformat() if row.due_on else "?"
        return Notice(
            recipient,
            kind,
            row.case.id,
            f"{zh}（{row.case.id}，期限 {due}）",
            f"{en} ({row.case.id}, due {due})",
        )

    if row.due_unknown is not None:
        return [notice("operators", "deadline_unknown")]
    if row.overdue:
        found = [notice("operators", "overdue")]
        if row.responsible != "operators":
            found.append(notice(row.responsible, "overdue"))
        return found
    if row.due_on == today:
        return [notice(row.responsible, "reminder")]
    return []


def _summary(rows: list[QueueRow], fresh: list[Notice], today: date) -> dict[str, Any]:
    return {
        "date": today.isoformat(),
        "open": len(rows),
        "overdue": sum(r.overdue for r in rows),
        "deadline_unknown": sum(r.due_unknown is not None for r in rows),
        "due_today": sum(r.due_on == today for r in rows),
        "notices": len(fresh),
        "overdue_cases": [r.case.id for r in rows if r.overdue],
    }


def _daily(platform: Platform, today: date) -> dict[str, Any]:
    return run(platform, today)


jobs.register("remedy_deadlines", _daily)  # 异议与修复期限提醒: daily, with the other jobs
