"""Issue 4, speed: the production server (TCP_NODELAY, workers), pool settings, the shared Check,
profile paging and the check API's direct JSON encoding."""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ingest_helpers import HOUSING, HUAWEI, penalty, write_csv
from sqlalchemy import select

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.errors import ConfigurationError
from xinyong.server import export_settings, listening_socket, serve
from xinyong.services import check as check_service
from xinyong.services import ingest
from xinyong.services.check import PROFILE_PAGE_SIZE, Check, check_for
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.engine import make_engine
from xinyong.store.tables import source_units, subjects

TODAY = date(2026, 11, 28)
ROOT = Path(__file__).resolve().parent.parent


# --- the server --------------------------------------------------------------------------------


def test_accepted_connections_get_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY on connections accepted from our listening socket (not from one
    made with proto 0, as uvicorn --workers makes it: the cause of the 40 ms delayed-ACK stalls)."""

    async def nodelay_of_accepted(sock: socket.socket) -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    ours = listening_socket("127.0.0.1", 0)
    assert ours.proto == socket.IPPROTO_TCP
    assert asyncio.run(nodelay_of_accepted(ours)) != 0
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn --workers binds it
    plain.bind(("127.0.0.1", 0))
    assert asyncio.run(nodelay_of_accepted(plain)) == 0


def test_a_port_in_use_and_bad_worker_counts_are_clear_errors() -> None:
    taken = listening_socket("127.0.0.1", 0)
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(ConfigurationError) as exc:
            listening_socket("127.0.0.1", port)
        assert exc.value.rule == "settings.port" and str(port) in exc.value.message
    finally:
        taken.close()
    for workers in (0, 65):
        with pytest.raises(ConfigurationError) as exc:
            serve(Settings(port=0), workers=workers)
        assert exc.value.rule == "settings.workers"


def test_exported_settings_reach_the_workers_unchanged(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path, port=8123, db_pool_size=7, workers=3
    )
    environ: dict[str, str] = {}
    export_settings(settings, environ)
    assert Settings.from_env(environ) == settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    """`xinyong serve --workers 2` on a fresh SQLite store, stopped by SIGTERM at the end."""
    port = free_port()
    env = {**os.environ, "XINYONG_DATA_DIR": str(tmp_path), "XINYONG_DATABASE_URL": ""}
    command = [sys.executable, "-m", "xinyong.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_with_two_workers_answers_on_one_kept_alive_connection(served: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    try:
        for path in ("/healthz", "/api/v1/search?q=%E8%85%BE%E8%AE%AF", "/healthz"):
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, body
    finally:
        conn.close()
    assert b'"total":0' in body or b'"status":"ok"' in body


# --- pool settings -----------------------------------------------------------------------------


def test_pool_is_sized_for_the_threadpool(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    assert engine.pool.size() == 20 and engine.pool._max_overflow == 20  # type: ignore[attr-defined]
    engine.dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", pool_size=3, max_overflow=0)
    assert engine.pool.size() == 3
    engine.dispose()
    with pytest.raises(ConfigurationError) as exc:
        make_engine(f"sqlite:///{tmp_path / 'p.db'}", pool_size=0)
    assert exc.value.rule == "settings.db_pool"
    settings = Settings.from_env({"XINYONG_DB_POOL_SIZE": "30", "XINYONG_DB_MAX_OVERFLOW": "5"})
    assert (settings.db_pool_size, settings.db_max_overflow) == (30, 5)


@pytest.mark.skipif(
    not os.environ.get("XINYONG_TEST_DATABASE_URL"), reason="XINYONG_TEST_DATABASE_URL is not set"
)
def test_postgres_pool_is_sized_for_the_threadpool() -> None:
    engine = make_engine(os.environ["XINYONG_TEST_DATABASE_URL"], pool_size=25, max_overflow=15)
    assert engine.pool.size() == 25 and engine.pool._max_overflow == 15  # type: ignore[attr-defined]
    engine.dispose()


# --- the shared Check and profile paging ---------------------------------------------------------


@pytest.fixture
def busy(platform: Platform, tmp_path: Path) -> Platform:
    """Huawei with PROFILE_PAGE_SIZE + 7 current penalties, one a day."""
    platform.settings = dataclasses.replace(platform.settings, today=TODAY.isoformat())
    first = date(2026, 6, 1)
    rows = [
        penalty(n, CF_JDRQ=(first + timedelta(days=n)).isoformat(), CF_YXQ="2027-06-01")
        for n in range(1, PROFILE_PAGE_SIZE + 8)
    ]
    path = write_csv(tmp_path / "p.csv", platform.catalog, rows)
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    assert report.status == "accepted", report.problems
    return platform


def huawei(platform: Platform) -> str:
    with platform.store.read() as conn:
        return str(conn.execute(select(subjects.c.id).where(subjects.c.id_value == HUAWEI)).scalar_one())


def test_profile_records_are_paged_newest_first(busy: Platform) -> None:
    sid, check = huawei(busy), Check(busy.store, busy.catalog, "zh", TODAY)
    first = check.profile(Actor.public(), sid)
    second = check.profile(Actor.public(), sid, page=2)
    shown = [v for _, views in first.groups for v in views]
    rest = [v for _, views in second.groups for v in views]
    assert (first.page, first.pages, first.record_count) == (1, 2, PROFILE_PAGE_SIZE + 7)
    assert len(shown) == PROFILE_PAGE_SIZE and len(rest) == 7 and second.page == 2
    dates = [v.decision_date for v in shown + rest]
    assert dates == sorted(dates, reverse=True) and len({v.id for v in shown + rest}) == len(dates)
    assert check.profile(Actor.public(), sid, page=99).page == 2  # past the end: the last page


def test_profile_pages_in_the_api_and_the_portal(busy: Platform) -> None:
    sid = huawei(busy)
    with TestClient(create_app(platform_obj=busy)) as client:
        body = client.get(f"/api/v1/subjects/{sid}", params={"page": 2}).json()
        assert body["page"] == 2 and body["pages"] == 2 and body["record_count"] == PROFILE_PAGE_SIZE + 7
        record = body["groups"][0][1][0]
        assert isinstance(record["decision_date"], str) and date.fromisoformat(record["decision_date"])
        assert isinstance(record["marks"], list) and isinstance(record["summary"][0], list)
        assert client.get(f"/api/v1/subjects/{sid}", params={"page": 0}).status_code == 422
        page = client.get(f"/subjects/{sid}")
        assert page.status_code == 200 and f"/subjects/{sid}?page=2" in page.text
        assert f"/subjects/{sid}?page=1" in client.get(f"/subjects/{sid}?page=2").text


def test_check_is_shared_for_a_short_time_per_language(
    busy: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    zh = check_for(busy, "zh")
    assert check_for(busy, "zh") is zh and check_for(busy, "en") is not zh
    assert zh.today == TODAY
    monkeypatch.setattr(check_service, "CHECK_CACHE_SECONDS", 0.0)
    assert check_for(busy, "zh") is not zh


def test_a_shared_check_learns_of_a_new_unit(busy: Platform) -> None:
    """A record from a unit the cached Check has not seen makes it reread the units."""
    sid = huawei(busy)
    check = check_for(busy, "zh")
    check.__dict__["_unit_tables"] = ({}, {})  # as if read before the unit was registered
    with busy.store.read() as conn:
        name = conn.execute(select(source_units.c.name_zh).where(source_units.c.code == HOUSING)).scalar_one()
    views = [v for _, group in check.profile(Actor.public(), sid).groups for v in group]
    assert views and all(v.unit_name == name for v in views)
    assert check.units[HOUSING] == name


def test_per_request_marks_of_a_shared_check_stay_in_their_thread(busy: Platform) -> None:
    """A Check serves many requests at once (check_for): the remedy marks one request reads for its
    records must not be seen by another request's thread."""
    import threading

    check = check_for(busy, "zh")
    check.marks = {"r1": {"marks": ("under_objection",)}}
    seen: list[dict[str, object]] = []
    other = threading.Thread(target=lambda: seen.append(dict(check.marks)))
    other.start()
    other.join()
    assert seen == [{}] and check.marks == {"r1": {"marks": ("under_objection",)}}


