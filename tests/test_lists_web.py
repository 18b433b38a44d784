"""Portal pages of the lists: public pages (zh and en) and the staff workflow pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from lists_helpers import ADULT, COURT, D0, court_listing
from sqlalchemy import insert

from xinyong.api import deps
from xinyong.api.app import create_app
from xinyong.services import lists
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.tables import subject_identifiers, subjects
from xinyong.web.i18n import translator
from xinyong.web.pages import templates


@pytest.fixture
def app_platform(platform: Platform) -> Platform:
    platform.settings = Settings(data_dir=platform.settings.data_dir, today=D0.isoformat(), jobs_interval_s=0)
    return platform


@pytest.fixture
def client(app_platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=app_platform)) as c:
        c.cookies.set("xinyong_csrf", "lists-test")  # the double-submit CSRF token a browser holds
        c.headers["x-csrf-token"] = "lists-test"
        yield c


def test_list_pages_in_both_languages(app_platform: Platform, client: TestClient) -> None:
    court_listing(app_platform)
    zh = client.get("/lists?lang=zh").text
    assert "失信被执行人名单" in zh and "限制乘坐飞机" in zh and "法释〔2017〕7号" in zh
    en = client.get("/lists?lang=en").text
    assert "List of dishonest judgment debtors" in en and "No flights" in en
    page = client.get("/lists/court_dishonest_debtor?lang=zh").text
    assert "(2026)粤0304执555号" in page and ADULT not in page  # resident IDs are masked
    assert "张三" not in page
    assert client.get("/lists/nope").status_code == 404


def test_staff_workflow_pages(app_platform: Platform, client: TestClient) -> None:
    client.app.dependency_overrides[deps.actor] = lambda: COURT  # type: ignore[attr-defined]
    form = {
        "list_type": "court_dishonest_debtor",
        "ground": "court_dishonest_debtor:refuses_settlement",
        "identifier": ADULT,
        "subject_name": "张三",
        "basis_document": "(2025)粤0304民初1号",
        "facts": "拒不履行",
    }
    made = client.post("/staff/lists/propose", data=form, follow_redirects=False)
    assert made.status_code == 303
    url = made.headers["location"]
    entry_id = url.rsplit("/", 1)[-1]
    assert f'action="/staff/lists/{entry_id}/decide"' in client.get(url).text
    client.post(f"{url}/decide", data={"document": "(2026)粤0304执9号"})
    client.post(f"{url}/publish", data={})
    shown = client.get(url).text
    assert "(2026)粤0304执9号" in shown and "decide" in shown and "publish" in shown
    assert lists.get_entry(app_platform.store, entry_id).state.value == "published"
    refused = client.post(f"{url}/decide", data={"document": "again"})
    assert refused.status_code == 409
    assert "staff/lists/" + entry_id in client.get("/staff/lists").text


def test_staff_pages_refuse_the_public(client: TestClient) -> None:
    assert client.get("/staff/lists").status_code == 403
    form = {
        "list_type": "court_dishonest_debtor",
        "ground": "refuses_settlement",
        "identifier": ADULT,
        "basis_document": "x",
        "facts": "y",
    }
    assert client.post("/staff/lists/propose", data=form).status_code == 403


def test_profile_partial_shows_current_entries(app_platform: Platform, client: TestClient) -> None:
    stamp = datetime.now(UTC)
    with app_platform.store.write() as conn:
        conn.execute(
            insert(subjects).values(
                id="S1",
                kind="individual",
                id_scheme="resident_id",
                id_value=ADULT,
                name="张三",
                name_search="张三",
                created_at=stamp,
                updated_at=stamp,
                is_individual_business=False,
            )
        )
        conn.execute(
            insert(subject_identifiers).values(
                scheme="resident_id", value=ADULT, subject_id="S1", source="test", created_at=stamp
            )
        )
    entry = court_listing(app_platform)
    assert entry.subject_id == "S1"
    shown = lists.published_entries(app_platform.store, app_platform.catalog, "S1", D0, "zh")
    assert [e["id"] for e in shown] == [entry.id]
    assert lists.published_entries(app_platform.store, app_platform.catalog, "S1", date(2028, 3, 3)) == []
    html = templates.get_template("_list_entries.html").render(
        t=translator("zh"), lang="zh", list_entries=shown
    )
    assert (
        "名单信息" in html and "失信被执行人名单" in html and "限制乘坐飞机" in html and "2028-03-02" in html
    )
    # The subject's profile carries it, in the portal and the API, to the public (identity masked).
    page = client.get("/subjects/S1?lang=zh")
    assert page.status_code == 200 and "失信被执行人名单" in page.text and "(2026)粤0304执555号" in page.text
    assert ADULT not in page.text and "张三" not in page.text
    api = client.get("/api/v1/subjects/S1").json()
    assert [e["id"] for e in api["list_entries"]] == [entry.id]
    assert ADULT not in str(api)
