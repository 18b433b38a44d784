"""The permission matrix: every endpoint of the app is mapped to one action of ``PERMISSIONS``, and every
role gets exactly what that table says, over HTTP, with real credentials.

* An endpoint missing from ``ENDPOINTS`` fails ``test_every_endpoint_is_in_the_table``: adding an
  endpoint means adding one row here (method, path → action), plus an example request in
  ``EXAMPLES`` when it needs a body or a path parameter other than those in ``sample_params``.
* For each role × endpoint, a role the table allows must not be refused for its role (403 with a
  ``permission.*`` or ``auth.*`` rule, or a redirect to the login page); a role it does not allow must be.
  Other answers (404 for a made-up id, 409, 422 for a refused input, 403 for someone else's data) are
  not refusals of the role.
* The platform's own role (``system``) has no credential over HTTP and is not tested here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from access_helpers import BANK, OPERATOR, PASSWORD, TODAY, Town, account_key, make_town, subject_actor
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ingest_helpers import HOUSING, PERSON_ID, penalty, write_csv
from sqlalchemy import select
from starlette.routing import Mount, Route

from xinyong.api.app import create_app
from xinyong.domain.enums import Role
from xinyong.domain.permissions import PERMISSIONS
from xinyong.services import accounts, authorizations, units
from xinyong.services.platform import Platform
from xinyong.store.tables import batches

OPERATOR_TOKEN = "matrix-operator-token"

# (method, path) -> action in PERMISSIONS. One row per endpoint of create_app().
ENDPOINTS: dict[tuple[str, str], str] = {
    # platform
    ("GET", "/healthz"): "platform.public",
    ("GET", "/openapi.json"): "platform.public",
    ("GET", "/docs"): "platform.public",
    ("GET", "/docs/oauth2-redirect"): "platform.public",
    ("GET", "/redoc"): "platform.public",
    ("GET", "/static"): "platform.public",
    # catalog
    ("GET", "/api/v1/catalog"): "catalog.read",
    ("GET", "/api/v1/catalog/items/{code}"): "catalog.read",
    ("GET", "/api/v1/catalog/units"): "catalog.read",
    # ingestion
    ("POST", "/api/v1/batches"): "records.push",
    ("POST", "/api/v1/push"): "records.push",
    ("GET", "/api/v1/batches"): "batches.read",
    ("GET", "/api/v1/batches/{batch_id}"): "batches.read",
    ("GET", "/api/v1/batches/{batch_id}/report.csv"): "batches.read",
    # one-click check
    ("GET", "/api/v1/search"): "check.read",
    ("GET", "/api/v1/subjects/{subject_id}"): "check.read",
    ("GET", "/api/v1/records/{record_id}"): "check.read",
    # audit log
    ("GET", "/api/v1/audit/tree-head"): "audit.read",
    ("POST", "/api/v1/audit/tree-head"): "audit.sign",
    ("GET", "/api/v1/audit/keys"): "audit.read",
    ("GET", "/.well-known/xinyong-keys.json"): "audit.read",
    ("GET", "/api/v1/audit/proof/{seq}"): "audit.read",
    ("GET", "/api/v1/audit/consistency"): "audit.read",
    # accounts
    ("POST", "/api/v1/auth/register"): "account.register",
    ("POST", "/api/v1/auth/users"): "users.manage",
    ("POST", "/api/v1/auth/users/{user_id}/role"): "users.manage",
    ("POST", "/api/v1/auth/keys"): "account.self",
    ("GET", "/api/v1/auth/keys"): "account.self",
    ("DELETE", "/api/v1/auth/keys/{key_id}"): "account.self",
    ("GET", "/api/v1/querylog/{subject_id}"): "querylog.read",
    ("GET", "/api/v1/me"): "account.self",
    ("GET", "/api/v1/me/file"): "account.my_file",
    ("GET", "/api/v1/me/queries"): "account.my_file",
    ("GET", "/api/v1/me/export"): "account.my_file",
    ("GET", "/api/v1/me/authorizations"): "authorizations.read",
    ("POST", "/api/v1/me/authorizations"): "authorizations.grant",
    ("DELETE", "/api/v1/me/authorizations/{auth_id}"): "authorizations.grant",
    ("GET", "/api/v1/me/authorizations/held"): "authorizations.held",
    # portal
    ("GET", "/"): "catalog.read",
    ("GET", "/catalog"): "catalog.read",
    ("GET", "/catalog/{code}"): "catalog.read",
    ("GET", "/search"): "check.read",
    ("GET", "/subjects/{subject_id}"): "check.read",
    ("GET", "/records/{record_id}"): "check.read",
    ("GET", "/login"): "account.login",
    ("POST", "/login"): "account.login",
    ("POST", "/logout"): "account.login",
    ("GET", "/register"): "account.login",
    ("POST", "/register"): "account.register",
    ("GET", "/account"): "account.self",
    ("GET", "/account/queries"): "account.my_file",
    ("GET", "/account/download"): "account.my_file",
    ("GET", "/account/authorizations"): "authorizations.read",
    ("POST", "/account/authorizations"): "authorizations.grant",
    ("POST", "/account/authorizations/{auth_id}/revoke"): "authorizations.grant",
    # operator portal
    ("GET", "/operator"): "account.login",
    ("POST", "/operator/login"): "account.login",
    ("GET", "/operator/batches"): "operator.portal",
    ("GET", "/operator/batches/{batch_id}"): "operator.portal",
    ("GET", "/operator/limits"): "operator.portal",
    # credit reports
    ("POST", "/api/v1/reports"): "reports.request",
    ("GET", "/api/v1/reports/{number}.pdf"): "reports.request",
    ("GET", "/reports/request"): "reports.request",
    ("POST", "/reports/request"): "reports.request",
    ("GET", "/reports/{number}.pdf"): "reports.request",
    ("GET", "/api/v1/reports/{number}"): "reports.verify",
    ("POST", "/api/v1/reports/verify"): "reports.verify",
    ("GET", "/reports/verify"): "reports.verify",
    ("POST", "/reports/verify"): "reports.verify",
    ("GET", "/api/v1/reports/statistics"): "reports.statistics",
    ("GET", "/api/v1/reports/statistics.csv"): "reports.statistics",
    ("GET", "/operator/reports"): "reports.statistics",
    ("GET", "/operator/reports.csv"): "reports.statistics",
    # objections and credit repair
    ("POST", "/api/v1/objections"): "objections.file",
    ("POST", "/remedies/objections"): "objections.file",
    ("POST", "/api/v1/objections/{case_id}/verify"): "objections.verify",
    ("POST", "/remedies/cases/{case_id}/verify"): "objections.verify",
    ("POST", "/api/v1/objections/{case_id}/extend"): "objections.decide",
    ("POST", "/api/v1/objections/{case_id}/decide"): "objections.decide",
    ("POST", "/api/v1/records/{record_id}/review-mark"): "remedies.mark_review",
    ("GET", "/api/v1/repair/eligibility"): "repair.assess",
    ("GET", "/remedies/records/{record_id}"): "check.read",  # the record's remedies, explained to all
    ("POST", "/api/v1/repairs"): "repair.apply",
    ("POST", "/remedies/repairs"): "repair.apply",
    ("POST", "/api/v1/repairs/{case_id}/extend"): "repair.decide",
    ("POST", "/api/v1/repairs/{case_id}/decide"): "repair.decide",
    # the portal's case forms serve both kinds: the service checks objections.* or repair.* by the case
    ("POST", "/remedies/cases/{case_id}/extend"): "remedies.read",
    ("POST", "/remedies/cases/{case_id}/decide"): "remedies.read",
    ("GET", "/api/v1/repairs/published"): "platform.public",
    ("GET", "/api/v1/remedies/cases/{case_id}"): "remedies.read",
    ("GET", "/api/v1/remedies/cases/{case_id}/files/{sha256}"): "remedies.read",
    ("GET", "/remedies/cases/{case_id}"): "remedies.read",
    ("GET", "/api/v1/remedies/queue"): "remedies.queue",
    ("GET", "/remedies/queue"): "remedies.read",
    ("POST", "/api/v1/remedies/jobs/run"): "remedies.jobs",
    # untrustworthy lists (public pages) and their due process (deciding units)
    ("GET", "/api/v1/lists"): "catalog.read",
    ("GET", "/api/v1/lists/{list_type}/entries"): "check.read",
    ("GET", "/lists"): "catalog.read",
    ("GET", "/lists/{list_type}"): "check.read",
    ("GET", "/api/v1/lists/entries/{entry_id}"): "lists.read_workflow",
    ("GET", "/staff/lists"): "lists.read_workflow",
    ("GET", "/staff/lists/{entry_id}"): "lists.read_workflow",
    ("POST", "/api/v1/lists/entries"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/notify"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/statements"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/decide"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/publish"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/extend"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/remove"): "lists.decide",
    ("POST", "/api/v1/lists/entries/{entry_id}/withdraw"): "lists.decide",
    ("POST", "/api/v1/lists/court-import"): "lists.decide",
    ("POST", "/staff/lists/propose"): "lists.decide",
    ("POST", "/staff/lists/{entry_id}/{action}"): "lists.decide",
    # screening (联合奖惩核查) by relying parties with their key and declared purpose
    ("POST", "/api/v1/screen"): "screen",
    ("POST", "/api/v1/screen/bulk"): "screen",
    ("POST", "/api/v1/screen/bulk-file"): "screen",
}

GRANT = {
    "grantee": BANK,
    "purpose": "bank_loan",
    "expires_on": str(TODAY + timedelta(days=9)),
    "proof": "m-1",
}
PERSON = {"name": "张三", "id_number": PERSON_ID, "username": "matrix-person", "password": PASSWORD}

# Example requests: keyword arguments of httpx's request (besides the path's parameters).
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/search"): {"params": {"q": "华为"}},
    ("GET", "/search"): {"params": {"q": "华为"}},
    ("GET", "/api/v1/audit/consistency"): {"params": {"old": 1}},
    ("POST", "/api/v1/push"): {"json": {"records": [penalty(7)]}},
    ("POST", "/api/v1/auth/register"): {"json": PERSON},
    ("POST", "/api/v1/auth/users"): {
        "json": {"username": "made-here", "password": PASSWORD, "role": "auditor"}
    },
    ("POST", "/api/v1/auth/users/{user_id}/role"): {"json": {"role": "auditor"}},
    ("POST", "/api/v1/auth/keys"): {"json": {"label": "matrix"}},
    ("POST", "/api/v1/me/authorizations"): {"json": GRANT},
    ("POST", "/login"): {"data": {"username": "spare", "password": PASSWORD}},
    ("POST", "/register"): {"data": PERSON},
    ("POST", "/operator/login"): {"data": {"token": OPERATOR_TOKEN}},
    ("POST", "/account/authorizations"): {"data": {**GRANT, "scope": "*"}},
    ("GET", "/reports/request"): {"params": {"subject_id": "no-such-subject"}},
    ("POST", "/api/v1/reports"): {"json": {"subject_id": "no-such-subject", "purpose": "bidding"}},
    ("POST", "/reports/request"): {"data": {"subject_id": "no-such-subject", "purpose": "bidding"}},
    ("POST", "/api/v1/reports/verify"): {"files": {"file": ("r.pdf", b"%PDF-1.4 not a report")}},
    ("POST", "/reports/verify"): {"files": {"file": ("r.pdf", b"%PDF-1.4 not a report")}},
    ("POST", "/api/v1/objections"): {"data": {"target_id": "no-such-record", "grounds": "wrong"}},
    ("POST", "/remedies/objections"): {"data": {"target_id": "no-such-record", "grounds": "wrong"}},
    ("POST", "/api/v1/objections/{case_id}/verify"): {"json": {"matches_source": True, "note": "n"}},
    ("POST", "/remedies/cases/{case_id}/verify"): {"data": {"matches_source": "yes"}},
    ("POST", "/api/v1/objections/{case_id}/extend"): {"json": {"reason": "r"}},
    ("POST", "/api/v1/objections/{case_id}/decide"): {"json": {"outcome": "rejected", "reason": "r"}},
    ("POST", "/api/v1/records/{record_id}/review-mark"): {"json": {"active": True, "reason": "r"}},
    ("GET", "/api/v1/repair/eligibility"): {"params": {"target_id": "no-such-record"}},
    ("POST", "/api/v1/repairs"): {"data": {"target_id": "no-such-record"}},
    ("POST", "/remedies/repairs"): {"data": {"target_id": "no-such-record"}},
    ("POST", "/api/v1/repairs/{case_id}/extend"): {"json": {"reason": "r"}},
    ("POST", "/api/v1/repairs/{case_id}/decide"): {"json": {"approve": False, "reason": "r"}},
    ("POST", "/remedies/cases/{case_id}/extend"): {"data": {"reason": "r"}},
    ("POST", "/remedies/cases/{case_id}/decide"): {"data": {"outcome": "rejected"}},
    ("POST", "/api/v1/lists/entries"): {
        "json": {
            "list_type": "samr_serious_illegal",
            "identifier": "914403001922038216",
            "ground": "no-such-ground",
            "basis_document": "d",
            "facts": "f",
        }
    },
    ("POST", "/api/v1/lists/entries/{entry_id}/notify"): {"json": {"document": "d"}},
    ("POST", "/api/v1/lists/entries/{entry_id}/statements"): {"json": {"statement": "s"}},
    ("POST", "/api/v1/lists/entries/{entry_id}/decide"): {"json": {"decision_document": "d"}},
    ("POST", "/api/v1/lists/entries/{entry_id}/extend"): {"json": {"by": "P1Y", "document": "d"}},
    ("POST", "/api/v1/lists/entries/{entry_id}/remove"): {"json": {"reason": "period_ended"}},
    ("POST", "/api/v1/lists/entries/{entry_id}/withdraw"): {"json": {"reason": "r"}},
    ("POST", "/api/v1/lists/court-import"): {"files": {"file": ("court.json", b"[]")}},
    ("POST", "/staff/lists/propose"): {
        "data": {"list_type": "samr_serious_illegal", "identifier": "914403001922038216", "ground": "x"}
    },
    ("POST", "/staff/lists/{entry_id}/{action}"): {"data": {"document": "d"}},
    ("POST", "/api/v1/screen"): {
        "json": {"identifier": "914403001922038216", "measure": "no_flights", "purpose": "ticketing"}
    },
    ("POST", "/api/v1/screen/bulk"): {
        "json": {"identifiers": ["914403001922038216"], "measure": "no_flights", "purpose": "ticketing"}
    },
    ("POST", "/api/v1/screen/bulk-file"): {
        "files": {"file": ("ids.txt", b"914403001922038216\n")},
        "data": {"measure": "no_flights", "purpose": "ticketing"},
    },
}


def endpoints(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers (HEAD aside), whatever FastAPI's router nesting."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        members = list(contexts()) if contexts else [route]
        for r in members:
            if isinstance(r, Mount):
                found.add(("GET", r.path))
                continue
            path = getattr(r, "path_format", None) or getattr(r, "path", None)
            assert path, f"cannot read the path of {r!r}"
            assert isinstance(r, Route) or hasattr(r, "methods"), r
            found.update((m, path) for m in (r.methods or ()) if m != "HEAD")
    return found


@pytest.fixture
def town(platform: Platform, tmp_path: Path) -> Town:
    found = make_town(platform, tmp_path)
    platform.settings = dataclasses.replace(platform.settings, operator_token=OPERATOR_TOKEN)
    return found


@pytest.fixture
def client(town: Town) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=town.platform)) as c:
        yield c


def credentials(town: Town) -> dict[Role, dict[str, str]]:
    p = town.platform
    return {
        Role.PUBLIC: {},
        Role.SUBJECT: {"x-api-key": account_key(p, "zhangsan", Role.SUBJECT, subject_id=town.person)},
        Role.SOURCE_UNIT: {"x-api-key": units.issue_key(p.store, OPERATOR, HOUSING)},
        Role.RELYING_PARTY: {
            "authorization": "Bearer " + account_key(p, "officer", Role.RELYING_PARTY, BANK)
        },
        Role.OPERATOR: {"x-api-key": account_key(p, "operator", Role.OPERATOR)},
        Role.AUDITOR: {"x-api-key": account_key(p, "auditor", Role.AUDITOR)},
    }


def sample_params(town: Town, tmp_path: Path) -> dict[str, str]:
    p = town.platform
    spare = accounts.create_user(p.store, OPERATOR, "spare", PASSWORD, Role.AUDITOR)
    key = accounts.issue_key(p.store, OPERATOR, spare.id)
    found = authorizations.grant(
        p.store,
        p.catalog,
        subject_actor(town),
        subject_id=town.person,
        grantee=BANK,
        purpose="bank_loan",
        scope=["*"],
        expires_on=TODAY + timedelta(days=9),
        proof="m-0",
        today=TODAY,
    )
    with p.store.read() as conn:
        batch = conn.execute(select(batches.c.id)).scalars().first()
    return {
        "code": "administrative_penalty",
        "subject_id": town.company,
        "record_id": town.company_record,
        "batch_id": str(batch),
        "seq": "1",
        "user_id": spare.id,
        "key_id": key.split("_")[1],
        "auth_id": found.id,
        "number": "XY20990101-NOSUCHONE1",
        "case_id": "no-such-case",
        "entry_id": "no-such-entry",
        "list_type": "samr_serious_illegal",
        "action": "notify",
        "sha256": "0" * 64,
    }


def role_refused(r: httpx.Response) -> bool:
    """Was the request refused because of the actor's role (not its input or its data)?"""
    if r.status_code in (302, 303, 307) and r.headers.get("location", "").startswith("/login"):
        return True
    if r.status_code not in (401, 403):
        return False
    assert r.headers.get("content-type", "").startswith("application/json"), r.text[:300]
    rule = r.json()["error"].get("rule") or ""
    return rule.startswith(("permission.", "auth."))


