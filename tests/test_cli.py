from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from xinyong.catalog import DATA_DIR
from xinyong.cli import app

runner = CliRunner()


def test_catalog_check_accepts_the_built_in_catalog() -> None:
    result = runner.invoke(app, ["catalog", "check"])
    assert result.exit_code == 0, result.output
    assert "catalog ok" in result.output


def test_catalog_check_names_the_file_and_item_without_legal_basis(tmp_path: Path) -> None:
    copy = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, copy)
    tax = copy / "items" / "tax.yaml"
    text = tax.read_text(encoding="utf-8")
    # drop the first item's legal_basis block (the key and its indented list)
    stripped = re.sub(r"    legal_basis:\n(?:      .*\n|         .*\n)+", "", text, count=1)
    assert stripped != text
    tax.write_text(stripped, encoding="utf-8")
    result = runner.invoke(app, ["catalog", "check", str(copy)])
    assert result.exit_code == 1
    assert "item.legal_basis_missing" in result.output
    assert "items/tax.yaml" in result.output and "tax_arrears_announcement" in result.output


def test_catalog_show_one_item_as_json() -> None:
    result = runner.invoke(app, ["catalog", "show", "administrative_penalty", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data[0]["code"] == "administrative_penalty" and data[0]["legal_basis"]


def test_catalog_show_unknown_item_fails() -> None:
    result = runner.invoke(app, ["catalog", "show", "nope"])
    assert result.exit_code == 1


def test_ids_check_prints_kind_and_verdict() -> None:
    good = runner.invoke(app, ["ids", "check", "914403001922038216", "11010519491231002X"])
    assert good.exit_code == 0
    assert "uscc\tvalid" in good.output and "resident_id\tvalid" in good.output
    bad = runner.invoke(app, ["ids", "check", "914403001922038216", "91110108717809965C"])
    assert bad.exit_code == 1
    assert "uscc.check_char" in bad.output


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["catalog", "--help"],
        ["catalog", "check", "--help"],
        ["ids", "check", "--help"],
        ["db", "upgrade", "--help"],
        ["synth", "--help"],
        ["demo", "--help"],
        ["serve", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def test_synth_writes_a_city(tmp_path: Path) -> None:
    out = tmp_path / "city"
    result = runner.invoke(
        app, ["synth", "--out", str(out), "--subjects", "300", "--records", "2000", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 3 and manifest["records"]["total"] == 2000
    assert (out / "subjects.csv").exists()
