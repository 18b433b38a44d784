"""Bad input never hurts the store: arbitrary rows, hostile text, a process killed mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import HOUSING, penalty, write_csv
from sqlalchemy import Engine, func, select

from xinyong.domain.actor import Actor
from xinyong.services import ingest
from xinyong.services.ingest import IngestOptions
from xinyong.services.platform import Platform
from xinyong.store import Store
from xinyong.store.tables import batches, records, subject_names, subjects

TODAY = date(2026, 11, 28)
ROOT = Path(__file__).resolve().parents[1]


def snapshot(store: Store) -> tuple[int, int, int]:
    with store.read() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (records, subjects, subject_names)
        )


FIELDS = list(penalty(1))
noise = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
mutation = st.tuples(
    st.sampled_from(FIELDS),
    noise
    | st.sampled_from(
        ["", "=cmd|' /C calc'!A0", "<script>x</script>", "'; DROP TABLE records; --", "2099-01-01"]
    ),
)
row = st.builds(lambda n, muts: (n, muts), st.integers(1, 40), st.lists(mutation, max_size=3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=6), accept_valid=st.booleans())
def test_store_is_unchanged_or_holds_the_whole_batch(
    platform: Platform, tmp_path: Path, rows: list[tuple[int, list[tuple[str, str]]]], accept_valid: bool
) -> None:
    data = [penalty(n, **dict(muts)) for n, muts in rows]
    path = write_csv(tmp_path / "h.csv", platform.catalog, data)
    before = snapshot(platform.store)
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        path,
        HOUSING,
        Actor.system(),
        IngestOptions(today=TODAY, accept_valid=accept_valid),
    )
    after = snapshot(platform.store)
    if report.status == "rejected":
        assert after == before
        assert report.added == 0 and report.problem_count > 0
    else:
        assert after[0] == before[0] + report.added
        assert report.rows == report.added + report.duplicates + report.rejected_rows
        if not accept_valid:
            assert report.rejected_rows == 0
    assert report.rows == len(data) or report.status == "rejected"


def test_hostile_text_is_stored_as_given(platform: Platform, tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE records; --"
    path = write_csv(
        tmp_path / "p.csv", platform.catalog, [penalty(1, CF_SY=hostile, BZ="=cmd|' /C calc'!A0")]
    )
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), IngestOptions(today=TODAY)
    )
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        fields = conn.execute(select(records.c.fields)).scalar_one()
    assert fields["CF_SY"] == hostile and fields["BZ"] == "=cmd|' /C calc'!A0"


def test_not_a_spreadsheet_is_a_clean_rejection(platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    before = snapshot(platform.store)
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), IngestOptions(today=TODAY)
    )
    assert report.status == "rejected" and report.problems[0].rule == "file.not_a_table"
    assert snapshot(platform.store) == before


def test_empty_and_truncated_files_are_clean_rejections(platform: Platform, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    good = write_csv(tmp_path / "t.csv", platform.catalog, [penalty(1), penalty(2)])
    truncated = tmp_path / "truncated.csv"
    truncated.write_bytes(good.read_bytes() + b'"unterminated')
    before = snapshot(platform.store)
    for path, rule in ((empty, "file.empty"), (truncated, "file.truncated")):
        report = ingest.ingest_file(
            platform.store, platform.catalog, path, HOUSING, Actor.system(), IngestOptions(today=TODAY)
        )
        assert report.status == "rejected"
        assert rule in {p.rule for p in report.problems}, report.problems
    assert snapshot(platform.store) == before


def test_rejection_csv_opens_in_excel_and_defuses_formulas(platform: Platform, tmp_path: Path) -> None:
    from xinyong.services import rejections

    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1, CF_XDR_LB="=HYPERLINK(1)")])
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), IngestOptions(today=TODAY)
    )
    data = rejections.to_csv(p.as_dict() for p in report.problems)
    assert data.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "行政相对人类别" in text


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from xinyong.domain.actor import Actor
    from xinyong.services import ingest
    from xinyong.services.platform import Platform
    from xinyong.settings import Settings

    platform = Platform.open(Settings(database_url=sys.argv[1]), migrate=False)
    def progress(done):
        print("progress", done, flush=True)
    ingest.ingest_file(platform.store, platform.catalog, Path(sys.argv[2]), "sz_housing", Actor.system(),
                       ingest.IngestOptions(today=date(2026, 11, 28)), progress=progress)
    print("finished", flush=True)
    """
)


def test_process_killed_mid_batch_leaves_store_as_before(engine: Engine, tmp_path: Path) -> None:
    from xinyong.settings import Settings

    url = engine.url.render_as_string(hide_password=False)
    platform = Platform.open(Settings(database_url=url), migrate=False)
    rows = [penalty(n) for n in range(1, 40_001)]
    path = write_csv(tmp_path / "big.csv", platform.catalog, rows)
    store = Store(engine)
    with store.read() as conn:
        before = (
            int(conn.execute(select(func.count()).select_from(records)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(batches)).scalar_one()),
        )
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, url, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("progress"), line
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with store.read() as conn:
        after = (
            int(conn.execute(select(func.count()).select_from(records)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(batches)).scalar_one()),
        )
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert after == before
    platform.close()
