"""Portal pages of accounts: log in and out, register as a data subject, and for a subject: my file,
who looked at my file (查询记录), my authorizations (授权) and one-click download of my data.

Thin: every page calls one service. Sessions live in an HttpOnly cookie (SameSite=Lax, Secure over
https); every form carries the CSRF token (``xinyong.web.csrf``).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong import chinatime
from xinyong.api.deps import SESSION_COOKIE, actor, client_id, platform
from xinyong.domain.accounts import THIRD_PARTY_PURPOSES
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.domain.ratelimit import RateLimiter
from xinyong.errors import InvalidInput, NotPermitted, RateLimited, XinyongError
from xinyong.services import accounts, authorizations, identity, mydata
from xinyong.services.platform import Platform
from xinyong.web import csrf
from xinyong.web.i18n import translator
from xinyong.web.pages import language, render

router = APIRouter(include_in_schema=False)
LOGINS_PER_MINUTE, LOGIN_BURST = 10, 5


def _message(request: Request, err: XinyongError) -> str:
    zh = language(request) == "zh" and err.message_zh
    return str(zh or err.message)


def _problems(err: XinyongError, lang: str) -> list[str]:
    return [(p.message_zh if lang == "zh" and p.message_zh else p.message) for p in err.problems]


def _throttle(request: Request, p: Platform) -> None:
    """Logins and identity checks: at most 10 a minute per client (bursts of 5), against guessing
    passwords or probing who is registered; off when the public rate limit is off (0)."""
    limiter = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = RateLimiter(LOGINS_PER_MINUTE if p.settings.rate_limit_per_minute > 0 else 0, LOGIN_BURST)
        request.app.state.login_limiter = limiter
    verdict = limiter.check(client_id(request), time.monotonic())
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


def _role_refusal(err: XinyongError) -> bool:
    """A refusal of the actor's role is rendered as the error page, not as a problem with the form."""
    return isinstance(err, NotPermitted) and (err.rule or "").startswith(("permission.", "auth."))


def _start(request: Request, user: accounts.User, p: Platform) -> Response:
    response = RedirectResponse(f"/account?lang={language(request)}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        accounts.start_session(p.store, user),
        max_age=accounts.SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=csrf.is_https(request),
        path="/",
    )
    response.delete_cookie(csrf.cookie_name(request.scope), path="/")  # a fresh CSRF token after login
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "account_login.html", {"failed": ""})


@router.post("/login")
def login(
    request: Request, username: str = Form(...), password: str = Form(...), p: Platform = Depends(platform)
) -> Response:
    _throttle(request, p)
    try:
        user = accounts.authenticate_password(p.store, username, password)
    except NotPermitted as e:
        return render(request, "account_login.html", {"failed": _message(request, e)}, status=401)
    return _start(request, user, p)


@router.post("/logout")
def logout(request: Request, p: Platform = Depends(platform)) -> Response:
    accounts.end_session(p.store, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"/?lang={language(request)}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    return render(request, "account_register.html", {"failed": "", "problems": [], "form": {}})


@router.post("/register")
def register(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    name: str = Form(...),
    id_number: str = Form(...),
    agent_id_number: str = Form(""),
    evidence: str = Form(""),
    p: Platform = Depends(platform),
) -> Response:
    _throttle(request, p)
    claim = identity.IdentityClaim(name, id_number, agent_id_number, evidence)
    try:
        user = accounts.register_subject(
            p.store, actor(request), identity.verifier(), username, password, claim
        )
    except XinyongError as e:
        if _role_refusal(e):
            raise
        context = {
            "failed": _message(request, e),
            "problems": _problems(e, language(request)),
            "form": {"username": username, "name": name},
        }
        return render(request, "account_register.html", context, status=e.status)
    return _start(request, user, p)


def _subject_or_login(request: Request) -> Actor | Response:
    who = actor(request)
    if who.role is Role.PUBLIC:
        return RedirectResponse(f"/login?lang={language(request)}", status_code=303)
    return who


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, p: Platform = Depends(platform)) -> Response:
    who = _subject_or_login(request)
    if isinstance(who, Response):
        return who
    if who.role is not Role.SUBJECT:
        return render(request, "account_home.html", {"who": who, "p": None})
    lang = language(request)
    profile = mydata.my_file(p.store, p.catalog, who, p.today(), lang)
    return render(request, "account_home.html", {"who": who, "p": profile})


