"""Docs stay honest: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main

from xinyong.cli import app
from xinyong.settings import describe

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: object, prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, cmd in getattr(group, "commands", {}).items():
        full = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            out.extend(_commands(cmd, full + " "))
        else:
            out.append(full)
    return out


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [env for _, env, _, _ in describe() if f"`{env}`" not in text]
    assert missing == []
    from xinyong.cli import settings_markdown

    assert text == settings_markdown(), "regenerate with: xinyong settings --markdown > docs/settings.md"


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 8
    missing = [c for c in commands if f"xinyong {c}" not in readme]
    assert missing == []


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
