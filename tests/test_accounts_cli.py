"""`xinyong accounts …` on a SQLite file: create, grant, issue and revoke a key, list."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.cli import app
from xinyong.errors import NotPermitted
from xinyong.services import accounts
from xinyong.services.platform import Platform
from xinyong.settings import Settings

runner = CliRunner()


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}"]
    env = {"XINYONG_NEW_PASSWORD": "correct horse battery", "XINYONG_DATA_DIR": str(tmp_path)}
    made = runner.invoke(app, ["accounts", "add", "ops", "--role", "operator", *url], env=env)
    assert made.exit_code == 0, made.output
    bad = runner.invoke(app, ["accounts", "add", "bank", "--role", "relying_party", *url], env=env)
    assert bad.exit_code == 1 and "account.unit" in bad.output  # names the rule broken
    grant = [
        "accounts",
        "grant",
        "ops",
        "relying_party",
        "--unit",
        "bank_zs",
        "--purposes",
        "bank_loan,bidding",
    ]
    granted = runner.invoke(app, [*grant, *url])
    assert granted.exit_code == 0 and "bank_zs" in granted.output
    key = runner.invoke(app, ["accounts", "key", "ops", *url]).output.strip()
    platform = Platform.open(Settings(database_url=url[1], data_dir=tmp_path))
    try:
        assert accounts.authenticate_key(platform.store, key).unit == "bank_zs"
        revoked = runner.invoke(app, ["accounts", "revoke-key", key.split("_")[1], *url])
        assert revoked.exit_code == 0
        with pytest.raises(NotPermitted):
            accounts.authenticate_key(platform.store, key)
        assert accounts.authenticate_password(platform.store, "ops", "correct horse battery").role.value == (
            "relying_party"
        )
    finally:
        platform.close()
    listing = runner.invoke(app, ["accounts", "list", *url])
    assert "ops" in listing.output and "relying_party" in listing.output
    purge = runner.invoke(app, ["accounts", "purge-queries", *url])
    assert purge.exit_code == 0 and "0 query log entries" in purge.output
