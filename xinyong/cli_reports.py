"""`xinyong reports …`: issue a credit report to a file, verify one, print statistics and the public keys.
Registered in ``xinyong.cli`` as ``app.add_typer(reports_app, name="reports")``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from xinyong.errors import XinyongError
from xinyong.settings import Settings

if TYPE_CHECKING:
    from xinyong.services.platform import Platform
    from xinyong.services.reports import Verification

reports_app = typer.Typer(
    help="Credit reports (信用报告): issue, verify, statistics, public keys.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option("--database-url", help="Overrides XINYONG_DATABASE_URL.")]


def _open(database_url: str | None) -> Platform:
    from xinyong.services.platform import Platform

    return Platform.open(Settings.from_env(database_url=database_url))


def _fail(err: XinyongError) -> None:
    err_console.print(f"[bold red]error[/] {escape(f'[{err.code}] {err.message}')}")
    for p in err.problems:
        err_console.print(f"  - {escape(str(p))}")
    raise typer.Exit(1)


@reports_app.command("issue")
def issue(
    subject_id: Annotated[str, typer.Argument(help="The subject's id (see `xinyong` search or the portal).")],
    purpose: Annotated[
        str, typer.Option(help="due_diligence, bank_loan, bidding, government_funding, understanding, other.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the signed PDF.")],
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    as_subject: Annotated[
        bool, typer.Option("--as-subject", help="Issue it to the subject itself (本人), not to the public.")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Issue a signed report as the public (or the subject itself) would get it; write the PDF."""
    from xinyong.domain.actor import Actor
    from xinyong.domain.enums import Role
    from xinyong.services import reports

    platform = _open(database_url)
    who = Actor(role=Role.SUBJECT, subject_id=subject_id, user="cli") if as_subject else Actor.public()
    try:
        issued = reports.request(platform, who, subject_id, purpose, lang)
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    out.write_bytes(issued.pdf)
    console.print(
        f"report [bold]{issued.number}[/] issued {issued.issued_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"signed by key {issued.key_id}, {len(issued.report.body.items())} items → {escape(str(out))}"
    )


def _print(v: Verification) -> None:
    if not v.genuine:
        console.print(f"[bold red]✗ not genuine[/] ({v.code}): {v.message_en} / {v.message_zh}")
        raise typer.Exit(1)
    mark = "[green]✓[/]" if v.current else "[yellow]![/]"
    issued = v.issued_at.strftime("%Y-%m-%d %H:%M:%S UTC") if v.issued_at else "?"
    console.print(f"{mark} genuine report {v.number}, issued {issued}: {v.message_en} / {v.message_zh}")
    for c in v.changes:
        console.print(f"  - {escape(c.text_en)} / {escape(c.text_zh)}")
    if not v.current:
        raise typer.Exit(2)


@reports_app.command("verify")
def verify(
    target: Annotated[str, typer.Argument(help="A report PDF file, or a report number.")],
    database_url: DbUrl = None,
) -> None:
    """Genuine? issued when? still current? Exit 0 current, 2 genuine but no longer current, 1 not genuine.
    (Offline, without the platform: `python -m xinyong.reports.verify FILE --keys keys.json`.)"""
    from xinyong.services import reports

    platform = _open(database_url)
    try:
        path = Path(target)
        result = (
            reports.verify_pdf(platform, path.read_bytes())
            if path.is_file()
            else reports.verify_number(platform, target)
        )
    finally:
        platform.close()
    _print(result)


@reports_app.command("stats")
def stats(
    csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV (month, purpose, subject kind, reports).")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Reports by purpose, subject kind and month."""
    from xinyong.domain.actor import Actor
    from xinyong.services import reports

    platform = _open(database_url)
    try:
        result = reports.statistics(platform, Actor.operator("cli"))
    finally:
        platform.close()
    if csv:
        typer.echo(result.csv(), nl=False)
        return
    console.print(f"{result.total} report(s)")
    for title, rows in (("purpose", result.by_purpose), ("kind", result.by_kind), ("month", result.by_month)):
        console.print(f"[bold]by {title}[/]: " + ", ".join(f"{k} {n}" for k, n in rows))


@reports_app.command("keys")
def keys(database_url: DbUrl = None) -> None:
    """Print the published key document (what /.well-known/xinyong-keys.json serves): the --keys file
    of the offline verifier."""
    from xinyong.audit.keys import KeyStore

    settings = Settings.from_env(database_url=database_url)
    typer.echo(json.dumps(KeyStore.for_data_dir(settings.data_dir).published(), indent=2))