def test_every_endpoint_is_in_the_table() -> None:
    app = create_app(platform_obj=_NoPlatform())  # type: ignore[arg-type]  # routes only
    missing = sorted(endpoints(app) - set(ENDPOINTS))
    assert not missing, f"endpoints missing from ENDPOINTS (add a row): {missing}"
    stale = sorted(set(ENDPOINTS) - endpoints(app))
    assert not stale, f"rows for endpoints that no longer exist: {stale}"
    unknown = sorted({a for a in ENDPOINTS.values() if a not in PERMISSIONS})
    assert not unknown, f"actions not in PERMISSIONS: {unknown}"


def test_each_role_gets_what_the_table_says_on_every_endpoint(
    town: Town, client: TestClient, tmp_path: Path
) -> None:
    keys = credentials(town)
    params = sample_params(town, tmp_path)
    upload = write_csv(tmp_path / "m.csv", town.platform.catalog, [penalty(8)]).read_bytes()
    wrong: list[str] = []
    for (method, template), action in sorted(ENDPOINTS.items()):
        path = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], template)
        path = "/static/site.css" if template == "/static" else path
        for role, headers in keys.items():
            example = dict(EXAMPLES.get((method, template), {}))
            if (method, template) == ("POST", "/api/v1/batches"):
                example = {"files": {"file": ("m.csv", upload)}}
            client.cookies.clear()  # each request stands alone: no session from an earlier login
            client.cookies.set("xinyong_csrf", "matrix")
            r = client.request(
                method, path, headers={**headers, "x-csrf-token": "matrix"}, follow_redirects=False, **example
            )
            allowed = role in PERMISSIONS[action]
            if role_refused(r) == allowed:
                expected = "allowed" if allowed else "refused"
                wrong.append(f"{role.value:14} {method:6} {template} ({action}): {expected}? {r.status_code}")
    assert not wrong, "\n".join(wrong)


class _NoPlatform:
    """Enough of a platform for create_app to build its routes."""

    class settings:  # mirrors Platform.settings' attributes used by create_app
        rate_limit_per_minute = 0
        rate_limit_burst = 1
