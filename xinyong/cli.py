"""The `xinyong` command line (Typer). Thin: parse arguments, call services, print."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

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


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (XINYONG_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (XINYONG_PORT).")] = None,
    database_url: DbUrl = None,
) -> None:
    """Serve the portal and the API."""
    import uvicorn

    from xinyong.api.app import create_app

    settings = Settings.from_env(database_url=database_url, host=host, port=port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


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
    load_registry(city / "subjects.csv", database_url=None)
    if not no_serve:
        serve(host=None, port=None, database_url=None)


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
def show_settings() -> None:
    """List every setting with its environment variable, default and meaning."""
    table = Table("setting", "environment", "default", "meaning")
    for name, env, default, help_text in describe():
        table.add_row(name, env, str(default), help_text)
    console.print(table)


def main() -> None:
    try:
        app()
    except XinyongError as e:
        _report(e)
        sys.exit(1)


if __name__ == "__main__":
    main()
