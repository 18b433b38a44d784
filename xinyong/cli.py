"""The `xinyong` command line (Typer). Thin: parse arguments, call services, print."""

from __future__ import annotations

import dataclasses
import json
import secrets
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.cli_access import accounts_app
from xinyong.cli_audit import audit_app
from xinyong.cli_lists import install as install_lists
from xinyong.cli_remedies import remedies_app
from xinyong.cli_reports import reports_app
from xinyong.errors import XinyongError
from xinyong.settings import Settings, describe

app = typer.Typer(help="xinyong (信用): public credit information platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
catalog_app = typer.Typer(
    help="The public credit information catalog (公共信用信息目录).", no_args_is_help=True
)
ids_app = typer.Typer(help="Identifiers: USCC, resident ID, legacy codes.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(ids_app, name="ids")
app.add_typer(audit_app, name="audit")
units_app = typer.Typer(help="Source units (信息提供单位) and their API keys.", no_args_is_help=True)
app.add_typer(units_app, name="units")
app.add_typer(reports_app, name="reports")
app.add_typer(accounts_app, name="accounts")
app.add_typer(remedies_app, name="remedies")
install_lists(app)  # lists, parties, calendar, jobs (xinyong.cli_lists)

console = Console()
err_console = Console(stderr=True)


def _settings(database_url: str | None = None) -> Settings:
    return Settings.from_env(database_url=database_url)


def _report(err: XinyongError) -> None:
    err_console.print(f"[bold red]error[/] {escape(f'[{err.code}] {err.message}')}")
    for p in err.problems:
        err_console.print(f"  - {escape(str(p))}")


def _fail(err: XinyongError) -> None:
    _report(err)
    raise typer.Exit(1)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


DbUrl = Annotated[str | None, typer.Option("--database-url", help="Overrides XINYONG_DATABASE_URL.")]


@db_app.command("upgrade")
def db_upgrade(revision: str = "head", database_url: DbUrl = None) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from xinyong.store.engine import make_engine
    from xinyong.store.migrate import current_revision, upgrade

    settings = _settings(database_url)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine, revision)
    console.print(f"database at revision [bold]{current_revision(engine)}[/] ({engine.dialect.name})")


@db_app.command("current")
def db_current(database_url: DbUrl = None) -> None:
    """Print the database's current migration revision."""
    from xinyong.store.engine import make_engine
    from xinyong.store.migrate import current_revision

    console.print(current_revision(make_engine(_settings(database_url).effective_database_url)) or "(empty)")


@catalog_app.command("check")
def catalog_check(
    directory: Annotated[Path | None, typer.Argument(help="Catalog directory (default: built-in).")] = None,
) -> None:
    """Validate the catalog files; list every problem (file, entry, rule) and exit 1 if any."""
    from xinyong.catalog import check_catalog, load_catalog

    problems = check_catalog(directory)
    if problems:
        for p in problems:
            err_console.print(f"[red]✗[/] {escape(str(p))}")
        err_console.print(f"[bold red]{len(problems)} problem(s)[/] in {directory or 'the built-in catalog'}")
        raise typer.Exit(1)
    cat = load_catalog(directory)
    console.print(f"[green]✓[/] catalog ok: {len(cat.items)} items, version {cat.version[:12]}")


@catalog_app.command("show")
def catalog_show(
    code: Annotated[str | None, typer.Argument(help="Item code; all items when omitted.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print catalog items with their legal basis, disclosure and sharing."""
    from xinyong.catalog import load_catalog
    from xinyong.services.catalog import get_item, item_definition

    cat = load_catalog(_settings().catalog_path)
    try:
        items = [get_item(cat, code)] if code else list(cat.items.values())
    except XinyongError as e:
        _fail(e)
        return
    if as_json:
        console.print_json(json.dumps([item_definition(i) for i in items], ensure_ascii=False))
        return
    table = Table("code", "name", "tier", "disclosure", "legal basis", show_lines=True)
    for i in items:
        basis = "\n".join(f"{b.instrument} {b.article}".strip() for b in i.legal_basis)
        table.add_row(i.code, f"{i.name_zh}\n{i.name_en}", i.tier.value, i.disclosure.value, basis)
    console.print(table)


@ids_app.command("check")
def ids_check(codes: Annotated[list[str], typer.Argument(help="Codes to check.")]) -> None:
    """Print each code's kind and `valid` or the rule it fails; exit 1 if any is invalid."""
    from xinyong.ids import check

    bad = 0
    for code in codes:
        result = check(code)
        if result.valid:
            typer.echo(f"{code}\t{result.kind.value}\tvalid")
        else:
            bad += 1
            typer.echo(f"{code}\t{result.kind.value}\tinvalid\t{result.rule}\t{result.message}")
    if bad:
        raise typer.Exit(1)


@app.command("synth")
def synth(
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("var/city"),
    subjects: Annotated[int, typer.Option(help="Number of subjects.")] = 20000,
    records: Annotated[int, typer.Option(help="Number of licensing and penalty records.")] = 200000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
) -> None:
    """Generate a synthetic Shenzhen-like city: registry, 双公示 files (CSV UTF-8/GB18030, XLSX)."""
    from xinyong.synth import generate_city

    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        manifest = generate_city(out, subjects=subjects, records=records, seed=seed, progress=report)
    console.print_json(json.dumps(manifest.summary(), ensure_ascii=False, default=str))


@app.command("load-registry")
def load_registry(
    path: Annotated[Path, typer.Argument(help="subjects.csv written by `xinyong synth`.")],
    database_url: DbUrl = None,
) -> None:
    """Load registered subjects (登记注册基本信息) from a registry file into the store."""
    from xinyong.domain.actor import Actor
    from xinyong.services import registry
    from xinyong.services.platform import Platform

    platform = Platform.open(_settings(database_url))
    try:
        with progress_bar() as bar:
            task = bar.add_task("subjects", total=None)
            result = registry.load_file(
                platform.store,
                path,
                Actor.system("cli"),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    console.print_json(json.dumps(result.summary(), ensure_ascii=False))


@app.command("ingest")
def ingest_cmd(
    path: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030), XLSX or JSON-lines file.")],
    unit: Annotated[str, typer.Option(help="Code of the source unit sending the file.")],
    item: Annotated[
        str | None, typer.Option(help="Catalog item; inferred from the header when omitted.")
    ] = None,
    accept_valid: Annotated[
        bool, typer.Option("--accept-valid", help="Store the valid rows, report the rest.")
    ] = False,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of a CSV (detected when omitted).")
    ] = None,
    report_csv: Annotated[
        Path | None, typer.Option("--report", help="Write the rejection report as CSV.")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Ingest a source unit's file: validate every row against the catalog, link subjects, store."""
    from xinyong.domain.actor import Actor
    from xinyong.services import ingest, rejections
    from xinyong.services.platform import Platform

    platform = Platform.open(_settings(database_url))
    options = ingest.IngestOptions(item=item, accept_valid=accept_valid, encoding=encoding)
    try:
        with progress_bar() as bar:
            task = bar.add_task(path.name, total=None)
            report = ingest.ingest_file(
                platform.store,
                platform.catalog,
                path,
                unit,
                Actor.operator("cli"),
                options,
                progress=lambda done: bar.update(task, completed=done),
            )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    _print_batch(report.summary(), [p.as_dict() for p in report.problems])
    if report_csv:
        report_csv.write_bytes(rejections.to_csv(p.as_dict() for p in report.problems))
    if report.status == "rejected":
        raise typer.Exit(1)


def _print_batch(summary: dict[str, object], problems: list[dict[str, object]], shown: int = 20) -> None:
    console.print_json(json.dumps(summary, ensure_ascii=False))
    for p in problems[:shown]:
        where = p.get("where", {})
        assert isinstance(where, dict)
        text = p.get("message_zh") or p["message"]
        console.print(escape(f"row {where.get('row', '-')} {where.get('field', '')}: [{p['rule']}] {text}"))
    if len(problems) > shown:
        console.print(f"… {len(problems) - shown} more (use --report FILE for all)")


@app.command("batches")
def batches_cmd(
    unit: Annotated[str | None, typer.Option(help="Only this unit's batches.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 30,
    database_url: DbUrl = None,
) -> None:
    """List batches with their status, counts and timing."""
    from xinyong.domain.actor import Actor
    from xinyong.services import ingest
    from xinyong.services.platform import Platform

    platform = Platform.open(_settings(database_url))
    try:
        rows = ingest.list_batches(platform.store, Actor.operator("cli"), limit=limit, unit=unit)
    finally:
        platform.close()
    table = Table(
        "batch", "unit", "kind", "file", "status", "rows", "accepted", "rejected", "started", "seconds"
    )
    for b in rows:
        took = (b["finished_at"] - b["started_at"]).total_seconds() if b["finished_at"] else None
        table.add_row(
            b["id"][:12],
            b["unit_code"] or "-",
            b["kind"],
            b["source_name"],
            b["status"],
            str(b["rows_total"]),
            str(b["rows_accepted"]),
            str(b["rows_rejected"]),
            b["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
            f"{took:.2f}" if took is not None else "-",
        )
    console.print(table)


@units_app.command("list")
def units_list(database_url: DbUrl = None) -> None:
    """List source units and the catalog items each may supply."""
    from xinyong.services import units
    from xinyong.services.platform import Platform

    platform = Platform.open(_settings(database_url))
    try:
        found = units.list_units(platform.store)
    finally:
        platform.close()
    table = Table("code", "name", "USCC", "items", "key", show_lines=True)
    for u in found:
        table.add_row(u.code, u.name_zh, u.uscc, "\n".join(u.items) or "-", "yes" if u.has_key else "-")
    console.print(table)


@units_app.command("add")
def units_add(
    code: Annotated[str, typer.Argument(help="New unit code, e.g. sz_futian_samr.")],
    name_zh: Annotated[str, typer.Option(help="Chinese name.")],
    name_en: Annotated[str, typer.Option(help="English name.")],
    uscc: Annotated[str, typer.Option(help="The unit's Unified Social Credit Code.")],
    domain: Annotated[str, typer.Option(help="Domain, e.g. market_regulation; limits the grantable items.")],
    items: Annotated[str, typer.Option(help="Comma-separated catalog item codes it may supply.")],
    database_url: DbUrl = None,
) -> None:
    """Register another source unit for items the catalog allocates to its domain."""
    from xinyong.domain.actor import Actor
    from xinyong.services import units
    from xinyong.services.platform import Platform

    platform = Platform.open(_settings(database_url))
    try:
        unit = units.add_unit(
            platform.store,
            platform.catalog,
            Actor.operator("cli"),
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            uscc=uscc,
            domain=domain,
            items=[i.strip() for i in items.split(",") if i.strip()],
        )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    console.print(f"unit {unit.code} added; items: {', '.join(unit.items)}")


@units_app.command("key")
def units_key(code: Annotated[str, typer.Argument(help="Unit code.")], database_url: DbUrl = None) -> None:
    """Issue (or rotate) a unit's API key for pushes; printed once, stored hashed."""
    from xinyong.domain.actor import Actor
    from xinyong.services import units
    from xinyong.services.platform import Platform

    platform = Platform.open(_settings(database_url))
    try:
        key = units.issue_key(platform.store, Actor.operator("cli"), code)
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    typer.echo(key)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (XINYONG_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (XINYONG_PORT).")] = None,
    database_url: DbUrl = None,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (XINYONG_WORKERS); 2 on a 2-core machine.")
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request (costs throughput).")] = False,
) -> None:
    """Serve the portal and the API (TCP_NODELAY on every connection, see xinyong.server)."""
    settings = Settings.from_env(database_url=database_url, host=host, port=port, workers=workers)
    try:
        _serve(settings, access_log=access_log)
    except XinyongError as e:
        _fail(e)


def _serve(settings: Settings, *, access_log: bool = False) -> None:
    from xinyong.server import serve

    serve(settings, access_log=access_log)


@app.command("demo")
def demo(
    subjects: Annotated[int | None, typer.Option(help="Subjects (XINYONG_DEMO_SUBJECTS).")] = None,
    records: Annotated[int | None, typer.Option(help="Records (XINYONG_DEMO_RECORDS).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (XINYONG_DEMO_SEED).")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare the data, do not serve.")] = False,
) -> None:
    """Generate the synthetic city, load it into the store and serve on 127.0.0.1:8000."""
    settings = Settings.from_env(demo_subjects=subjects, demo_records=records, demo_seed=seed)
    city = settings.data_dir / "city"
    manifest = city / "manifest.json"
    if not _same_city(manifest, settings):
        synth(
            out=city, subjects=settings.demo_subjects, records=settings.demo_records, seed=settings.demo_seed
        )
    if no_serve:
        _load_city(settings, city)
        return
    from xinyong.services.platform import Platform

    Platform.open(settings).close()  # migrate and record the catalog once, before two threads use the store
    loader = threading.Thread(
        target=_load_city, args=(settings, city, False), name="demo-loader", daemon=True
    )
    loader.start()  # the portal answers at once; records appear as each source unit's file is stored
    if not settings.operator_token:
        settings = dataclasses.replace(settings, operator_token=secrets.token_urlsafe(12))
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"portal {base}/  ·  catalog {base}/catalog  ·  API {base}/docs")
    console.print(f"operator pages {base}/operator  (token for this run: [bold]{settings.operator_token}[/])")
    _serve(settings)


def _load_city(settings: Settings, city: Path, show_progress: bool = True) -> None:
    from xinyong.services.demo import load_city
    from xinyong.services.demo_extras import SCREENING_PARTY
    from xinyong.services.platform import Platform

    platform = Platform.open(settings)
    try:
        if not show_progress:
            console.print("loading the synthetic city in the background …")
            loaded = load_city(platform, city, extras=True)
        else:
            with progress_bar() as bar:
                tasks: dict[str, TaskID] = {}

                def report(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                loaded = load_city(platform, city, progress=report, extras=True)
    finally:
        platform.close()
    console.print_json(json.dumps(loaded.summary(), ensure_ascii=False))
    if loaded.extras is None:
        return
    table = Table("role", "username", "password", "who", title="demo logins (portal /login)")
    for login in loaded.extras.logins:
        table.add_row(login.role, login.username, login.password, escape(login.note))
    console.print(table)
    if loaded.extras.screening_key:
        console.print(
            f"screening party {SCREENING_PARTY}: API key (shown once, keep it) "
            f"[bold]{loaded.extras.screening_key}[/]"
        )
    else:
        console.print(f"screening party {SCREENING_PARTY}: registered earlier (its key was shown then)")


def _same_city(manifest: Path, settings: Settings) -> bool:
    if not manifest.exists():
        return False
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return bool(
        data.get("seed") == settings.demo_seed
        and data.get("subjects", {}).get("total") == settings.demo_subjects
        and data.get("records", {}).get("total") == settings.demo_records
    )


@app.command("settings")
def show_settings(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print docs/settings.md instead of a table.")
    ] = False,
) -> None:
    """List every setting with its environment variable, default and meaning."""
    if markdown:
        typer.echo(settings_markdown(), nl=False)
        return
    table = Table("setting", "environment", "default", "meaning")
    for name, env, default, help_text in describe():
        table.add_row(name, env, str(default), help_text)
    console.print(table)


def settings_markdown() -> str:
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable. `xinyong settings` prints them; this page is",
        "`xinyong settings --markdown`, and a test fails when a setting is missing here.",
        "",
        "| environment variable | default | meaning |",
        "|---|---|---|",
    ]
    for _, env, default, help_text in describe():
        shown = str(default) if str(default) else "(empty)"
        lines.append(f"| `{env}` | `{shown}` | {help_text} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    try:
        app()
    except XinyongError as e:
        _report(e)
        sys.exit(1)


if __name__ == "__main__":
    main()