@router.get("/account/queries", response_class=HTMLResponse)
def queries_page(request: Request, p: Platform = Depends(platform)) -> Response:
    who = _subject_or_login(request)
    if isinstance(who, Response):
        return who
    t = translator(language(request))
    rows = [
        {
            **q.as_dict(),
            "time_text": _china_time(q.occurred_at),
            "purpose_text": t(f"access_purpose_{q.purpose}") if q.purpose else "",
        }
        for q in mydata.my_queries(p.store, who)
    ]
    return render(request, "account_queries.html", {"queries": rows})


def _authorizations_context(p: Platform, who: Actor, lang: str) -> dict[str, Any]:
    t = translator(lang)
    found = authorizations.for_subject(p.store, who, who.subject_id)
    return {
        "authorizations": [
            {"a": a, "current": a.current(p.today()), "purpose_text": t(f"access_purpose_{a.purpose.value}")}
            for a in found
        ],
        "purposes": [(x.value, t(f"access_purpose_{x.value}")) for x in Purpose if x in THIRD_PARTY_PURPOSES],
        "today": p.today(),
    }


@router.get("/account/authorizations", response_class=HTMLResponse)
def authorizations_page(request: Request, p: Platform = Depends(platform)) -> Response:
    who = _subject_or_login(request)
    if isinstance(who, Response):
        return who
    ctx = _authorizations_context(p, who, language(request))
    return render(request, "account_authorizations.html", {**ctx, "failed": "", "problems": []})


@router.post("/account/authorizations")
def grant_authorization(
    request: Request,
    grantee: str = Form(...),
    purpose: str = Form(...),
    expires_on: str = Form(...),
    proof: str = Form(...),
    scope: str = Form("*"),
    p: Platform = Depends(platform),
) -> Response:
    who = _subject_or_login(request)
    if isinstance(who, Response):
        return who
    try:
        expiry = _date(expires_on)
        authorizations.grant(
            p.store,
            p.catalog,
            who,
            subject_id=who.subject_id,
            grantee=grantee,
            purpose=purpose,
            scope=[s.strip() for s in scope.split(",") if s.strip()],
            expires_on=expiry,
            proof=proof,
            today=p.today(),
        )
    except XinyongError as e:
        if _role_refusal(e):
            raise
        lang = language(request)
        ctx = _authorizations_context(p, who, lang)
        extra = {"failed": _message(request, e), "problems": _problems(e, lang)}
        return render(request, "account_authorizations.html", {**ctx, **extra}, status=e.status)
    return RedirectResponse(f"/account/authorizations?lang={language(request)}", status_code=303)


@router.post("/account/authorizations/{auth_id}/revoke")
def revoke_authorization(auth_id: str, request: Request, p: Platform = Depends(platform)) -> Response:
    who = _subject_or_login(request)
    if isinstance(who, Response):
        return who
    authorizations.revoke(p.store, who, auth_id)
    return RedirectResponse(f"/account/authorizations?lang={language(request)}", status_code=303)


@router.get("/account/download")
def download(request: Request, p: Platform = Depends(platform)) -> Response:
    who = _subject_or_login(request)
    if isinstance(who, Response):
        return who
    body = mydata.export(p.store, p.catalog, who, p.today(), language(request))
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2, default=str),
        media_type="application/json; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="my-credit-data.json"'},
    )


def _china_time(when: datetime) -> str:
    """A stored UTC time as China's clock (UTC+8), to the second."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(chinatime.CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date (YYYY-MM-DD)", message_zh="日期格式应为 YYYY-MM-DD", rule="date.format"
        ) from None
