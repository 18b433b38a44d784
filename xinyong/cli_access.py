"""`xinyong accounts …`: create accounts, grant roles, issue and revoke API keys, purge query log
entries past their five-year retention. Registered in ``xinyong.cli`` as
``app.add_typer(accounts_app, name="accounts")``. The command line acts as the platform operator."""

from __future__ import annotations

import getpass
from datetime import date
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

accounts_app = typer.Typer(
    help="Accounts (账户): roles, API keys, the query log's retention.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)
CLI = Actor.operator("cli")

DbUrl = Annotated[str | None, typer.Option("--database-url", help="Overrides XINYONG_DATABASE_URL.")]


def _open(database_url: str | None) -> Platform:
    from xinyong.services.platform import Platform

    return Platform.open(Settings.from_env(database_url=database_url))


def _purposes(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _fail(err: XinyongError) -> None:
    err_console.print(f"[red]{escape(err.message)}[/red]")
    for p in err.problems:
        err_console.print(f"  {escape(str(p))}")
    raise typer.Exit(1)


@accounts_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (lower-case letters, digits, . _ @ -).")],
    role: Annotated[Role, typer.Option(help="operator, auditor, source_unit, relying_party or subject.")],
    unit: Annotated[str, typer.Option(help="Source unit or relying party code, for those roles.")] = "",
    subject: Annotated[str, typer.Option(help="Subject id, for a data subject's account.")] = "",
    purposes: Annotated[str, typer.Option(help="A relying party's declared purposes, comma-separated.")] = "",
    database_url: DbUrl = None,
) -> None:
    """Create an account; the password is asked for (or read from XINYONG_NEW_PASSWORD)."""
    import os

    from xinyong.services import accounts

    password = os.environ.get("XINYONG_NEW_PASSWORD") or getpass.getpass("password: ")
    platform = _open(database_url)
    try:
        user = accounts.create_user(
            platform.store, CLI, username, password, role, unit, subject or None, _purposes(purposes)
        )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    console.print(
        f"account {user.username} ({user.role.value}{' ' + user.unit if user.unit else ''}) created"
    )


@accounts_app.command("grant")
def grant(
    username: Annotated[str, typer.Argument(help="The account.")],
    role: Annotated[Role, typer.Argument(help="The role it gets (replacing its current one).")],
    unit: Annotated[str, typer.Option(help="Source unit or relying party code, for those roles.")] = "",
    purposes: Annotated[str, typer.Option(help="A relying party's declared purposes, comma-separated.")] = "",
    database_url: DbUrl = None,
) -> None:
    """Grant an account a role (logged in the tamper-evident log)."""
    from xinyong.services import accounts

    platform = _open(database_url)
    try:
        user = accounts.grant_role(
            platform.store,
            CLI,
            accounts.find_user(platform.store, username).id,
            role,
            unit,
            _purposes(purposes),
        )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    console.print(f"{user.username} is now {user.role.value}{' of ' + user.unit if user.unit else ''}")


@accounts_app.command("key")
def key(
    username: Annotated[str, typer.Argument(help="The account.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    database_url: DbUrl = None,
) -> None:
    """Issue an API key for an account; printed once, stored hashed."""
    from xinyong.services import accounts

    platform = _open(database_url)
    try:
        found = accounts.issue_key(
            platform.store, CLI, accounts.find_user(platform.store, username).id, label
        )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    typer.echo(found)


@accounts_app.command("revoke-key")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id (the part after xyu_).")],
    database_url: DbUrl = None,
) -> None:
    """Revoke an API key at once."""
    from xinyong.services import accounts

    platform = _open(database_url)
    try:
        accounts.revoke_key(platform.store, CLI, key_id)
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    console.print(f"key {key_id} revoked")


@accounts_app.command("list")
def list_accounts(database_url: DbUrl = None) -> None:
    """List accounts with their role, unit and subject."""
    from xinyong.services import accounts

    platform = _open(database_url)
    try:
        found = accounts.list_users(platform.store, CLI)
    finally:
        platform.close()
    table = Table("username", "role", "unit", "subject", "active")
    for u in found:
        table.add_row(
            u.username, u.role.value, u.unit or "-", u.subject_id or "-", "yes" if u.active else "no"
        )
    console.print(table)


@accounts_app.command("purge-queries")
def purge_queries(
    today: Annotated[str, typer.Option(help="The day to purge as of (YYYY-MM-DD); default today.")] = "",
    database_url: DbUrl = None,
) -> None:
    """Delete query log entries past their five-year retention (the purge itself is logged)."""
    from xinyong.services import querylog

    platform = _open(database_url)
    try:
        gone = querylog.purge(platform.store, CLI, date.fromisoformat(today) if today else platform.today())
    finally:
        platform.close()
    console.print(f"{gone} query log entries past retention deleted")
