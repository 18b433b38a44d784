"""The portal's accounts: CSRF on every form, secure cookies, login and logout, registration of a data
subject, my file, who looked at my file, my authorizations and the download of my data."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_helpers import BANK, OPERATOR, PASSWORD, TODAY, Town, account_key, form_token, make_town
from fastapi.testclient import TestClient
from ingest_helpers import PERSON_ID

from xinyong.api.app import create_app
from xinyong.domain.enums import Role
from xinyong.services import accounts
from xinyong.services.platform import Platform
from xinyong.settings import PACKAGE_DIR
from xinyong.web import csrf


@pytest.fixture
def town(platform: Platform, tmp_path: Path) -> Town:
    return make_town(platform, tmp_path)


@pytest.fixture
def client(town: Town) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=town.platform)) as c:
        yield c


def login(client: TestClient, username: str, password: str = PASSWORD) -> object:
    token = form_token(client, "/login")
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data, follow_redirects=False)


def register_person(client: TestClient) -> object:
    token = form_token(client, "/register")
    data = {
        "name": "张三",
        "id_number": PERSON_ID,
        "username": "zhangsan",
        "password": PASSWORD,
        "csrf_token": token,
    }
    return client.post("/register", data=data, follow_redirects=False)


def test_every_post_form_in_every_template_carries_the_csrf_token() -> None:
    forms = 0
    for path in sorted((PACKAGE_DIR / "web" / "templates").glob("*.html")):
        for form in re.findall(r"<form[^>]*>.*?</form>", path.read_text(encoding="utf-8"), flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I):
                forms += 1
                assert "{{ csrf_input }}" in form, f"{path.name}: a POST form without {{{{ csrf_input }}}}"
    assert forms >= 6


def test_a_form_post_without_the_token_or_with_anothers_is_refused(town: Town, client: TestClient) -> None:
    accounts.create_user(town.platform.store, OPERATOR, "alice", PASSWORD, Role.AUDITOR)
    r = client.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "xinyong_session" not in r.headers.get("set-cookie", "")
    r = client.post(
        "/login", data={"username": "alice", "password": PASSWORD}, headers={"accept": "text/html"}
    )
    assert r.status_code == 403 and "表单安全令牌" in r.text
    with TestClient(create_app(platform_obj=town.platform)) as other:  # another browser's token
        stolen = form_token(other, "/login")
    form_token(client, "/login")
    data = {"username": "alice", "password": PASSWORD, "csrf_token": stolen}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    assert login(client, "alice").status_code == 303  # type: ignore[attr-defined]


def test_cookies_are_httponly_samesite_and_secure_over_https(town: Town) -> None:
    accounts.create_user(town.platform.store, OPERATOR, "alice", PASSWORD, Role.AUDITOR)
    with TestClient(create_app(platform_obj=town.platform), base_url="https://testserver") as c:
        page = c.get("/login")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith(csrf.SECURE_COOKIE + "=")  # __Host-: Secure, Path=/, no Domain
        assert (
            "HttpOnly" in cookie
            and "Secure" in cookie
            and "SameSite=lax" in cookie
            and "Domain" not in cookie
        )
        r = login(c, "alice")
        session = r.headers["set-cookie"]  # type: ignore[attr-defined]
        assert session.startswith("xinyong_session=")
        assert "HttpOnly" in session and "Secure" in session and "SameSite=lax" in session
    with TestClient(create_app(platform_obj=town.platform)) as plain:
        assert "Secure" not in plain.get("/login").headers["set-cookie"]


def test_a_cookie_authenticated_api_call_needs_the_token_header_but_a_key_does_not(
    town: Town, client: TestClient
) -> None:
    accounts.create_user(town.platform.store, OPERATOR, "alice", PASSWORD, Role.AUDITOR)
    login(client, "alice")
    assert client.get("/api/v1/me").json()["user"] == "alice"  # reads need no token
    r = client.post("/api/v1/auth/keys", json={"label": "x"})
    assert r.status_code == 403 and r.json()["error"]["rule"] == "csrf.token_invalid"
    before = client.cookies.get(csrf.PLAIN_COOKIE)  # None: logging in dropped the pre-login token
    token = form_token(client, "/account")
    assert before is None and token == client.cookies.get(csrf.PLAIN_COOKIE)
    assert (
        client.post("/api/v1/auth/keys", json={"label": "x"}, headers={"x-csrf-token": token}).status_code
        == 200
    )
    key = account_key(town.platform, "bob", Role.AUDITOR)
    with TestClient(create_app(platform_obj=town.platform)) as fresh:  # no cookies at all
        assert fresh.post("/api/v1/auth/keys", json={}, headers={"x-api-key": key}).status_code == 200


def test_login_logout_and_a_wrong_password(town: Town, client: TestClient) -> None:
    accounts.create_user(town.platform.store, OPERATOR, "alice", PASSWORD, Role.AUDITOR)
    r = login(client, "alice", "not the password")
    assert r.status_code == 401 and "用户名或密码错误" in r.text  # type: ignore[attr-defined]
    assert login(client, "alice").headers["location"].startswith("/account")  # type: ignore[attr-defined]
    session = client.cookies.get("xinyong_session")
    assert client.get("/api/v1/me").status_code == 200
    token = form_token(client, "/account")
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.set("xinyong_session", session)  # replaying the old cookie does not work
    assert client.get("/api/v1/me").status_code == 403
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")


def test_a_person_registers_sees_the_file_who_looked_and_downloads_everything(
    town: Town, client: TestClient
) -> None:
    r = register_person(client)
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    home = client.get("/account")
    assert home.status_code == 200 and "张三" in home.text and "罚款一千元" not in home.text
    page = client.get("/account/authorizations")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    data = {
        "grantee": BANK,
        "purpose": "bank_loan",
        "scope": "*",
        "expires_on": str(TODAY + timedelta(days=9)),
        "proof": "授权书 ZS-1",
        "csrf_token": token,
    }
    assert client.post("/account/authorizations", data=data, follow_redirects=False).status_code == 303
    assert "授权书 ZS-1" in client.get("/account/authorizations").text
    bank = {
        "x-api-key": account_key(town.platform, "officer", Role.RELYING_PARTY, BANK),
        "x-purpose": "bank_loan",
    }
    with TestClient(create_app(platform_obj=town.platform)) as bank_client:
        assert bank_client.get(f"/api/v1/subjects/{town.person}", headers=bank).status_code == 200
    log_page = client.get("/account/queries")
    assert BANK in log_page.text and "银行贷款" in log_page.text and "授权书 ZS-1" in log_page.text
    english = client.get("/account/queries?lang=en")
    assert "Bank loan" in english.text and "Queries of my file" in english.text
    download = client.get("/account/download")
    assert download.headers["content-disposition"].startswith("attachment")
    body = json.loads(download.text)
    assert body["file"]["subject_id"] == town.person and body["queries"][0]["querier_unit"] == BANK
    assert (
        "export" in client.get("/account/queries").text or "数据导出" in client.get("/account/queries").text
    )


def test_registration_problems_are_shown_on_the_form(town: Town, client: TestClient) -> None:
    token = form_token(client, "/register")
    data = {
        "name": "李四",
        "id_number": PERSON_ID,
        "username": "lisi",
        "password": PASSWORD,
        "csrf_token": token,
    }
    r = client.post("/register", data=data)
    assert r.status_code == 403 and "身份核验未通过" in r.text
    assert "xinyong_session" not in r.headers.get("set-cookie", "")


def test_password_guessing_is_throttled_per_client(town: Town) -> None:
    town.platform.settings = dataclasses.replace(town.platform.settings, rate_limit_per_minute=60)
    accounts.create_user(town.platform.store, OPERATOR, "alice", PASSWORD, Role.AUDITOR)
    with TestClient(create_app(platform_obj=town.platform)) as c:
        codes = [login(c, "alice", f"guess {i}").status_code for i in range(7)]  # type: ignore[attr-defined]
        assert codes[:5] == [401] * 5 and codes[-1] == 429
        last = login(c, "alice")
        assert last.status_code == 429 and int(last.headers["retry-after"]) > 0  # type: ignore[attr-defined]
