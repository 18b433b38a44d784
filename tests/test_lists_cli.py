"""The lists command line: parties, calendar, court import, file screening, jobs (SQLite file store)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lists_helpers import ADULT, resident_id
from typer.testing import CliRunner

from xinyong.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XINYONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XINYONG_TODAY", "2026-03-02")
    monkeypatch.delenv("XINYONG_DATABASE_URL", raising=False)
    return tmp_path


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_end_to_end(env: Path) -> None:
    from datetime import date

    records = [
        {
            "iname": "赵六",
            "caseCode": "(2026)粤0304执7号",
            "cardNum": ADULT,
            "gistId": "(2025)粤0304民初9号",
            "regDate": "20260105",
            "duty": "支付货款",
            "disruptTypeName": "违反财产报告制度",
            "publishDate": "2026-02-10",
        }
    ]
    court = env / "shixin.json"
    court.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    assert "imported 1" in _ok(["lists", "import-court", str(court), "--unit", "sz_court"])
    out = _ok(["parties", "add", "airline", "--name", "某航空公司", "--purpose", "ticketing"])
    assert re.search(r"xyp_\S+", out)
    assert "airline" in _ok(["parties", "list"])
    ids_file = env / "ids.txt"
    ids_file.write_text("\n".join([ADULT] + [resident_id(date(1980, 1, d)) for d in range(1, 10)]) + "\n")
    hits = env / "hits.jsonl"
    out = _ok(
        [
            "lists",
            "screen",
            str(ids_file),
            "--party",
            "airline",
            "--measure",
            "no_flights",
            "--purpose",
            "ticketing",
            "--out",
            str(hits),
            "--chunk",
            "4",
        ]
    )
    assert "screened 10, restricted 1" in out
    assert json.loads(hits.read_text(encoding="utf-8").splitlines()[0])["identifier"] == ADULT
    cal = env / "2030.yaml"
    cal.write_text("year: 2030\nsource: 国办发明电〔2029〕1号\nholidays: [2030-01-01]\nworkdays: []\n")
    assert "loaded 2030" in _ok(["calendar", "load", str(cal)])
    ran = _ok(["jobs", "run", "--today", "2028-02-12"])
    assert '"removed": 1' in ran
    assert "lists.expire" in _ok(["jobs", "list"])
    assert "revoked airline" in _ok(["parties", "revoke", "airline"])
    refused = runner.invoke(
        app,
        [
            "lists",
            "screen",
            str(ids_file),
            "--party",
            "airline",
            "--measure",
            "no_flights",
            "--purpose",
            "ticketing",
        ],
    )
    assert refused.exit_code == 1
