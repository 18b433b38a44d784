"""A newcomer uses the one-click check in real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from ingest_helpers import HOUSING, PERSON_ID, TENCENT, penalty, person_penalty, write_csv

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.ids import is_valid_resident_id
from xinyong.services import ingest
from xinyong.services.demo import load_city
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.synth import generate_city

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("XINYONG_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs the Debian package 'chromium'")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_browser()
    root = tmp_path_factory.mktemp("browser")
    settings = Settings(
        database_url=f"sqlite:///{root / 'b.db'}", data_dir=root, today="2026-11-28", rate_limit_per_minute=0
    )
    platform = Platform.open(settings)
    generate_city(root / "city", subjects=120, records=800, seed=11)
    load_city(platform, root / "city")
    from xinyong.catalog import load_catalog

    rows = [
        penalty(
            901,
            CF_XDR_MC="腾讯科技（深圳）有限公司",
            CF_XDR_SHXYM=TENCENT,
            CF_JDRQ="2026-09-01",
            CF_YXQ="2027-03-01",
            CF_FR_ZJLX="身份证",
            CF_FR_ZJHM=PERSON_ID,
        ),
        person_penalty(
            902, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01", CF_CFLB="罚款", CF_NR="罚款", CF_NR_FK="1"
        ),
    ]
    path = write_csv(root / "p.csv", load_catalog(), rows)
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        path,
        HOUSING,
        Actor.system(),
        ingest.IngestOptions(today=date(2026, 11, 28)),
    )
    assert report.status == "accepted", report.problems
    port = _free_port()
    config = uvicorn.Config(
        create_app(platform_obj=platform), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    platform.close()


def _no_full_ids(text: str) -> list[str]:
    return [m for m in ID_LIKE.findall(text) if is_valid_resident_id(m)] + (
        [PERSON_ID] if PERSON_ID in text else []
    )


def test_newcomer_checks_tencent_in_chromium(server: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(server + "/")
        assert "一键查询" in page.content()
        page.fill("input[name=q]", "腾讯")
        page.click("button[type=submit]")
        page.wait_for_selector("ul.hits")
        page.screenshot(path=str(ARTIFACTS / "check-1-results.png"))
        page.click("text=腾讯科技（深圳）有限公司")
        page.wait_for_selector("article.record")
        body = page.inner_text("body")
        assert "行政处罚信息" in body and "公示截至 2027-09-01" in body
        assert "中华人民共和国行政处罚法" in body  # the legal basis of the item
        assert _no_full_ids(page.content()) == []
        page.screenshot(path=str(ARTIFACTS / "check-2-profile-zh.png"), full_page=True)
        page.click("a.lang")
        page.wait_for_selector("html[lang=en]")
        body_en = page.inner_text("body")
        assert "Public until 2027-09-01" in body_en and "How to read this page" in body_en
        assert _no_full_ids(page.content()) == []
        page.screenshot(path=str(ARTIFACTS / "check-3-profile-en.png"), full_page=True)
        page.click("article.record h3 a")
        page.wait_for_selector("table")
        assert _no_full_ids(page.content()) == []
        assert "****" in page.inner_text("body")  # the legal representative's ID number, masked
        page.screenshot(path=str(ARTIFACTS / "check-4-record-en.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(server + "/search?q=%E8%85%BE%E8%AE%AF")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        phone.screenshot(path=str(ARTIFACTS / "check-5-phone.png"))
        browser.close()