def test_recent_name_searches_are_answered_again_for_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of its own (not bound to a test transaction): a name search is answered from the
    recent searches for SEARCH_CACHE_SECONDS, then from the database again; codes never are."""
    from datetime import UTC, datetime

    from xinyong.search.normalise import normalise_name
    from xinyong.store.engine import Store

    platform = Platform.open(Settings(data_dir=tmp_path, today=TODAY.isoformat()))
    stamp = datetime(2026, 11, 1, tzinfo=UTC)

    def add(sid: str, name: str) -> None:
        row = {"id": sid, "kind": "enterprise", "id_scheme": "test", "id_value": sid, "name": name}
        row.update(name_search=normalise_name(name), created_at=stamp, updated_at=stamp)
        with platform.store.write() as conn:
            conn.execute(subjects.insert().values(**row))

    try:
        assert isinstance(platform.store, Store) and platform.store._bound is None
        add("S1", "腾讯科技（深圳）有限公司")
        check = Check(platform.store, platform.catalog, "zh", TODAY)
        first = check.search(Actor.public(), "腾讯")
        add("S2", "腾讯音乐娱乐科技（深圳）有限公司")
        again = Check(platform.store, platform.catalog, "en", TODAY).search(Actor.public(), "腾讯")
        assert again is first and again.total == 1  # the same answer, without the database
        monkeypatch.setattr(check_service, "SEARCH_CACHE_SECONDS", 0.0)
        fresh = check.search(Actor.public(), "腾讯")
        assert fresh.total == 2 and {h["subject_id"] for h in fresh.hits} == {"S1", "S2"}
    finally:
        platform.close()
