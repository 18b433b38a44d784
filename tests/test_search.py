"""Name search for the one-click check (一键查询), on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm).

Every test runs on each database of the ``store`` fixture. Results are compared with a plain Python
oracle (normalise, substring, rank), and on SQLite through both the index and the scan strategy.
"""

from __future__ import annotations

import csv
import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import HOUSING, HUAWEI, TENCENT, penalty, write_csv
from sqlalchemy import Connection, func, insert, select, text

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import ConfigurationError, InvalidInput
from xinyong.search import index, pairs
from xinyong.search.index import (
    MAX_LIMIT,
    MAX_TOTAL,
    SearchPage,
    by_identifier,
    rebuild,
    refresh_name_search,
    search,
    search_index_for,
)
from xinyong.search.normalise import normalise_name, normalise_query
from xinyong.services import ingest, registry
from xinyong.services.ingest import IngestOptions
from xinyong.store import Store
from xinyong.store import records as q
from xinyong.store.engine import make_engine
from xinyong.store.migrate import upgrade
from xinyong.store.tables import subjects
from xinyong.synth import names as synth_names

TENCENT_NAME = "腾讯科技（深圳）有限公司"
STAMP = datetime(2026, 11, 29, tzinfo=UTC)
PG_URL = os.environ.get("XINYONG_TEST_DATABASE_URL", "")


# ---------------------------------------------------------------------------------------------
# Helpers


def add(conn: Connection, names: list[str], kind: str = "enterprise", prefix: str = "T") -> list[str]:
    """Insert subjects with these names (name_search filled as every writer does); their ids."""
    rows: list[dict[str, Any]] = [
        {
            "id": f"{prefix}{i:06d}{uuid.uuid4().hex[:8]}",
            "kind": kind,
            "id_scheme": "test",
            "id_value": uuid.uuid4().hex,
            "name": name,
            "name_search": normalise_name(name),
            "created_at": STAMP,
            "updated_at": STAMP,
        }
        for i, name in enumerate(names)
    ]
    if rows:
        conn.execute(insert(subjects), rows)
    return [r["id"] for r in rows]


def oracle(conn: Connection, query: str, kinds: set[str] | None = None) -> list[str]:
    """The ranking, computed in Python over every subject: exact, prefix, contains; length; name."""
    qn = normalise_query(query)
    rows = conn.execute(select(subjects.c.id, subjects.c.name_search, subjects.c.kind)).all()
    found = [
        (0 if r.name_search == qn else 1 if r.name_search.startswith(qn) else 2, len(r.name_search), r)
        for r in rows
        if qn in r.name_search and (kinds is None or r.kind in kinds)
    ]
    found.sort(key=lambda t: (t[0], t[1], t[2].name_search, t[2].id))
    return [t[2].id for t in found]


def all_hits(conn: Connection, query: str, **kw: object) -> list[str]:
    """Every ranked hit of a query, page by page (up to the cap)."""
    out: list[str] = []
    while True:
        page = search(conn, query, limit=MAX_LIMIT, offset=len(out), **kw)  # type: ignore[arg-type]
        out.extend(h.subject_id for h in page.hits)
        if not page.hits or len(out) >= page.total:
            return out


def ids_of(page: SearchPage) -> list[str]:
    return [h.subject_id for h in page.hits]


def names_of(page: SearchPage) -> list[str]:
    return [h.name for h in page.hits]


