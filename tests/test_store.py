from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from xinyong.domain.actor import Actor
from xinyong.errors import ConfigurationError
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.engine import SQLITE_MMAP_BYTES, make_engine
from xinyong.store.migrate import current_revision, differences, downgrade, upgrade
from xinyong.store.tables import events as events_table
from xinyong.store.tables import metadata, query_log


def test_models_and_migrations_agree(engine: Engine) -> None:
    assert differences(engine) == []
    assert current_revision(engine) is not None


def test_every_table_is_created_by_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        else:
            rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))
        present = {r[0] for r in rows}
    assert set(metadata.tables) <= present


def test_downgrade_then_upgrade_roundtrip(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'rt.db'}")
    upgrade(eng)
    downgrade(eng, "base")
    assert current_revision(eng) is None
    upgrade(eng)
    assert differences(eng) == []


def test_sqlite_pragmas(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES  # reads mapped


def test_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError) as exc:
        make_engine("mysql://x")
    assert "sqlite" in exc.value.message and exc.value.rule == "settings.database_url"


def _count_events(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(events_table)).scalar_one())


def test_event_append_records_actor_and_hash(store: Store) -> None:
    actor = Actor.operator("alice")
    with store.write() as conn:
        seq = events.append(conn, actor, "test:do", "thing", "42", {"b": 2, "a": "一"}, document_number="X-1")
    with store.read() as conn:
        row = conn.execute(select(events_table).where(events_table.c.seq == seq)).one()
    assert row.actor_role == "operator" and row.actor_user == "alice"
    assert row.document_number == "X-1"
    assert row.payload == {"a": "一", "b": 2}
    import hashlib

    salt = bytes.fromhex(row.payload_salt)  # a fresh secret salt per event, kept beside the payload
    assert len(salt) == 16
    assert row.payload_hash == hashlib.sha256(salt + '{"a":"一","b":2}'.encode()).hexdigest()
    assert row.payload_hash != hashlib.sha256('{"a":"一","b":2}'.encode()).hexdigest()


def test_write_rolls_back_on_error(store: Store) -> None:
    before = _count_events(store)
    with pytest.raises(RuntimeError), store.write() as conn:
        events.append(conn, Actor.system(), "test:fail", "thing", "1")
        raise RuntimeError("boom")
    assert _count_events(store) == before


def test_sequence_follows_commit_order(store: Store) -> None:
    with store.write() as conn:
        a = events.append(conn, Actor.system(), "test:a", "thing", "a")
        b = events.append(conn, Actor.system(), "test:b", "thing", "b")
    assert b == a + 1


def test_sqlite_writers_are_serialized(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(eng)
    store = Store(eng)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                with store.write() as conn:
                    conn.execute(
                        insert(events_table).values(
                            occurred_at=events.now(),
                            action="t:w",
                            actor_role="system",
                            actor_user="",
                            actor_unit="",
                            object_type="t",
                            object_id=f"{n}-{i}",
                            payload={},
                            payload_hash="x",
                        )
                    )
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count_events(store) == 80


def test_migration_0014_keeps_older_query_log_entries_five_years_from_china_s_day(
    fresh_url: str,
) -> None:
    """Entries logged before the fix, late in the UTC day, had a retention a day short; the migration
    moves theirs and leaves the others."""
    eng = make_engine(fresh_url)
    upgrade(eng, "0013")
    row = {
        "kind": "profile",
        "subject_id": "S1",
        "object_id": "",
        "querier_role": "relying_party",
        "querier_user": "u",
        "querier_unit": "bank",
        "event_seq": 1,
    }
    entries = [  # (occurred_at UTC, retain_until as the old code set it)
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), date(2031, 11, 28)),  # 04:00 on the 29th in China
        (datetime(2026, 11, 28, 10, 0, tzinfo=UTC), date(2031, 11, 28)),  # 18:00 on the 28th in China
        (datetime(2028, 2, 28, 17, 0, tzinfo=UTC), date(2033, 2, 28)),  # the 29th of February in China
    ]
    with eng.begin() as conn:
        for at, until in entries:
            conn.execute(insert(query_log).values({**row, "occurred_at": at, "retain_until": until}))
    upgrade(eng)
    with eng.connect() as conn:
        got = conn.execute(select(query_log.c.retain_until).order_by(query_log.c.id)).scalars().all()
    eng.dispose()
    assert got == [date(2031, 11, 29), date(2031, 11, 28), date(2033, 3, 1)]
