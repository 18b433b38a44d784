"""PostgreSQL from the event loop (xinyong.store.pgasync): single screenings and their records sent by
the loop itself answer and record exactly what the synchronous path does, refuse what it refuses,
and keep to a few connections a loop that are reused, replaced when broken and closed with the store.

The screenings here commit (the loop's connections cannot see a test's open transaction), so the
module works in a PostgreSQL database of its own, dropped afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, pg_scratch_database
from fastapi.testclient import TestClient
from lists_helpers import ADULT, COMPANY, COURT, D0, court_listing, resident_id
from sqlalchemy import exc, func, insert, select, text
from store_helpers import count_app_calls

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.errors import NotFound, NotPermitted
from xinyong.search.normalise import normalise_name
from xinyong.services import lists, registry, screening
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store import pgasync
from xinyong.store.tables import screenings

needs_pg = pytest.mark.skipif(not PG_URL, reason="XINYONG_TEST_DATABASE_URL is not set")

OP = Actor.operator("op")
CONTROLLER = resident_id(date(1970, 2, 2))
UNLISTED = resident_id(date(1980, 5, 5))
COMPANY_NAME = "深圳市某某科技有限公司"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not PG_URL:
        pytest.skip("XINYONG_TEST_DATABASE_URL is not set")
    with pg_scratch_database("xinyong_test_async") as url:
        yield from _platform_on(url, tmp_path_factory)


def _platform_on(url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("async"), database_url=url, today=D0.isoformat(), jobs_interval_s=0
    )
    found = Platform.open(settings)
    registered = settings.data_dir / "registry.csv"
    registered.write_text(
        "kind,name,uscc,id_number,legal_representative,registered_on,region\n"
        f"enterprise,{COMPANY_NAME},{COMPANY},,钱实控,2000-02-24,440300\n",
        encoding="utf-8",
    )
    try:
        registry.load_file(found.store, registered, Actor.system())
        court_listing(found)  # ADULT, on the court list
        entry = lists.propose(
            found,
            COURT,
            list_type_code="court_dishonest_debtor",
            identifier=COMPANY,
            ground="refuses_settlement",
            basis_document="(2025)粤0304民初1号",
            facts="拒不履行和解协议",
            subject_name=COMPANY_NAME,
            on=D0,
        )
        lists.decide(
            found,
            COURT,
            entry.id,
            decision_document="(2026)粤0304执1号",
            named_persons=[("actual_controller", CONTROLLER, "钱实控")],
            on=D0,
        )
        lists.publish(found, COURT, entry.id, on=D0)
        yield found
    finally:
        found.close()


@pytest.fixture(scope="module")
def key(platform: Platform) -> str:
    return screening.add_party(
        platform.store, platform.catalog, OP, code="airline", name="某航空公司", purposes=["ticketing"]
    )[1]


def _both(
    platform: Platform, who: Any, identifier: str, measure: str = "no_flights", purpose: str = "ticketing"
):
    """(look_up's result or error, look_up_async's) for the same request."""
    kwargs = dict(identifier=identifier, measure=measure, purpose=purpose, today=D0)

    def outcome(call: Any) -> Any:
        try:
            row, answer = call()
        except (NotPermitted, NotFound) as e:
            return type(e), e.rule
        return {k: v for k, v in row.items() if k != "recorded_at"}, answer

    sync = outcome(lambda: screening.look_up(platform.store, platform.catalog, who, **kwargs))
    loop = outcome(
        lambda: asyncio.run(screening.look_up_async(platform.store, platform.catalog, who, **kwargs))
    )
    return sync, loop


@pytest.mark.parametrize("identifier", [ADULT, COMPANY, CONTROLLER, UNLISTED, " 11010519491231002x "])
def test_the_loop_s_lookup_answers_what_the_synchronous_one_answers(
    platform: Platform, key: str, identifier: str
) -> None:
    sync, loop = _both(platform, key, identifier)
    assert loop == sync
    assert loop[1]["restricted"] is (identifier.strip().upper() in {ADULT, COMPANY, CONTROLLER})
    if identifier == CONTROLLER:  # bound through the company's entry, as the decision names him
        assert loop[1]["as_person"] == "actual_controller"


@pytest.mark.parametrize(
    ("who", "measure", "purpose", "rule"),
    [
        (None, "no_flights", "ticketing", "auth.key_required"),
        ("", "no_flights", "ticketing", "auth.key_required"),
        ("xyp_not-a-key", "no_flights", "ticketing", "auth.key_invalid"),
        ("KEY", "no_such_measure", "ticketing", "screen.unknown_measure"),
        ("KEY", "no_flights", "lending", "screen.purpose_not_declared"),
    ],
)
def test_the_loop_s_lookup_refuses_what_the_synchronous_one_refuses(
    platform: Platform, key: str, who: str | None, measure: str, purpose: str, rule: str
) -> None:
    sync, loop = _both(platform, key if who == "KEY" else who, ADULT, measure, purpose)
    assert loop == sync
    assert loop[1] == rule


def test_a_revoked_key_is_refused_at_once(platform: Platform) -> None:
    _, revoked = screening.add_party(
        platform.store, platform.catalog, OP, code="revoked", name="已停用", purposes=["ticketing"]
    )
    assert _both(platform, revoked, ADULT)[1][1]["restricted"] is True
    screening.revoke(platform.store, OP, "revoked")
    sync, loop = _both(platform, revoked, ADULT)
    assert loop == sync == (NotPermitted, "auth.key_invalid")


def test_a_loop_keeps_to_a_few_connections_and_reuses_them(platform: Platform, key: str) -> None:
    conns = platform.store.async_connections
    assert conns is not None
    seen: set[int] = set()

    async def one(n: int) -> bool:
        async with conns.read() as conn:
            seen.add(id(conn))
            await asyncio.sleep(0.01)  # held a while: the others must wait for a free one
        _row, answer = await screening.look_up_async(
            platform.store,
            platform.catalog,
            key,
            identifier=ADULT if n % 2 else UNLISTED,
            measure="no_flights",
            purpose="ticketing",
            today=D0,
        )
        return bool(answer["restricted"])

    async def many() -> list[bool]:
        return await asyncio.gather(*(one(n) for n in range(5 * pgasync.LOOP_CONNECTIONS)))

    answers = asyncio.run(many())
    assert answers == [bool(n % 2) for n in range(5 * pgasync.LOOP_CONNECTIONS)]
    assert len(seen) == pgasync.LOOP_CONNECTIONS  # each opened once, then handed on


def test_a_broken_connection_raises_sqlalchemy_s_error_and_is_replaced(platform: Platform, key: str) -> None:
    conns = platform.store.async_connections
    assert conns is not None

    async def scenario() -> tuple[Any, bool]:
        async with conns.read() as conn:
            pid = conn.info.backend_pid
        with platform.store.write() as sql:  # the server ends that session, as a restart would
            sql.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(exc.OperationalError):
            async with conns.read() as conn:
                assert conn.info.backend_pid == pid  # the idle one, handed out again
                await conn.execute("SELECT 1")
        _row, answer = await screening.look_up_async(
            platform.store,
            platform.catalog,
            key,
            identifier=ADULT,
            measure="no_flights",
            purpose="ticketing",
            today=D0,
        )
        return pid, bool(answer["restricted"])

    _, restricted = asyncio.run(scenario())
    assert restricted  # a new connection answered


def test_an_http_screening_is_answered_and_recorded_from_the_loop(
    platform: Platform, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def recorded() -> int:
        with platform.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(screenings)).scalar_one())

    threads: list[str] = []
    look_up = screening.look_up
    monkeypatch.setattr(screening, "look_up", lambda *a, **k: threads.append("sync") or look_up(*a, **k))
    app_calls = count_app_calls(monkeypatch, lambda scope: scope["path"])
    before = recorded()
    with TestClient(create_app(platform_obj=platform)) as client:
        answers = [
            client.post(
                "/api/v1/screen",
                headers={"X-Api-Key": key},
                json={"identifier": identifier, "measure": "no_flights", "purpose": "ticketing"},
            )
            for identifier in (ADULT, UNLISTED, CONTROLLER)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["restricted"] for a in answers] == [True, False, True]
    assert app_calls == [] and threads == []  # the short path, from the loop, not the thread pool
    assert recorded() == before + 3
    ids = [a.json()["screening_id"] for a in answers]
    assert [screening.recorded(platform.store, i) for i in ids] == [
        [(ADULT, answers[0].json()["entry"]["id"])],
        [(UNLISTED, None)],
        [(CONTROLLER, answers[2].json()["entry"]["id"])],
    ]


@needs_pg
def test_disposing_the_store_closes_the_loops_connections(tmp_path: Path) -> None:
    from xinyong.store import create_store

    store = create_store(PG_URL)
    conns = store.async_connections
    assert conns is not None
    opened: list[Any] = []

    async def use() -> None:
        async with conns.read() as conn:
            opened.append(conn)
            await conn.execute("SELECT 1")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(use())
        assert not opened[0].closed
        store.dispose()
        assert opened[0].closed
    finally:
        loop.close()


def test_a_code_s_check_from_the_loop_finds_what_the_synchronous_search_finds(platform: Platform) -> None:
    from xinyong.services.check import check_for

    check = check_for(platform)
    public = Actor.public()
    for q in (COMPANY, COMPANY.lower(), "９１４４０３００７０８４６１１３６Ｔ", "91440300708461136X"):
        found = asyncio.run(check.search_code_async(public, q))
        assert found == check.search(public, q)
    assert asyncio.run(check.search_code_async(public, COMPANY)).hits[0]["name"] == COMPANY_NAME  # type: ignore[union-attr]
    assert asyncio.run(check.search_code_async(public, "某某科技")) is None  # a name: the caller searches
    with pytest.raises(NotPermitted) as refused:
        asyncio.run(check.search_code_async(public, ADULT))
    assert refused.value.rule == "check.id_search_not_permitted"


def test_an_http_code_search_is_answered_from_the_loop(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.services.check import Check

    searched: list[str] = []
    search = Check.search
    monkeypatch.setattr(
        Check, "search", lambda self, a, q, page=1: searched.append(q) or search(self, a, q, page)
    )
    app_calls = count_app_calls(monkeypatch, lambda scope: scope["path"])
    with TestClient(create_app(platform_obj=platform)) as client:
        by_code = client.get("/api/v1/search", params={"q": COMPANY})
        by_name = client.get("/api/v1/search", params={"q": "某某科技"})
        by_char = client.get("/api/v1/search", params={"q": "某"})
        by_id = client.get("/api/v1/search", params={"q": ADULT})
    assert by_code.status_code == 200 and [h["name"] for h in by_code.json()["hits"]] == [COMPANY_NAME]
    assert by_name.status_code == 200 and [h["name"] for h in by_name.json()["hits"]] == [COMPANY_NAME]
    assert by_char.status_code == 200 and COMPANY_NAME in [h["name"] for h in by_char.json()["hits"]]
    assert by_id.status_code == 403 and by_id.json()["error"]["rule"] == "check.id_search_not_permitted"
    assert searched == ["某"]  # only the one-character name went to the synchronous search (thread pool)
    assert app_calls == []


def test_a_name_s_check_from_the_loop_finds_what_the_synchronous_search_finds(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names of two characters or more come from the pairs table on the event loop: the same pages
    as the synchronous search, past the cap too; None (the caller searches) for one character, a
    code, or a walk that stops short."""
    from xinyong.search import pairs
    from xinyong.services import check as check_service
    from xinyong.store.tables import subjects

    monkeypatch.setattr(check_service, "SEARCH_CACHE_SECONDS", 0.0)  # each call searches
    stamp = datetime(2026, 11, 29, tzinfo=UTC)
    names = [f"深圳市异步联营{i:03d}科技有限公司" for i in range(520)] + ["异步联营", "异步联营合作社"]
    with platform.store.write() as conn:
        conn.execute(
            insert(subjects),
            [
                {
                    "id": f"ASYNC{i:06d}",
                    "kind": "enterprise",
                    "id_scheme": "test",
                    "id_value": f"A{i:017d}",
                    "name": name,
                    "name_search": normalise_name(name),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for i, name in enumerate(names)
            ],
        )
    check = check_service.check_for(platform)
    public = Actor.public()
    for q, page in (("异步联营", 1), ("异步联营", 3), ("营0", 2), ("科技有限", 25), ("某某科技", 1)):
        found = asyncio.run(check.search_name_async(public, q, page))
        assert found is not None and found == check.search(public, q, page), (q, page)
    assert asyncio.run(check.search_name_async(public, "异步联营", 1)).capped  # type: ignore[union-attr]
    assert asyncio.run(check.search_name_async(public, "异", 1)) is None
    assert asyncio.run(check.search_name_async(public, COMPANY, 1)) is None
    monkeypatch.setattr(pairs, "STEPS", 1)
    assert asyncio.run(check.search_name_async(public, "某某科技", 1)) is None
    assert check.search(public, "某某科技").hits[0]["name"] == COMPANY_NAME


class _FakeConn:
    """Stands for a psycopg connection in the pool's own tests."""

    def __init__(self) -> None:
        self.closed = False
        self.pgconn = self

    transaction_status = 0

    def finish(self) -> None:
        self.closed = True


def test_a_waiter_cancelled_after_being_woken_hands_its_turn_on() -> None:
    """A connection closed gives the next waiter the right to open one; if that waiter is cancelled
    before it runs, the right goes to the one after it, not lost."""
    opened: list[_FakeConn] = []

    async def connect() -> _FakeConn:
        opened.append(_FakeConn())
        return opened[-1]

    async def scenario() -> bool:
        conns = pgasync._LoopConnections(connect, size=1)
        first = await conns.acquire()
        one = asyncio.ensure_future(conns.acquire())
        two = asyncio.ensure_future(conns.acquire())
        await asyncio.sleep(0)  # both wait
        conns.release(first, reusable=False)  # broken: closed, and one may open another
        one.cancel()  # before it ran
        got = await asyncio.wait_for(two, timeout=1)
        return got is opened[-1] and len(opened) == 2 and first.closed

    assert asyncio.run(scenario())


@needs_pg
def test_disposing_from_another_thread_lets_a_running_loop_close_its_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A loop running in another thread closes its own connections (closing them from here while
    it is inside libpq would free what it uses)."""
    import threading

    from xinyong.store import create_store

    closers: list[int | None] = []
    finish = pgasync._finish
    monkeypatch.setattr(
        pgasync, "_finish", lambda conn: closers.append(threading.get_ident()) or finish(conn)
    )

    store = create_store(PG_URL)
    conns = store.async_connections
    assert conns is not None
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    opened: list[Any] = []

    async def use() -> None:
        async with conns.read() as conn:
            opened.append(conn)
            await conn.execute("SELECT 1")

    async def closed() -> bool:
        return bool(opened[0].closed)

    try:
        asyncio.run_coroutine_threadsafe(use(), loop).result(timeout=10)
        store.dispose()  # from this thread, while the loop runs
        assert asyncio.run_coroutine_threadsafe(closed(), loop).result(timeout=10)
        assert closers == [runner.ident]  # closed by the loop's own thread
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(timeout=10)
        loop.close()


def test_a_big_bulk_screening_shares_its_lookups_between_two_connections(
    platform: Platform, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From screening._SHARED_FROM identifiers, PostgreSQL's lookups are shared by two connections
    (a thread fetching half the chunks): the same answers as from one."""
    party = screening.authenticate(platform.store, key)
    used: list[int] = []
    fetched = screening._fetched
    monkeypatch.setattr(screening, "_fetched", lambda raw, *args: used.append(id(raw)) or fetched(raw, *args))
    values = [f"B{i:017d}" for i in range(60_000)] + [COMPANY, CONTROLLER, ADULT, UNLISTED]

    def bulk() -> dict[str, Any]:
        return screening.screen_bulk(
            platform.store,
            platform.catalog,
            party,
            identifiers=values,
            measure="no_flights",
            purpose="ticketing",
            today=D0,
            limit=None,
        )

    shared = bulk()
    assert len(set(used)) == 2
    used.clear()
    monkeypatch.setattr(screening, "_SHARED_FROM", 10**9)
    alone = bulk()
    assert len(set(used)) == 1
    assert shared["results"] == alone["results"]
    assert {r["identifier"] for r in shared["results"]} == {COMPANY, CONTROLLER, ADULT}
