"""Portal pages. Thin: pick the language, call a service or view builder, render a template."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from xinyong.api.deps import actor, platform, rate_limited
from xinyong.errors import XinyongError
from xinyong.services import catalog as catalog_service
from xinyong.services.check import check_for
from xinyong.services.platform import Platform
from xinyong.settings import PACKAGE_DIR
from xinyong.web import csrf, views
from xinyong.web.i18n import LANGUAGES, translator

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=PACKAGE_DIR / "web" / "templates")
LANG_COOKIE = "xinyong_lang"


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return str(asked)
    p = getattr(request.app.state, "platform", None)
    return p.settings.default_language if p else "zh"


def csrf_input(request: Request) -> Markup:
    """The hidden CSRF field every POST form carries: ``{{ csrf_input }}`` in templates
    (checked by ``xinyong.web.csrf.CSRFMiddleware``)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, csrf.token(request))


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = language(request)
    other = "en" if lang == "zh" else "zh"
    switch = request.url.include_query_params(lang=other)
    ctx = {
        "lang": lang,
        "other_lang": other,
        "t": translator(lang),
        "switch_url": str(switch.path) + "?" + str(switch.query),
        "csrf_input": csrf_input(request),
        **context,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def render_error(request: Request, err: XinyongError, status: int) -> Response:
    lang = language(request)
    message = err.message_zh if lang == "zh" and err.message_zh else err.message
    return render(
        request, "error.html", {"message": message, "problems": [str(p) for p in err.problems]}, status
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", {})


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, p: Platform = Depends(platform)) -> HTMLResponse:
    lang = language(request)
    groups = views.catalog_groups(p.catalog, lang)
    return render(
        request,
        "catalog.html",
        {"groups": groups, "version": p.catalog.version, "count": len(p.catalog.items)},
    )


@router.get("/catalog/{code}", response_class=HTMLResponse)
def catalog_item_page(code: str, request: Request, p: Platform = Depends(platform)) -> HTMLResponse:
    item = catalog_service.get_item(p.catalog, code)
    return render(
        request, "catalog_item.html", {"item": views.item_detail(p.catalog, item, language(request))}
    )


@router.get("/search", response_class=HTMLResponse, dependencies=[Depends(rate_limited)])
def search_page(
    request: Request, q: str = "", page: int = 1, p: Platform = Depends(platform)
) -> HTMLResponse:
    lang = language(request)
    result = check_for(p, lang).search(actor(request), q, page)
    t = translator(lang)
    hits = [{**h, "kind_text": t(f"kind_{h['kind']}")} for h in result.hits]
    return render(
        request,
        "search.html",
        {
            "q": q,
            "total": result.total,
            "capped": result.capped,
            "hits": hits,
            "page": result.page,
            "has_next": result.has_next,
        },
    )


@router.get("/subjects/{subject_id}", response_class=HTMLResponse, dependencies=[Depends(rate_limited)])
def profile_page(
    subject_id: str, request: Request, page: int = 1, p: Platform = Depends(platform)
) -> HTMLResponse:
    lang = language(request)
    prof = check_for(p, lang).profile(actor(request), subject_id, page=page)
    return render(request, "profile.html", {"p": prof, "kind_text": translator(lang)(f"kind_{prof.kind}")})


@router.get("/records/{record_id}", response_class=HTMLResponse, dependencies=[Depends(rate_limited)])
def record_page(record_id: str, request: Request, p: Platform = Depends(platform)) -> HTMLResponse:
    view = check_for(p, language(request)).record(actor(request), record_id)
    return render(request, "record.html", {"r": view})