def synthetic_names(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    unique = synth_names.UniqueNames()
    out: list[str] = []
    for i in range(n):
        if i % 4 == 0:
            out.append(synth_names.person_name(rng, i % 8 == 0))
        else:
            out.append(unique.draw(lambda extra: synth_names.enterprise_name(rng, extra))[0])
    return out


@pytest.fixture(params=["index", "scan", "walk", "walk_range", "pairs", "pairs_short"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, store: Store) -> str:
    """Force the index path or the scan path: SQLite through the search's own switch, PostgreSQL
    through the planner's settings (tiny test tables would otherwise always be scanned).

    ``walk``: every query with a match reads its page in rank order from the rank indexes (as a
    common fragment does on a big store); ``walk_range``: the same, names starting with the query
    read from the prefix index when there are at most 3 of them. These four are PostgreSQL's general
    plan, the pairs table (migration 0012) left out; ``pairs`` answers queries of two characters or
    more from it, and ``pairs_short`` too with walks of 3 entries and a prefix range of 2 names,
    so that walks stop short (the general plan then answers) and prefixes are walked."""
    return force(str(request.param), monkeypatch, store)


def force(strategy: str, monkeypatch: pytest.MonkeyPatch, store: Store) -> str:
    if strategy.startswith("pairs"):
        if store.dialect == "sqlite":
            pytest.skip("PostgreSQL's pairs table")
        if strategy == "pairs_short":
            monkeypatch.setattr(pairs, "STEPS", 3)
            monkeypatch.setattr(pairs, "PREFIX_FEW", 2)
        return strategy
    monkeypatch.setattr(index, "PAIRS_WALK", False)
    if strategy.startswith("walk"):
        monkeypatch.setattr(index, "WALK_FROM", 0 if strategy == "walk" else 3)
    scan = strategy == "scan"
    if store.dialect == "sqlite":
        monkeypatch.setattr(index, "SCAN_FRACTION", 0.0 if scan else 1e9)
    else:
        off = ["enable_bitmapscan", "enable_indexscan"] if scan else ["enable_seqscan"]
        with store.read() as c:  # the test's outer transaction: SET LOCAL ends with its rollback
            for setting in off:
                c.exec_driver_sql(f"SET LOCAL {setting} = off")
    return strategy


@pytest.fixture
def conn(store: Store) -> Iterator[Connection]:
    with store.write() as c:
        yield c


# ---------------------------------------------------------------------------------------------
# Normalisation (pure)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("騰訊科技（深圳）有限公司", "腾讯科技(深圳)有限公司"),
        ("腾讯科技 (深圳) 有限公司", "腾讯科技(深圳)有限公司"),
        ("【腾讯】〔深圳〕［ＡＢ］", "(腾讯)(深圳)(ab)"),
        ("ＴＥＮＣＥＮＴ　Ｈｏｌｄｉｎｇｓ１２３", "tencent holdings123"),
        ("  Tencent\t\n  Holdings  ", "tencent holdings"),
        ("欧阳・娜娜•工作室", "欧阳·娜娜·工作室"),
        ("腾\u200b讯\ufeff", "腾讯"),
        ("\x00\x03", ""),
        ("", ""),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_normalise_query_is_cut_to_a_bound() -> None:
    assert len(normalise_query("腾" * 1000)) == 200
    assert normalise_query("   ") == ""


@given(st.text())
@settings(max_examples=300)
def test_normalise_is_idempotent_and_never_raises(raw: str) -> None:
    once = normalise_name(raw)
    assert normalise_name(once) == once
    assert "\x03" not in once and "  " not in once


FRAGMENT_ALPHABET = "腾讯騰訊科技深圳有限公司（）()【】ＡＢＣabcABC１２3 ·・%_\"'*"


@given(st.text(FRAGMENT_ALPHABET, max_size=30), st.data())
def test_a_fragment_normalises_to_a_fragment(name: str, data: st.DataObject) -> None:
    """What makes substring search on normalised text sound: normalisation works per character."""
    i = data.draw(st.integers(0, len(name)))
    j = data.draw(st.integers(i, len(name)))
    assert normalise_name(name[i:j]) in normalise_name(name)


# ---------------------------------------------------------------------------------------------
# Finding names


def test_tencent_is_found_by_a_two_character_fragment(conn: Connection, strategy: str) -> None:
    add(conn, [TENCENT_NAME, "华为技术有限公司", "深圳市腾达讯通科技有限公司"])
    page = search(conn, "腾讯")
    assert names_of(page) == [TENCENT_NAME]
    assert page.total == 1 and not page.capped and page.query == "腾讯"


@pytest.mark.parametrize(
    "query", ["騰訊科技", "腾讯科技(深圳)", "腾讯科技（深圳）", "騰訊科技 （深圳）有限公司"]
)
def test_traditional_and_full_width_queries(conn: Connection, strategy: str, query: str) -> None:
    add(conn, [TENCENT_NAME, "腾讯音乐娱乐科技(深圳)有限公司"])
    assert names_of(search(conn, query))[0] == TENCENT_NAME


def test_traditional_names_are_found_by_simplified_queries(conn: Connection, strategy: str) -> None:
    add(conn, ["臺灣積體電路製造股份有限公司", "ＡＢＣ貿易（香港）有限公司"])
    assert names_of(search(conn, "台湾积体")) == ["臺灣積體電路製造股份有限公司"]
    assert names_of(search(conn, "abc贸易(香港)")) == ["ＡＢＣ貿易（香港）有限公司"]
    assert names_of(search(conn, "ａｂｃ")) == ["ＡＢＣ貿易（香港）有限公司"]


def test_one_two_and_longer_queries_agree_with_the_oracle(conn: Connection, strategy: str) -> None:
    names = [*synthetic_names(400), TENCENT_NAME, "腾讯", "讯", "腾", "a", "ab", "abc有限公司"]
    add(conn, names)
    rng = random.Random(3)
    queries = {"腾", "讯", "腾讯", "a", "b", "ab", "有限", "公司", "深", "深圳市", "有限公司", "科技有限公司"}
    for name in rng.sample(names, 40):
        for size in (1, 2, 3, 5):
            start = rng.randrange(max(len(name) - size, 0) + 1)
            queries.add(name[start : start + size])
    for query in sorted(queries):
        assert all_hits(conn, query) == oracle(conn, query)[:MAX_TOTAL], query


def test_queries_matching_nothing(conn: Connection, strategy: str) -> None:
    add(conn, [TENCENT_NAME])
    for query in ("腾讯科技北京", "龘", "龘龘", "x", "xyz"):
        page = search(conn, query)
        assert (page.total, page.hits, page.capped) == (0, [], False)


def test_ranking_exact_then_prefix_then_contains_then_shorter_then_name(
    conn: Connection, strategy: str
) -> None:
    add(
        conn,
        [
            "深圳市腾讯计算机系统有限公司",  # contains, 14
            "腾讯音乐娱乐科技（深圳）有限公司",  # prefix, 16
            TENCENT_NAME,  # prefix, 12
            "讯腾",  # no match
            "腾讯",  # exact
            "大腾讯",  # contains, 3
            "腾讯云",  # prefix, 3
            "腾讯乙",  # prefix, 3: 乙 (U+4E59) sorts before 云 (U+4E91)
        ],
    )
    page = search(conn, "腾讯")
    assert names_of(page) == [
        "腾讯",
        "腾讯乙",
        "腾讯云",
        TENCENT_NAME,
        "腾讯音乐娱乐科技（深圳）有限公司",
        "大腾讯",
        "深圳市腾讯计算机系统有限公司",
    ]
    scores = [h.score for h in page.hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 3.0 and 1 < scores[1] < 2 and 0 < scores[-1] < 1


def test_pages_follow_the_ranking(conn: Connection, strategy: str) -> None:
    add(conn, [f"分页测试{i:03d}号公司" for i in range(120)])
    full = oracle(conn, "分页测试")
    pages = [search(conn, "分页测试", limit=25, offset=o) for o in range(0, 125, 25)]
    assert [i for p in pages for i in ids_of(p)] == full
    assert all(p.total == 120 and not p.capped for p in pages)
    assert [len(p.hits) for p in pages] == [25, 25, 25, 25, 20]
    assert search(conn, "分页测试", limit=10, offset=200).hits == []


def test_total_and_paging_are_capped(conn: Connection, strategy: str) -> None:
    add(conn, [f"上限测试{i:04d}" for i in range(MAX_TOTAL + 30)])
    page = search(conn, "上限测试", limit=MAX_LIMIT)
    assert page.total == MAX_TOTAL and page.capped and len(page.hits) == MAX_LIMIT
    last = search(conn, "上限测试", limit=20, offset=MAX_TOTAL - 10)
    assert len(last.hits) == 10  # the ranking ends at MAX_TOTAL
    assert ids_of(last) == oracle(conn, "上限测试")[MAX_TOTAL - 10 : MAX_TOTAL]
    assert search(conn, "上限测试", offset=MAX_TOTAL).hits == []


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (MAX_LIMIT + 1, 0), (-1, 0), (10, -1), (True, 0)])
def test_bad_paging_is_a_clear_error(conn: Connection, limit: int, offset: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        search(conn, "腾讯", limit=limit, offset=offset)
    assert exc.value.rule in ("search.limit", "search.offset")


def test_kinds_filter(conn: Connection, strategy: str) -> None:
    add(conn, ["王伟五金店", "王伟科技有限公司"], kind="enterprise")
    add(conn, ["王伟"], kind="individual", prefix="P")
    add(conn, ["王伟基金会"], kind="social_organisation", prefix="O")
    assert names_of(search(conn, "王伟", kinds={"individual"})) == ["王伟"]
    assert names_of(search(conn, "王伟", kinds=["enterprise", "social_organisation"])) == [
        "王伟五金店",
        "王伟基金会",
        "王伟科技有限公司",
    ]
    assert search(conn, "王伟", kinds=()).total == 0
    assert search(conn, "王伟").total == 4
    assert all_hits(conn, "王", kinds={"enterprise"}) == oracle(conn, "王", {"enterprise"})
    with pytest.raises(InvalidInput) as exc:
        search(conn, "王伟", kinds={"company"})
    assert exc.value.rule == "search.kinds"


@pytest.mark.parametrize(
    "query",
    [
        "%",
        "_",
        '"',
        "'",
        "*",
        "NEAR(",
        "AND",
        "OR",
        "NOT",
        "^",
        ":",
        "-",
        "\\",
        "%%",
        "a_c",
        'x" OR "y',
        "()",
    ],
)
def test_sql_and_fts_syntax_is_plain_text(conn: Connection, strategy: str, query: str) -> None:
    tricky = [
        "百分之百%公司",
        "下划线_公司",
        '引号"公司',
        "单引号'公司",
        "星号*公司",
        "NEAR(腾讯, 5) 公司",
        "AND OR NOT 公司",
        "反斜杠\\公司",
        "a_c公司",
        "abc公司",
        '"x" OR "y"',
        "(深圳)公司",
    ]
    add(conn, tricky)
    assert all_hits(conn, query) == oracle(conn, query)


def test_like_wildcards_match_only_themselves(conn: Connection, strategy: str) -> None:
    add(conn, ["百分之百%公司", "下划线_公司", "abc公司", "a_c公司"])
    assert names_of(search(conn, "%")) == ["百分之百%公司"]
    assert names_of(search(conn, "a_c")) == ["a_c公司"]
    assert names_of(search(conn, "_")) == ["a_c公司", "下划线_公司"]


@pytest.mark.parametrize("query", ["", "   ", "\u3000\t\n", "\u200b", "\x00"])
def test_empty_query_is_a_clear_error(conn: Connection, query: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        search(conn, query)
    assert exc.value.rule == "search.query_required"
    assert exc.value.message_zh


@given(query=st.text(max_size=60))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_query_returns_without_raising(conn: Connection, query: str) -> None:
    if not conn.execute(select(subjects.c.id).limit(1)).first():
        add(conn, [TENCENT_NAME, '引号"公司', "NEAR(腾讯)", "a%b_c", "王伟", *synthetic_names(30)])
    try:
        page = search(conn, query, limit=5)
    except InvalidInput as exc:
        assert exc.rule == "search.query_required" and normalise_query(query) == ""
        return
    assert 0 <= page.total <= MAX_TOTAL and len(page.hits) <= 5
    assert [h.subject_id for h in page.hits] == oracle(conn, query)[:5]


def test_long_query(conn: Connection, strategy: str) -> None:
    long_name = "深圳市" + "很长的名字" * 30 + "有限公司"
    add(conn, [long_name])
    assert names_of(search(conn, long_name)) == [long_name]
    assert search(conn, long_name * 3).total == 0


@pytest.mark.parametrize("strategy_", ["index", "scan"])
@pytest.mark.parametrize("query", ["腾", "腾讯", "腾讯科技"])
def test_plans_use_the_indexes(
    conn: Connection, store: Store, monkeypatch: pytest.MonkeyPatch, strategy_: str, query: str
) -> None:
    strategy = force(strategy_, monkeypatch, store)
    add(conn, [TENCENT_NAME, *synthetic_names(50)])
    # PostgreSQL: no kind filter, which on a table of 51 names the planner may serve from the rank
    # index of migration 0009 (it leads with the kind) rather than from the name index under test
    kinds = {"enterprise"} if conn.dialect.name == "sqlite" else None
    plan = "\n".join(search_index_for(conn.dialect.name).explain(conn, query, kinds=kinds))
    if conn.dialect.name == "sqlite":
        uses_index = "VIRTUAL TABLE" in plan
        if len(query) >= 2:  # from the rank-key index of 0011 (alias r) whatever the sample says
            assert "SCAN r VIRTUAL TABLE" in plan, plan
            return
    else:
        # 3+ characters: pg_trgm; 2: the pair tagged by length (migration 0011); 1: the characters'
        index_name = {1: "ix_subjects_name_search_chars", 2: "ix_subjects_name_search_rank_pairs"}.get(
            len(query), "ix_subjects_name_search_trgm"
        )
        uses_index = index_name in plan
    assert uses_index == (strategy != "scan"), plan


def test_rebuild_restores_a_lost_index(conn: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "SCAN_FRACTION", 1e9)  # SQLite: always through the index
    add(conn, [TENCENT_NAME, "华为技术有限公司"])
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO subject_search (subject_search) VALUES ('delete-all')")
        conn.exec_driver_sql("INSERT INTO subject_search_rank (subject_search_rank) VALUES ('delete-all')")
        assert search(conn, "腾讯科技").total == 0 and search(conn, "腾讯").total == 0
        assert rebuild(conn) >= 2
    else:  # its GIN indexes keep themselves; the pairs table of 0012 is refilled
        conn.exec_driver_sql("DELETE FROM subject_search_pairs")
        assert search(conn, "腾讯科技").total == 0 and search(conn, "腾讯").total == 0
        assert rebuild(conn) >= 2
    assert names_of(search(conn, "腾讯科技")) == [TENCENT_NAME]
    assert names_of(search(conn, "腾讯")) == [TENCENT_NAME]


def test_refresh_name_search_repairs_stale_values(conn: Connection, strategy: str) -> None:
    forgotten, fine = add(conn, ["騰訊科技（深圳）有限公司", "华为技术有限公司"])
    conn.execute(subjects.update().where(subjects.c.id == forgotten).values(name_search=""))
    assert search(conn, "腾讯").total == 0
    assert refresh_name_search(conn, chunk=1) == 1
    assert ids_of(search(conn, "腾讯")) == [forgotten]
    assert ids_of(search(conn, "华为")) == [fine]
    assert refresh_name_search(conn) == 0


def test_postgres_statements_are_not_prepared(conn: Connection) -> None:
    """A prepared statement may get a generic plan, blind to the pattern: searches stay unprepared."""
    if conn.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (psycopg prepares statements run five times)")
    add(conn, [TENCENT_NAME])
    for _ in range(8):
        search(conn, "腾讯")
        search(conn, "腾讯科技")
    prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert not [s for s in prepared if "name_search" in s]


def test_unknown_dialect_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        search_index_for("mysql")
    assert search_index_for("sqlite").dialect == "sqlite"
    assert search_index_for("postgresql").dialect == "postgresql"


# ---------------------------------------------------------------------------------------------
# Writers keep the index current


def registry_file(path: Path, rows: list[list[str]]) -> Path:
    header = ["kind", "name", "uscc", "id_number", "legal_representative", "registered_on", "region"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_registry_load_fills_name_search_and_a_rename_is_found(
    store: Store, tmp_path: Path, strategy: str
) -> None:
    first = [["enterprise", "騰訊科技（深圳）有限公司", TENCENT, "", "马化腾", "2000-02-24", "440300"]]
    registry.load_file(store, registry_file(tmp_path / "a.csv", first), Actor.system())
    with store.read() as conn:
        assert conn.execute(select(subjects.c.name_search)).scalar_one() == "腾讯科技(深圳)有限公司"
        assert names_of(search(conn, "腾讯")) == ["騰訊科技（深圳）有限公司"]
    renamed = [["enterprise", "鹅厂科技（深圳）有限公司", TENCENT, "", "马化腾", "2000-02-24", "440300"]]
    result = registry.load_file(store, registry_file(tmp_path / "b.csv", renamed), Actor.system())
    assert result.renamed == 1
    with store.read() as conn:
        assert names_of(search(conn, "鹅厂")) == ["鹅厂科技（深圳）有限公司"]
        assert search(conn, "腾讯").total == 0


def test_rename_subjects_updates_the_index(conn: Connection, strategy: str) -> None:
    (sid,) = add(conn, ["旧名字贸易有限公司"])
    q.rename_subjects(conn, [(sid, "新名號貿易有限公司")], STAMP)
    assert ids_of(search(conn, "新名号")) == [sid]
    assert ids_of(search(conn, "新名")) == [sid]
    assert search(conn, "旧名字").total == 0 and search(conn, "旧").total == 0


def test_deleted_and_rekinded_subjects(conn: Connection, strategy: str) -> None:
    keep, gone = add(conn, ["删除测试甲公司", "删除测试乙公司"])
    conn.execute(subjects.delete().where(subjects.c.id == gone))
    assert ids_of(search(conn, "删除测试")) == [keep]
    conn.execute(subjects.update().where(subjects.c.id == keep).values(kind="public_institution"))
    assert ids_of(search(conn, "删除测试", kinds={"public_institution"})) == [keep]
    assert search(conn, "删除测试", kinds={"enterprise"}).total == 0


def test_ingested_counterparties_are_searchable(platform, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    staff = Actor(role=Role.SOURCE_UNIT, unit=HOUSING, user="wang")
    rows = [penalty(1), penalty(2, CF_XDR_MC="騰訊科技（深圳）有限公司", CF_XDR_SHXYM=TENCENT)]
    path = write_csv(tmp_path / "p.csv", platform.catalog, rows)
    report = ingest.ingest_file(platform.store, platform.catalog, path, HOUSING, staff, IngestOptions())
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        assert names_of(search(conn, "腾讯")) == ["騰訊科技（深圳）有限公司"]
        assert names_of(search(conn, "华为")) == ["华为技术有限公司"]


# ---------------------------------------------------------------------------------------------
# Identifiers


def test_lookup_by_uscc_and_organisation_code(store: Store, tmp_path: Path) -> None:
    rows = [
        ["enterprise", TENCENT_NAME, TENCENT, "", "马化腾", "2000-02-24", "440300"],
        ["enterprise", "华为技术有限公司", HUAWEI, "", "赵明路", "1987-09-15", "440300"],
        ["individual", "张三", "", "11010519491231002X", "", "", "110105"],
    ]
    registry.load_file(store, registry_file(tmp_path / "r.csv", rows), Actor.system())
    with store.read() as conn:
        (hit,) = by_identifier(conn, TENCENT)
        assert (hit.name, hit.matched, hit.kind) == (TENCENT_NAME, "uscc", "enterprise")
        assert [h.name for h in by_identifier(conn, " ９１４４０３００７０８４６１１３６ｔ ")] == [
            TENCENT_NAME
        ]
        org = TENCENT[8:16] + "-" + TENCENT[16]
        for form in (org, org.replace("-", ""), org.lower()):
            (hit,) = by_identifier(conn, form)
            assert (hit.name, hit.matched) == (TENCENT_NAME, "organisation_code")
        assert [h.name for h in by_identifier(conn, HUAWEI, kinds={"enterprise"})] == ["华为技术有限公司"]
        assert by_identifier(conn, HUAWEI, kinds={"individual"}) == []
        assert by_identifier(conn, "91440300708461136X") == []
        assert by_identifier(conn, "") == [] and by_identifier(conn, "%") == []


def test_resident_id_lookup_needs_the_flag(store: Store, tmp_path: Path) -> None:
    rows = [["individual", "张三", "", "11010519491231002X", "", "", "110105"]]
    registry.load_file(store, registry_file(tmp_path / "r.csv", rows), Actor.system())
    with store.read() as conn:
        assert by_identifier(conn, "11010519491231002X") == []
        (hit,) = by_identifier(conn, "11010519491231002x", include_personal=True)
        assert (hit.name, hit.matched, hit.kind) == ("张三", "resident_id", "individual")


# ---------------------------------------------------------------------------------------------
# The migration backfills existing subjects


def test_migration_backfills_existing_subjects(fresh_url: str) -> None:
    eng = make_engine(fresh_url)
    try:
        upgrade(eng, "0001")
        with eng.begin() as c:
            c.execute(
                text(
                    "INSERT INTO subjects (id, kind, id_scheme, id_value, name, is_individual_business,"
                    " created_at, updated_at) VALUES (:id, 'enterprise', 'uscc', :id, :name, false, :t, :t)"
                ),
                [{"id": f"S{i}", "name": n, "t": STAMP} for i, n in enumerate([TENCENT_NAME, "騰訊音樂"])],
            )
        upgrade(eng)
        with eng.connect() as c:
            stored = {r.id: r.name_search for r in c.execute(select(subjects.c.id, subjects.c.name_search))}
            assert stored == {"S0": "腾讯科技(深圳)有限公司", "S1": "腾讯音乐"}
            assert names_of(search(c, "腾讯")) == ["騰訊音樂", TENCENT_NAME]  # prefix; shorter first
            assert names_of(search(c, "音乐")) == ["騰訊音樂"]
    finally:
        eng.dispose()


def test_common_fragments_are_scanned_and_read_in_rank_order(
    conn: Connection, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fragment most names contain (有限) is not looked up in the index: a sample of the names says
    it is common, so the names are scanned and its pages read in rank order from the rank indexes;
    the answer is the same ranking."""
    monkeypatch.setattr(index, "PAIRS_WALK", False)  # PostgreSQL's general plan
    monkeypatch.setattr(index, "WALK_FROM", 20)
    monkeypatch.setattr(index, "SAMPLE_ROWS", 40)  # a sample smaller than the table: windows of rows
    add(conn, [TENCENT_NAME, *synthetic_names(160)])
    engine = search_index_for(conn.dialect.name)
    if conn.dialect.name == "postgresql":  # the sample is sized from the planner's statistics
        conn.exec_driver_sql("ANALYZE subjects")
        monkeypatch.setattr(index, "SAMPLE_ROWS", 10)
        # every page: the test database's table is mostly dead rows of earlier tests' rollbacks
        monkeypatch.setattr(index, "SAMPLE_PAGES", 10**9)
    size, sampled, matches = engine._sample(conn, "有限")  # type: ignore[attr-defined]
    assert size > index.SAMPLE_ROWS and sampled > 0 and matches > sampled // 2
    plan = "\n".join(engine.explain(conn, "有限"))
    if conn.dialect.name == "sqlite":  # read in rank order from the rank-key index (migration 0011)
        assert "SCAN r VIRTUAL TABLE" in plan, plan
    else:
        assert "ix_subjects_name_search_chars" not in plan, plan
    expected = oracle(conn, "有限")
    assert len(expected) > 20
    for page in (1, 2, 3):
        found = search(conn, "有限", limit=10, offset=(page - 1) * 10)
        assert ids_of(found) == expected[(page - 1) * 10 : page * 10]
        assert found.total == min(len(expected), MAX_TOTAL)
    kinds = {"enterprise"}
    assert ids_of(search(conn, "有限", kinds=kinds)) == oracle(conn, "有限", kinds)[:20]
    _, _, rare = engine._sample(conn, "腾讯")  # type: ignore[attr-defined]
    assert rare <= 1 and ids_of(search(conn, "腾讯")) == oracle(conn, "腾讯")[:20]


def test_walk_steps_count_the_names_before_the_first_match() -> None:
    """The walk's cost as the sample sees it: names longer than the query and shorter than the
    shortest match, in each rank index walked (individuals' only when they are searched)."""
    sample = [
        index._Sampled(2, True, 50, 0),
        index._Sampled(3, True, 40, 0),
        index._Sampled(6, True, 1, 0),
        index._Sampled(4, False, 5, 0),
        index._Sampled(10, False, 300, 0),
        index._Sampled(12, False, 200, 0),
        index._Sampled(16, False, 30, 3),
        index._Sampled(17, False, 20, 2),
    ]
    everyone = index._request("合伙企业", None, 20, 0)
    organisations = index._request("合伙企业", {"enterprise"}, 20, 0)
    people = index._request("合伙企业", {"individual"}, 20, 0)
    assert index.walk_steps(sample, organisations) == 300 + 200  # the 4-character names are too short
    assert index.walk_steps(sample, people) == 1  # no match: every name long enough
    assert index.walk_steps(sample, everyone) == 501
    # a 2-character query: the individuals of 3 characters are long enough
    assert index.walk_steps(sample, index._request("有限", None, 20, 0)) == 40 + 1 + 5 + 300 + 200


def test_common_fragments_of_long_names_are_collected_not_walked(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A common fragment found only in long names (联营合作, as 合伙企业): a walk in rank order would
    step over every shorter name before the first match, so the sample's lengths send it to the
    index, whose matches are collected and sorted; the same ranking either way."""
    monkeypatch.setattr(index, "PAIRS_WALK", False)  # PostgreSQL's general plan
    monkeypatch.setattr(index, "common_from", lambda size: 0.0)  # whatever the sample finds is common
    cooperatives = [f"深圳市第{i:03d}号城乡联营合作社联合会" for i in range(20)]  # none shorter
    add(conn, [*synthetic_names(160), *cooperatives])
    engine: Any = search_index_for(conn.dialect.name)
    if conn.dialect.name == "postgresql":  # the sample is sized from the planner's statistics
        conn.exec_driver_sql("ANALYZE subjects")
        monkeypatch.setattr(index, "SAMPLE_ROWS", 10)
        monkeypatch.setattr(index, "SAMPLE_PAGES", 10**9)  # every page (most are earlier tests' dead rows)
    _, sampled, matches = engine._sample(conn, "联营合作")
    assert sampled >= 180 and matches == 20
    # Since migration 0011 both databases read a capped 2+ character query by name length, shortest
    # first, whatever the names' lengths: no cost model (COLLECT_COST) decides for them any more.
    # Since migration 0011 both databases read a capped 2+ character query by name length, shortest
    # first, whatever the names' lengths: no cost model (COLLECT_COST) decides for them any more.
    plan = engine._choose(conn, index._request("联营合作", None, 20, 0))
    assert not plan.scan and plan.collect == min(index.WALK_FROM, MAX_TOTAL)
    # most names: SQLite reads it by rank key too; PostgreSQL counts by a scan, then walks
    common = engine._choose(conn, index._request("有限", None, 20, 0))
    assert common.scan == (conn.dialect.name == "postgresql")
    expected = oracle(conn, "联营合作")
    assert len(expected) == 20
    for cost in (index.COLLECT_COST, 10**9):
        monkeypatch.setattr(index, "COLLECT_COST", cost)
        assert not engine._choose(conn, index._request("联营合作", None, 20, 0)).scan
        for offset in (0, 7):
            found = search(conn, "联营合作", limit=7, offset=offset)
            assert ids_of(found) == expected[offset : offset + 7] and found.total == 20
        kinds = {"enterprise"}
        assert ids_of(search(conn, "联营合作", kinds=kinds)) == oracle(conn, "联营合作", kinds)[:20]


@pytest.mark.parametrize("group_collect", [0, 2, 10**6])
@pytest.mark.parametrize("prefix_collect", [0, 10**6])
def test_rank_key_walks_agree_with_the_oracle(
    conn: Connection, monkeypatch: pytest.MonkeyPatch, group_collect: int, prefix_collect: int
) -> None:
    """SQLite's rank-key index (0011) reads a common fragment's classes in name-length order; the
    names of the page's last length are sorted when few (GROUP_COLLECT) or read in name order from
    the rank index; names starting with the query are collected when few (PREFIX_COLLECT) or walked.
    Every way, with individuals and organisations of equal lengths, pages equal the oracle's."""
    monkeypatch.setattr(index, "PAIRS_WALK", False)  # PostgreSQL's general plan
    monkeypatch.setattr(index, "WALK_FROM", 0)  # every query with a match is walked
    monkeypatch.setattr(index, "GROUP_COLLECT", group_collect)
    monkeypatch.setattr(index, "PG_GROUP_COLLECT", group_collect)  # PostgreSQL's windows and lengths
    monkeypatch.setattr(index, "PREFIX_COLLECT", prefix_collect)
    add(conn, [*synthetic_names(120), *[f"联合{c}{i:02d}社" for i in range(12) for c in "甲乙"]])
    add(conn, ["联合", "联合乙", "联合甲", "张联合", "李联合"], kind="individual", prefix="P")
    add(conn, ["联合会", "甲联合会"], kind="social_organisation", prefix="O")
    for kinds in (None, {"enterprise"}, {"individual"}, {"enterprise", "social_organisation"}):
        expected = oracle(conn, "联合", kinds)
        assert len(expected) >= 5
        for limit, offset in ((20, 0), (7, 0), (7, 7), (5, 20), (3, len(expected) - 2)):
            found = search(conn, "联合", kinds=kinds, limit=limit, offset=offset)
            assert ids_of(found) == expected[offset : offset + limit], (kinds, limit, offset)
            assert found.total == len(expected)
        expected = oracle(conn, "合社", kinds)
        assert ids_of(search(conn, "合社", kinds=kinds, limit=9)) == expected[:9]


def test_rank_key_index_follows_renames_and_kinds(conn: Connection) -> None:
    """The rank key holds the kind and the name's length: the triggers move a subject when either
    changes (SQLite), and the search finds it where it now belongs."""
    (sid,) = add(conn, ["短名称联合"], kind="individual", prefix="P")
    assert ids_of(search(conn, "联合", kinds={"individual"})) == [sid]
    conn.execute(subjects.update().where(subjects.c.id == sid).values(kind="enterprise"))
    assert ids_of(search(conn, "联合", kinds={"individual"})) == []
    assert ids_of(search(conn, "联合", kinds={"enterprise"})) == [sid]
    longer = "一个长得多的名称联合有限公司"
    conn.execute(
        subjects.update().where(subjects.c.id == sid).values(name=longer, name_search=normalise_name(longer))
    )
    assert ids_of(search(conn, "联合有限", kinds={"enterprise"})) == [sid]
    assert ids_of(search(conn, "短名称", kinds={"enterprise"})) == []
    conn.execute(subjects.delete().where(subjects.c.id == sid))
    assert search(conn, "联合有限").total == 0


def test_a_fragment_common_only_among_people_is_counted_for_the_public(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL takes a query as capped, without counting, when the sample's pages leave no doubt:
    pages holding a match of the kinds searched, so that the public's search (organisations only)
    of a fragment frequent in people's names still gets its exact count."""
    monkeypatch.setattr(index, "PAIRS_WALK", False)  # PostgreSQL's general plan
    if conn.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's capped plan")
    add(conn, [f"联合{i:04d}" for i in range(MAX_TOTAL + 100)], kind="individual", prefix="P")
    add(conn, [f"张{i:04d}" for i in range(3000)], kind="individual", prefix="Q")  # not common: < 25 %
    add(conn, ["联合发展有限公司", "华联合众有限公司", "深圳联合科技有限公司"])
    conn.exec_driver_sql("ANALYZE subjects")
    monkeypatch.setattr(index, "SAMPLE_ROWS", 10)
    monkeypatch.setattr(index, "SAMPLE_PAGES", 10**9)  # every page
    monkeypatch.setattr(index, "SURELY_CAPPED", 2)
    monkeypatch.setattr(index, "CAPPED_MARGIN", 1)
    public = {"enterprise", "public_institution", "social_organisation"}
    found = search(conn, "联合", kinds=public)
    assert (found.total, found.capped) == (3, False)
    assert ids_of(found) == oracle(conn, "联合", public)
    everyone = search(conn, "联合")
    assert (everyone.total, everyone.capped) == (MAX_TOTAL, True)
    assert ids_of(everyone) == oracle(conn, "联合")[:20]


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the pairs table (migration 0012)


def stored_pairs(conn: Connection) -> set[tuple[str, int, str, str, str]]:
    return {
        tuple(r)  # type: ignore[misc]
        for r in conn.exec_driver_sql(
            "SELECT pair, len, name_search, subject_id, kind FROM subject_search_pairs"
        ).all()
    }


def expected_pairs(conn: Connection) -> set[tuple[str, int, str, str, str]]:
    rows = conn.execute(select(subjects.c.id, subjects.c.name_search, subjects.c.kind)).all()
    return {
        (r.name_search[i : i + 2], len(r.name_search), r.name_search, r.id, r.kind)
        for r in rows
        for i in range(len(r.name_search) - 1)
    }


def test_pairs_table_follows_every_write(conn: Connection) -> None:
    """The triggers keep one row per distinct pair of each subject's name: inserts, renames, changes
    of kind, updates touching neither, deletes and truncation, each as a statement of many rows."""
    if conn.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pairs table")
    ids = add(conn, ["腾讯腾讯科技", "华为技术有限公司", "联合", "a", ""])
    ids += add(conn, ["张联合"], kind="individual", prefix="P")
    assert stored_pairs(conn) == expected_pairs(conn)
    assert ("腾讯", 6, "腾讯腾讯科技", ids[0], "enterprise") in stored_pairs(conn)
    assert len([p for p in stored_pairs(conn) if p[3] == ids[0]]) == 4  # 腾讯 once: distinct pairs
    conn.execute(
        subjects.update()
        .where(subjects.c.id.in_(ids[:2]))
        .values(name="联合发展有限公司", name_search=normalise_name("联合发展有限公司"))
    )
    conn.execute(subjects.update().where(subjects.c.id == ids[2]).values(kind="social_organisation"))
    conn.execute(subjects.update().values(updated_at=datetime(2027, 1, 1, tzinfo=UTC)))  # no name moves
    assert stored_pairs(conn) == expected_pairs(conn)
    assert not [p for p in stored_pairs(conn) if p[0] == "腾讯"]
    conn.execute(subjects.delete().where(subjects.c.id.in_(ids[1:3])))
    assert stored_pairs(conn) == expected_pairs(conn)
    conn.exec_driver_sql("TRUNCATE subjects CASCADE")
    assert stored_pairs(conn) == set()


def test_pair_statistics_choose_the_rarest_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk takes the query's pair least frequent by the statistics (one not among the most
    common, if any), read once a while per database."""
    calls: list[str] = []

    def rows(sql: str, params: dict[str, Any]) -> list[Any]:
        calls.append(sql)
        if sql == pairs.STATS_SQL:
            return [(["有限", "限公", "公司", "电子"], [0.3, 0.25, 0.2, 0.01])]
        raise StopSearch(params["pair"])

    class StopSearch(Exception):
        pass

    def chosen(key: str, q: str) -> str:
        with pytest.raises(StopSearch) as stopped:
            pairs.run(pairs.ranked(key, q, ["enterprise"], 20, MAX_TOTAL + 1, None), rows)
        return str(stopped.value)

    assert chosen("db", "电子有限") == "子有"
    assert chosen("db", "有限公司") == "公司"  # all among the most common: the least of them
    assert chosen("db", "有限公司有限") == "司有"
    assert chosen("db", "公司有限") == "司有"
    assert chosen("db", "有限公") == "限公" and calls.count(pairs.STATS_SQL) == 1  # kept a while
    assert chosen("other", "电子公司") == "子公" and calls.count(pairs.STATS_SQL) == 2  # per database
    monkeypatch.setattr(pairs, "STATS_SECONDS", 0.0)
    assert chosen("db", "有限电子") == "限电" and calls.count(pairs.STATS_SQL) == 3
    assert pairs.PairStats().keep("db", [(None, None)]) == {}  # not analysed yet: no statistics


@pytest.mark.parametrize(("steps", "prefix_few"), [(20_000, 2_000), (20_000, 2), (40, 2), (3, 2)])
def test_pairs_pages_agree_with_the_oracle_past_the_cap(
    conn: Connection, monkeypatch: pytest.MonkeyPatch, steps: int, prefix_few: int
) -> None:
    """A query matching more names than the cap, in every class (exact names, names starting with it,
    names holding it further in) and of several kinds: each page equals the oracle's, whether the
    names starting with the query come from the prefix index or from a walk, and whether the walks
    reach the page or stop short (the general plan then answers)."""
    if conn.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pairs table")
    monkeypatch.setattr(pairs, "STEPS", steps)
    monkeypatch.setattr(pairs, "PREFIX_FEW", prefix_few)
    rng = random.Random(11)
    # names starting with the query longer than most names holding it further in: the first
    # matches in length order are not the first in rank order
    add(conn, ["联合", *[f"联合{rng.choice('甲乙丙')}{i:03d}社区服务中心有限公司" for i in range(40)]])
    add(conn, [f"{rng.choice('甲乙')}联合{i:03d}" for i in range(520)], prefix="V")
    add(conn, [f"深圳{rng.choice('甲乙')}联合{i:03d}有限公司" for i in range(300)], prefix="U")
    people = ["联合", "联合乙", "张联合", *[f"李联合{i:03d}" for i in range(40)]]
    add(conn, people, kind="individual", prefix="P")
    add(conn, ["甲联合会", "联合会"], kind="social_organisation", prefix="O")
    add(conn, synthetic_names(60), prefix="X")
    for kinds in (None, {"enterprise", "public_institution", "social_organisation"}, {"individual"}):
        for query in ("联合", "联合甲", "甲联合", "圳乙联合", "合0"):
            expected = oracle(conn, query, kinds)
            for limit, offset in ((20, 0), (50, 250), (13, 287), (50, 450)):
                found = search(conn, query, kinds=kinds, limit=limit, offset=offset)
                assert ids_of(found) == expected[offset : offset + limit][: MAX_TOTAL - offset], (
                    kinds,
                    query,
                    offset,
                )
                assert found.total == min(len(expected), MAX_TOTAL)
                assert found.capped == (len(expected) > MAX_TOTAL)


def test_rebuild_refills_the_pairs_table_after_writes_that_bypass_triggers(conn: Connection) -> None:
    """Writes with triggers off (a data-only restore, ``session_replication_role = replica``) leave
    the pairs table behind the subjects; rebuild refills it, and the search finds them again."""
    if conn.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pairs table")
    add(conn, [TENCENT_NAME])
    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    (late,) = add(conn, ["腾讯音乐娱乐科技(深圳)有限公司"], prefix="L")
    conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
    assert stored_pairs(conn) != expected_pairs(conn)
    assert late not in ids_of(search(conn, "腾讯"))
    assert index.rebuild(conn) == conn.execute(select(func.count()).select_from(subjects)).scalar_one()
    assert stored_pairs(conn) == expected_pairs(conn)
    assert late in ids_of(search(conn, "腾讯"))
