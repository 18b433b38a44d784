"""`xinyong remedies …`: the operators' queue of objections and repair cases, and the daily job.
Registered in ``xinyong.cli`` as ``app.add_typer(remedies_app, name="remedies")``."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from xinyong.settings import Settings

if TYPE_CHECKING:
    from xinyong.services.platform import Platform

remedies_app = typer.Typer(
    help="Objections (异议) and credit repair (信用修复): the deadline queue and the daily reminder job.",
    no_args_is_help=True,
)
console = Console()

DbUrl = Annotated[str | None, typer.Option("--database-url", help="Overrides XINYONG_DATABASE_URL.")]
Today = Annotated[
    str | None, typer.Option("--today", help="Business day YYYY-MM-DD (default: today in China).")
]


def _open(database_url: str | None) -> Platform:
    from xinyong.services.platform import Platform

    return Platform.open(Settings.from_env(database_url=database_url))


def _day(p: Platform, today: str | None) -> date:
    return date.fromisoformat(today) if today else p.today()


@remedies_app.command("queue")
def queue(
    database_url: DbUrl = None, today: Today = None, all_cases: bool = typer.Option(False, "--all")
) -> None:
    """Open cases with their due dates, overdue first (``--all`` includes closed ones)."""
    from xinyong.domain.actor import Actor
    from xinyong.services import remedies

    p = _open(database_url)
    try:
        day = _day(p, today)
        rows = remedies.queue(p, Actor.operator("cli"), day, open_only=not all_cases)
    finally:
        p.close()
    table = Table("case", "kind", "state", "unit", "opened", "due", "left", "flag")
    for r in rows:
        flag = "OVERDUE" if r.overdue else (f"no {r.due_unknown} schedule" if r.due_unknown else "")
        table.add_row(
            r.case.id,
            r.case.kind,
            r.case.state,
            r.case.unit_code,
            str(r.case.opened_on),
            str(r.due_on or ""),
            "" if r.working_days_left is None else str(r.working_days_left),
            flag,
        )
    console.print(table)
    console.print(f"{len(rows)} case(s) as of {day}; {sum(r.overdue for r in rows)} overdue")


@remedies_app.command("run-jobs")
def run_jobs(database_url: DbUrl = None, today: Today = None) -> None:
    """Send today's reminders and overdue flags through the configured notice sender; prints a summary."""
    from xinyong.services import remedy_jobs

    p = _open(database_url)
    try:
        summary = remedy_jobs.run(p, _day(p, today))
    finally:
        p.close()
    console.print_json(json.dumps(summary, ensure_ascii=False))
