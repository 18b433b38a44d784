"""`xinyong reports …` against a store of its own (SQLite under a temporary data directory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_helpers import HOUSING, HUAWEI, penalty, write_csv
from typer.testing import CliRunner

from xinyong.catalog import load_catalog
from xinyong.cli import app
from xinyong.reports import verify
from xinyong.services.registry import subject_id_for

runner = CliRunner()


def test_issue_verify_stats_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XINYONG_TODAY", "2026-11-28")
    monkeypatch.delenv("XINYONG_DATABASE_URL", raising=False)
    csv = write_csv(
        tmp_path / "p.csv", load_catalog(), [penalty(1, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01")]
    )
    loaded = runner.invoke(app, ["ingest", str(csv), "--unit", HOUSING])
    assert loaded.exit_code == 0, loaded.output
    out = tmp_path / "r.pdf"
    sid = subject_id_for("uscc", HUAWEI)
    issued = runner.invoke(app, ["reports", "issue", sid, "--purpose", "bidding", "--out", str(out)])
    assert issued.exit_code == 0, issued.output
    number = issued.output.split("report ")[1].split()[0]
    assert "1 items" in issued.output and out.read_bytes().startswith(b"%PDF")
    for target in (str(out), number):
        checked = runner.invoke(app, ["reports", "verify", target])
        assert checked.exit_code == 0 and f"genuine report {number}" in checked.output
    tampered = tmp_path / "t.pdf"
    tampered.write_bytes(out.read_bytes().replace(b"/Author (xinyong)", b"/Author (xinyonh)"))
    assert runner.invoke(app, ["reports", "verify", str(tampered)]).exit_code == 1
    bad = runner.invoke(app, ["reports", "issue", sid, "--purpose", "gossip", "--out", str(out)])
    assert bad.exit_code == 1 and "reports.purpose" in bad.output
    stats = runner.invoke(app, ["reports", "stats", "--csv"])
    month = f"{number[2:6]}-{number[6:8]}"  # issued now: the month in China its number (XYyyyymmdd-…) says
    assert stats.output.splitlines()[1:] == [f"{month},bidding,enterprise,1"]
    assert stats.output.splitlines()[0] == "month,purpose,subject_kind,reports"
    keys = runner.invoke(app, ["reports", "keys"])
    ring = verify.key_ring(json.loads(keys.output))
    assert verify.check(out.read_bytes(), ring).number == number
