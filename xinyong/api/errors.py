"""One JSON error shape for every failure:

    {"error": {"code": "...", "message": "...", "message_zh": "...", "rule": "...", "problems": [...]}}

Portal pages get the same content rendered as HTML.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.errors import InvalidInput, NotFound, Problem, RateLimited, XinyongError

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}


def error_body(err: XinyongError) -> dict[str, Any]:
    return {"error": err.as_dict()}


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(request: Request, err: XinyongError, status: int) -> Response:
    if _wants_html(request):
        from xinyong.web.pages import render_error

        return render_error(request, err, status)
    return JSONResponse(error_body(err), status_code=status)


def api_error(err: XinyongError) -> Response:
    """The API's answer to a refusal (also for the app's short paths, xinyong.api.fastpath)."""
    response = JSONResponse(error_body(err), status_code=err.status)
    _retry_after(response, err)
    return response


def _retry_after(response: Response, err: XinyongError) -> None:
    if isinstance(err, RateLimited):
        response.headers["Retry-After"] = str(err.retry_after)


def install(app: FastAPI) -> None:
    @app.exception_handler(XinyongError)
    async def _xinyong(request: Request, exc: XinyongError) -> Response:
        response = _respond(request, exc, exc.status)
        _retry_after(response, exc)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            Problem(
                rule=f"request.{e.get('type', 'invalid')}",
                message=str(e.get("msg", "")),
                where={"location": ".".join(str(p) for p in e.get("loc", ()))},
            )
            for e in exc.errors()
        ]
        err = InvalidInput("the request is not valid", message_zh="请求参数有误", problems=problems)
        return _respond(request, err, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        err: XinyongError = (
            NotFound(str(exc.detail), message_zh="页面不存在")
            if exc.status_code == 404
            else XinyongError(str(exc.detail))
        )
        err.code = code
        return _respond(request, err, exc.status_code)
