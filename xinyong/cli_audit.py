"""`xinyong audit …`: verify the tamper-evident log, print proofs for the standalone verifier, sign tree
heads, list and rotate the signing keys. Registered in ``xinyong.cli`` as ``app.add_typer(audit_app,
name="audit")``; self-contained (``xinyong.cli`` imports this module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xinyong.errors import XinyongError
from xinyong.settings import Settings

if TYPE_CHECKING:
    from xinyong.audit.keys import KeyStore
    from xinyong.services.platform import Platform

audit_app = typer.Typer(
    help="The tamper-evident audit log (审计日志): verify it, prove entries, sign tree heads, manage keys.",
    no_args_is_help=True,
)

console = Console()
err_console = Console(stderr=True)

DbUrl = Annotated[str | None, typer.Option("--database-url", help="Overrides XINYONG_DATABASE_URL.")]
OutFile = Annotated[Path | None, typer.Option("--out", help="Write the JSON to FILE instead of printing it.")]


def _open(database_url: str | None) -> Platform:
    from xinyong.services.platform import Platform

    return Platform.open(Settings.from_env(database_url=database_url))


def _keystore(platform: Platform) -> KeyStore:
    from xinyong.audit.keys import KeyStore

    return KeyStore.for_data_dir(platform.settings.data_dir)


def _fail(err: XinyongError) -> None:
    err_console.print(f"[bold red]error[/] {escape(f'[{err.code}] {err.message}')}")
    for p in err.problems:
        err_console.print(f"  - {escape(str(p))}")
    raise typer.Exit(1)


def _emit(data: object, out: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    err_console.print(f"written to {escape(str(out))}")


@audit_app.command("verify")
def verify_cmd(
    key: Annotated[
        list[Path] | None,
        typer.Option(
            "--key",
            help="Public key file (PEM, raw or hex) to check heads with; repeat for every key."
            " Default: every key under <data_dir>/keys.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    no_payloads: Annotated[
        bool, typer.Option("--no-payloads", help="Skip checking payloads against their hashes.")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Recompute the log from the store, check every signed head; list problems, exit 1 if any.

    Each problem names the seq numbers it concerns: modified, deleted, inserted or reordered events,
    a changed payload, a stored node, the frontier state or a signed head that no longer matches.
    """
    from xinyong.audit import log, signing

    platform = _open(database_url)
    try:
        if key:
            ring = signing.key_ring(*(signing.load_public_key(p.read_bytes()) for p in key))
        else:
            ring = _keystore(platform).key_ring()
        report = log.verify(platform.store, ring, check_payloads=not no_payloads)
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    if as_json:
        typer.echo(json.dumps(report.summary(), ensure_ascii=False, indent=2))
    else:
        for finding in report.findings:
            typer.echo(f"✗ {finding}")  # one line each, unwrapped: easy to read and to grep
        verdict = (
            "[green]✓ log intact[/]" if report.ok else f"[bold red]✗ {len(report.findings)} problem(s)[/]"
        )
        console.print(
            f"{verdict}: {report.size:,} entries, {report.events:,} events,"
            f" {report.heads_verified}/{report.heads} signed heads verified,"
            f" {report.erased:,} erased payloads ({report.seconds:.2f} s)",
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("prove")
def prove(
    event_seq: Annotated[int, typer.Argument(help="The event's sequence number (events.seq).")],
    out: OutFile = None,
    entry: Annotated[
        bool,
        typer.Option(
            "--entry", help="Include the entry bytes (names the subject and actor: for the subject)."
        ),
    ] = False,
    sign: Annotated[
        bool,
        typer.Option("--sign/--no-sign", help="Sign a new tree head when no signed head covers the event."),
    ] = True,
    database_url: DbUrl = None,
) -> None:
    """Print an inclusion proof of event EVENT_SEQ for the standalone verifier.

    The bundle (xinyong-inclusion-proof/v1) carries the signed tree head it is for; check it with
    `python -m xinyong.audit.verifier inclusion FILE --key <data_dir>/keys/public/<key_id>.pem`.
    """
    from xinyong.audit import log

    platform = _open(database_url)
    try:
        keystore = _keystore(platform)
        if sign:
            bundle = log.signed_inclusion_proof(platform.store, event_seq, keystore, include_entry=entry)
        else:
            bundle = log.inclusion_proof(
                platform.store, event_seq, public_keys=keystore.public_keys(), include_entry=entry
            )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    _emit(bundle, out)


@audit_app.command("consistency")
def consistency(
    old: Annotated[int, typer.Argument(help="The earlier tree size.")],
    new: Annotated[
        int | None, typer.Argument(help="The later tree size (default: the newest signed head's).")
    ] = None,
    out: OutFile = None,
    database_url: DbUrl = None,
) -> None:
    """Print a proof that the log at size OLD is a prefix of the log at size NEW.

    The bundle (xinyong-consistency-proof/v1) carries the heads signed for those sizes, if any; check it
    with `python -m xinyong.audit.verifier consistency FILE --key PUB`.
    """
    from xinyong.audit import log

    platform = _open(database_url)
    try:
        bundle = log.consistency_proof(
            platform.store, old, new, public_keys=_keystore(platform).public_keys()
        )
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    _emit(bundle, out)


@audit_app.command("sign")
def sign_cmd(out: OutFile = None, database_url: DbUrl = None) -> None:
    """Sign and publish a tree head for the log as it is now, and print it."""
    from xinyong.audit import log

    platform = _open(database_url)
    try:
        sth = log.sign_head(platform.store, _keystore(platform).signing_key())
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    _emit(sth.to_json(), out)


@audit_app.command("keys")
def keys_cmd(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print /.well-known/xinyong-keys.json instead of a table.")
    ] = False,
) -> None:
    """List the public keys of every key the log has signed with, current and retired."""
    from xinyong.audit.keys import KeyStore

    keystore = KeyStore.for_data_dir(Settings.from_env().data_dir)
    if as_json:
        typer.echo(json.dumps(keystore.published(), indent=2))
        return
    table = Table("key id", "state", "public key (Ed25519, raw hex)")
    for k in keystore.known_keys():
        table.add_row(k.key_id, "current" if k.current else "retired", k.public_key)
    console.print(table)
    if not keystore.known_keys():
        console.print("no key yet: `xinyong audit sign` creates one")


@audit_app.command("rotate-key")
def rotate_key(database_url: DbUrl = None) -> None:
    """Make a new signing key current; the old public key stays published.

    The rotation is recorded in the log, and a tree head is signed with the new key.
    """
    from xinyong.audit import log
    from xinyong.domain.actor import Actor

    platform = _open(database_url)
    try:
        sth = log.rotate_key(platform.store, _keystore(platform), Actor.operator("cli"))
    except XinyongError as e:
        _fail(e)
        return
    finally:
        platform.close()
    console.print(f"signing key is now {sth.head.key_id}; head for size {sth.head.size} signed with it")
