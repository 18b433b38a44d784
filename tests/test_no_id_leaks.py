"""Crawl every public page and API response of a synthetic city: no full resident ID number anywhere."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from xinyong.api.app import create_app
from xinyong.ids import is_valid_resident_id
from xinyong.services.demo import load_city
from xinyong.services.platform import Platform
from xinyong.store.tables import subjects
from xinyong.synth import generate_city

ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture
def crawled(platform: Platform, tmp_path: Path) -> Iterator[tuple[TestClient, set[str], Platform]]:
    city = tmp_path / "city"
    generate_city(city, subjects=150, records=1500, seed=7)
    platform.settings = dataclasses.replace(platform.settings, rate_limit_per_minute=0, today="2026-11-28")
    load_city(platform, city)
    person_ids: set[str] = set()
    with (city / "subjects.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            person_ids.update(
                v for k, v in row.items() if v and k in ("id_number", "legal_representative_id")
            )
    with TestClient(create_app(platform_obj=platform)) as client:
        yield client, person_ids, platform


def leaks(text: str, known: set[str]) -> list[str]:
    found = [m for m in ID_LIKE.findall(text) if is_valid_resident_id(m)]
    return found + [k for k in known if k in text]


def test_no_public_page_or_api_response_carries_a_full_id_number(
    crawled: tuple[TestClient, set[str], Platform],
) -> None:
    client, person_ids, platform = crawled
    assert len(person_ids) > 20
    with platform.store.read() as conn:
        all_subjects = [r.id for r in conn.execute(select(subjects.c.id))]
    pages = [
        "/",
        "/catalog",
        "/api/v1/catalog",
        "/search?q=深圳",
        "/api/v1/search?q=深圳",
        "/search?q=有限公司&page=2",
    ]
    seen_records: set[str] = set()
    problems: list[tuple[str, list[str]]] = []
    shown_profiles = 0
    for sid in all_subjects:
        for url in (f"/subjects/{sid}", f"/subjects/{sid}?lang=en", f"/api/v1/subjects/{sid}"):
            r = client.get(url)
            assert r.status_code in (200, 404), (url, r.status_code)
            if r.status_code == 200:
                shown_profiles += 1
                problems += [(url, leaks(r.text, person_ids))]
                seen_records.update(re.findall(r"/records/([0-9a-f]{64})", r.text))
                seen_records.update(re.findall(r'"id":"([0-9a-f]{64})"', r.text))
    for rid in sorted(seen_records):
        for url in (f"/records/{rid}", f"/api/v1/records/{rid}"):
            r = client.get(url)
            assert r.status_code == 200, url
            problems += [(url, leaks(r.text, person_ids))]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        problems += [(url, leaks(r.text, person_ids))]
    assert shown_profiles > 100 and len(seen_records) > 500
    assert [p for p in problems if p[1]] == []
