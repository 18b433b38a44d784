"""A company repairs its credit in real headless Chromium: it applies after the minimum period, the
source unit approves, and the penalty no longer shows on the public profile. Screenshots are saved.

Who is acting comes from a test-only header read by a dependency override (accounts are built
elsewhere); nothing of this is in the package.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
import uvicorn
from fastapi import Request
from ingest_helpers import HOUSING, HUAWEI, penalty, write_csv
from sqlalchemy import select
from test_browser_check import ARTIFACTS, CHROMIUM, _free_port, _need_browser

from xinyong.api import deps
from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.services import ingest
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.tables import records

pytestmark = pytest.mark.browser
ACTOR_HEADER = "x-test-actor"
DOCUMENT = "深建罚〔2025〕1号"


def header_actor(request: Request) -> Actor:
    """Test only: ``subject:<id>`` or ``unit:<code>`` in a header; anything else is the public."""
    kind, _, value = request.headers.get(ACTOR_HEADER, "").partition(":")
    if kind == "subject":
        return Actor(role=Role.SUBJECT, subject_id=value, user="browser")
    if kind == "unit":
        return Actor(role=Role.SOURCE_UNIT, unit=value, user="browser")
    return Actor.public()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    _need_browser()
    root = tmp_path_factory.mktemp("repair")
    settings = Settings(
        database_url=f"sqlite:///{root / 'r.db'}", data_dir=root, today="2026-11-28", rate_limit_per_minute=0
    )
    platform = Platform.open(settings)
    rows = [
        penalty(1, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01"),  # general tier: repair from 2026-09-02
        penalty(2, CF_JDRQ="2026-10-15", CF_YXQ="2027-01-01"),
    ]  # too recent to repair
    path = write_csv(root / "p.csv", platform.catalog, rows)
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        path,
        HOUSING,
        Actor.system(),
        ingest.IngestOptions(today=date(2026, 11, 28)),
    )
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        row = conn.execute(
            select(records.c.id, records.c.subject_id).where(records.c.document_number == DOCUMENT)
        ).one()
    app = create_app(platform_obj=platform)
    app.dependency_overrides[deps.actor] = header_actor
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", row.id, row.subject_id
    srv.should_exit = True
    thread.join(timeout=10)
    platform.close()


def test_company_repairs_a_penalty_in_chromium(server: tuple[str, str, str]) -> None:
    from playwright.sync_api import sync_playwright

    base, record_id, subject_id = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        public = browser.new_page(viewport={"width": 1100, "height": 900})
        public.goto(f"{base}/subjects/{subject_id}?lang=zh")
        assert DOCUMENT in public.inner_text("body") and HUAWEI in public.inner_text("body")

        company = browser.new_context(extra_http_headers={ACTOR_HEADER: f"subject:{subject_id}"}).new_page()
        company.goto(f"{base}/remedies/records/{record_id}?lang=zh")
        assert "符合申请条件" in company.inner_text("#eligibility")
        assert "国家发展改革委令2025年第36号" in company.inner_text("body")
        company.screenshot(path=str(ARTIFACTS / "repair-1-eligibility.png"), full_page=True)
        company.set_input_files(
            "input[name=proof]",
            files=[
                {"name": "罚款缴纳凭证.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 paid 20000"}
            ],
        )
        company.set_input_files(
            "input[name=commitment]",
            files=[
                {"name": "信用承诺书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 commitment"}
            ],
        )
        company.click("#repair-form button[type=submit]")
        company.wait_for_selector("#case-state[data-state=forwarded]")
        case_url = company.url
        assert "2026-12-02" in company.inner_text("#case-due")  # 3 working days after Saturday 28 November
        company.screenshot(path=str(ARTIFACTS / "repair-2-applied.png"), full_page=True)

        unit = browser.new_context(extra_http_headers={ACTOR_HEADER: f"unit:{HOUSING}"}).new_page()
        unit.goto(case_url)
        unit.select_option("#decide-form select[name=outcome]", "approve")
        unit.fill("#decide-form input[name=document_number]", "深建修〔2026〕1号")
        unit.click("#decide-form button[type=submit]")
        unit.wait_for_selector("#case-state[data-state=approved]")
        assert "深建修〔2026〕1号" in unit.inner_text("#history")
        unit.screenshot(path=str(ARTIFACTS / "repair-3-approved.png"), full_page=True)

        public.goto(f"{base}/subjects/{subject_id}?lang=zh")
        body = public.inner_text("body")
        assert DOCUMENT not in body and "深建罚〔2025〕2号" in body  # the other penalty is still public
        public.screenshot(path=str(ARTIFACTS / "repair-4-public-profile.png"), full_page=True)
        company.goto(f"{base}/remedies/records/{record_id}?lang=zh")
        assert "已信用修复" in company.inner_text("body")  # the fact stays in the subject's own history
        company.screenshot(path=str(ARTIFACTS / "repair-5-subject-history.png"), full_page=True)
        browser.close()
