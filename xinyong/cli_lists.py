"""`xinyong lists|parties|calendar|jobs …`: court list import, bulk screening of large files, relying
parties, working-day schedules and the daily jobs. Installed in ``xinyong.cli`` by ``install(app)``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import XinyongError
from xinyong.settings import Settings

if TYPE_CHECKING:
    from xinyong.services.platform import Platform

lists_app = typer.Typer(
    help="Untrustworthy lists (名单): court list import, bulk screening.", no_args_is_help=True
)
parties_app = typer.Typer(
    help="Relying parties (信息使用单位) that screen for measures.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="Working-day schedules (节假日安排) loaded by the operator.", no_args_is_help=True
)
jobs_app = typer.Typer(help="Daily jobs (expiry of list entries, …).", no_args_is_help=True)

console = Console()
err_console = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option("--database-url", help="Overrides XINYONG_DATABASE_URL.")]
OPERATOR = Actor.operator("cli")


def install(app: typer.Typer) -> None:
    app.add_typer(lists_app, name="lists")
    app.add_typer(parties_app, name="parties")
    app.add_typer(calendar_app, name="calendar")
    app.add_typer(jobs_app, name="jobs")


def _open(database_url: str | None) -> Platform:
    from xinyong.services.platform import Platform

    return Platform.open(Settings.from_env(database_url=database_url))


def _fail(err: XinyongError) -> None:
    err_console.print(f"[bold red]error[/] {escape(f'[{err.code}] {err.message}')}")
    for p in err.problems[:50]:
        err_console.print(f"  - {escape(str(p))}")
    raise typer.Exit(1)


@lists_app.command("import-court")
def import_court(
    file: Path,
    unit: Annotated[str, typer.Option(help="The court unit whose data this is, e.g. sz_court.")],
    database_url: DbUrl = None,
) -> None:
    """Import a court data file (zxgk/shixin JSON) as decided, published entries of UNIT."""
    from xinyong.services import court_import

    platform = _open(database_url)
    try:
        actor = Actor(role=Role.SOURCE_UNIT, unit=unit, user="cli")
        result = court_import.import_records(platform, actor, court_import.parse(file.read_bytes()))
    except XinyongError as err:
        _fail(err)
    console.print(f"imported {result.imported}, already present {result.already}")


@lists_app.command("screen")
def screen_file(
    file: Path,
    party: Annotated[str, typer.Option(help="Relying party code.")],
    measure: Annotated[str, typer.Option(help="Measure code, e.g. no_flights.")],
    purpose: Annotated[str, typer.Option(help="Declared purpose.")],
    out: Annotated[Path | None, typer.Option(help="Write restricted results as JSON lines here.")] = None,
    chunk: Annotated[int, typer.Option(help="Identifiers per recorded screening.")] = 100_000,
    database_url: DbUrl = None,
) -> None:
    """Screen a file of identifiers (one a line; millions are streamed in chunks)."""
    from xinyong.services import screening

    platform = _open(database_url)
    found = {p.code: p for p in screening.list_parties(platform.store)}
    if party not in found or not found[party].active:
        err_console.print(f"[bold red]error[/] no active relying party {escape(party)}")
        raise typer.Exit(1)
    total = restricted = 0
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        with file.open(encoding="utf-8-sig") as lines:
            batch: list[str] = []
            for line in lines:
                if line.strip():
                    batch.append(line.strip())
                if len(batch) >= chunk:
                    total, restricted = _screen(
                        platform, found[party], batch, measure, purpose, sink, total, restricted
                    )
                    batch = []
            if batch:
                total, restricted = _screen(
                    platform, found[party], batch, measure, purpose, sink, total, restricted
                )
    except XinyongError as err:
        _fail(err)
    finally:
        if sink:
            sink.close()
    console.print(f"screened {total}, restricted {restricted}")


def _screen(
    platform: Platform,
    party: object,
    batch: list[str],
    measure: str,
    purpose: str,
    sink: object,
    total: int,
    restricted: int,
) -> tuple[int, int]:
    from xinyong.services import screening

    assert isinstance(party, screening.Party)
    result = screening.screen_bulk(
        platform.store,
        platform.catalog,
        party,
        identifiers=batch,
        measure=measure,
        purpose=purpose,
        today=platform.today(),
        limit=None,
    )
    if sink is not None:
        for row in result["results"]:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")  # type: ignore[attr-defined]
    return total + result["total"], restricted + result["restricted"]


@parties_app.command("add")
def parties_add(
    code: str,
    name: Annotated[str, typer.Option(help="Name of the party.")],
    purpose: Annotated[list[str], typer.Option(help="A declared purpose (repeatable).")],
    database_url: DbUrl = None,
) -> None:
    """Register a relying party; prints its API key once."""
    from xinyong.services import screening

    platform = _open(database_url)
    try:
        _, key = screening.add_party(
            platform.store, platform.catalog, OPERATOR, code=code, name=name, purposes=purpose
        )
    except XinyongError as err:
        _fail(err)
    console.print(f"API key for {code} (shown once): {key}")


@parties_app.command("list")
def parties_list(database_url: DbUrl = None) -> None:
    """List relying parties and their purposes."""
    from xinyong.services import screening

    table = Table("code", "name", "purposes", "active")
    for p in screening.list_parties(_open(database_url).store):
        table.add_row(p.code, p.name, ", ".join(sorted(p.purposes)), "yes" if p.active else "revoked")
    console.print(table)


@parties_app.command("revoke")
def parties_revoke(code: str, database_url: DbUrl = None) -> None:
    """Revoke a relying party's API key."""
    from xinyong.services import screening

    try:
        screening.revoke(_open(database_url).store, OPERATOR, code)
    except XinyongError as err:
        _fail(err)
    console.print(f"revoked {code}")


@calendar_app.command("load")
def calendar_load(file: Path, database_url: DbUrl = None) -> None:
    """Load one year's official holiday schedule (YAML/JSON: year, source, holidays, workdays)."""
    from xinyong.services import workcalendar

    platform = _open(database_url)
    try:
        schedule = workcalendar.read_file(file)
        workcalendar.load(platform.store, OPERATOR, schedule)
    except XinyongError as err:
        _fail(err)
    console.print(
        f"loaded {schedule.year}: {len(schedule.holidays)} holidays, {len(schedule.workdays)} workdays"
    )


@calendar_app.command("show")
def calendar_show(database_url: DbUrl = None) -> None:
    """Show which years have an official schedule (loaded or from the holidays package)."""
    from xinyong.services import workcalendar

    cal = workcalendar.calendar(_open(database_url).store)
    this = date.today().year
    for year in range(this - 1, this + 3):
        s = cal.schedule(year)
        console.print(f"{year}: {s.source if s else 'no official schedule (deadlines are flagged)'}")


@jobs_app.command("run")
def jobs_run(
    today: Annotated[str | None, typer.Option(help="Run as of this day (YYYY-MM-DD).")] = None,
    job: Annotated[list[str] | None, typer.Option(help="Only this job (repeatable).")] = None,
    database_url: DbUrl = None,
) -> None:
    """Run the daily jobs (idempotent: safe to run twice or concurrently)."""
    from xinyong.services import jobs

    platform = _open(database_url)
    try:
        results = jobs.run(platform, date.fromisoformat(today) if today else platform.today(), job or None)
    except XinyongError as err:
        _fail(err)
    console.print_json(json.dumps(results, ensure_ascii=False, default=str))


@jobs_app.command("list")
def jobs_list() -> None:
    """List the registered jobs."""
    from xinyong.services import jobs

    for name in jobs.registered():
        console.print(name)
