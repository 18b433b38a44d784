"""A person in real headless Chromium: registers (identity verified), authorizes a bank, sees the bank's
query in "who looked at my file", and finds the download one click away."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import date

import pytest
import uvicorn
from access_helpers import BANK, OPERATOR, PASSWORD
from ingest_helpers import HOUSING, PERSON_ID, person_penalty, write_csv
from test_browser_check import ARTIFACTS, CHROMIUM, _free_port, _need_browser, _no_full_ids

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.services import accounts, ingest
from xinyong.services.platform import Platform
from xinyong.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Platform]]:
    _need_browser()
    root = tmp_path_factory.mktemp("browser-access")
    settings = Settings(
        database_url=f"sqlite:///{root / 'a.db'}", data_dir=root, today="2026-11-28", rate_limit_per_minute=0
    )
    platform = Platform.open(settings)
    rows = [
        person_penalty(
            1, CF_JDRQ="2026-10-01", CF_YXQ="2027-10-01", CF_CFLB="罚款", CF_NR="罚款", CF_NR_FK="1"
        )
    ]
    path = write_csv(root / "p.csv", platform.catalog, rows)
    options = ingest.IngestOptions(today=date(2026, 11, 28))
    report = ingest.ingest_file(platform.store, platform.catalog, path, HOUSING, Actor.system(), options)
    assert report.status == "accepted", report.problems
    officer = accounts.create_user(
        platform.store, OPERATOR, "officer", PASSWORD, Role.RELYING_PARTY, BANK, purposes=("bank_loan",)
    )
    key = accounts.issue_key(platform.store, OPERATOR, officer.id)
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(platform_obj=platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", key, platform
    srv.should_exit = True
    thread.join(timeout=10)
    platform.close()


def bank_reads(base: str, key: str, subject_id: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/subjects/{subject_id}", headers={"x-api-key": key, "x-purpose": "bank_loan"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_a_person_authorizes_a_bank_and_sees_its_query(server: tuple[str, str, Platform]) -> None:
    from playwright.sync_api import sync_playwright

    base, key, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base + "/register")
        page.fill("input[name=name]", "张三")
        page.fill("input[name=id_number]", PERSON_ID)
        page.fill("input[name=username]", "zhangsan")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.account-form button[type=submit]")
        page.wait_for_url("**/account**")
        me = json.loads(page.evaluate("fetch('/api/v1/me').then(r => r.text())"))
        subject_id = me["subject_id"]
        assert bank_reads(base, key, subject_id) == 403  # no authorization yet
        page.click("text=我的授权")
        page.fill("input[name=grantee]", BANK)
        page.select_option("select[name=purpose]", "bank_loan")
        page.fill("input[name=expires_on]", "2026-12-31")
        page.fill("input[name=proof]", "授权书 ZS-2026-1")
        page.click("form.account-form button[type=submit]")
        page.wait_for_selector("text=授权书 ZS-2026-1")
        page.screenshot(path=str(ARTIFACTS / "access-1-authorizations.png"), full_page=True)
        assert bank_reads(base, key, subject_id) == 200
        page.goto(base + "/account/queries")
        body = page.inner_text("body")
        assert BANK in body and "银行贷款" in body and "授权书 ZS-2026-1" in body
        assert _no_full_ids(page.content()) == []
        page.screenshot(path=str(ARTIFACTS / "access-2-who-looked.png"), full_page=True)
        page.goto(base + "/account")
        assert page.locator("a[href^='/account/download']").count() == 1  # one click away
        assert _no_full_ids(page.content()) == []
        page.screenshot(path=str(ARTIFACTS / "access-3-my-file.png"), full_page=True)
        browser.close()
