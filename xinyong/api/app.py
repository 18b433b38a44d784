"""The FastAPI application: API under /api/v1, portal pages, /healthz, one error shape."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

import xinyong
from xinyong.api import audit as audit_api
from xinyong.api import auth as auth_api
from xinyong.api import catalog as catalog_api
from xinyong.api import check as check_api
from xinyong.api import errors
from xinyong.api import ingest as ingest_api
from xinyong.api import lists as lists_api
from xinyong.api import me as me_api
from xinyong.api import remedies as remedies_api
from xinyong.api import reports as reports_api
from xinyong.api import screen as screen_api
from xinyong.api.fastpath import XinyongApp
from xinyong.domain.ratelimit import RateLimiter
from xinyong.services import health, jobs
from xinyong.services.platform import Platform
from xinyong.settings import PACKAGE_DIR, Settings
from xinyong.web import auth as auth_pages
from xinyong.web import csrf, pages
from xinyong.web import lists as lists_pages
from xinyong.web import operator as operator_pages
from xinyong.web import remedies as remedy_pages
from xinyong.web import reports as report_pages

DESCRIPTION = """\
xinyong (信用) public credit information platform. Public credit information queries are free
and need no account (《深圳经济特区社会信用条例》第四十五条). Every error has the same JSON shape:
`{"error": {"code", "message", "message_zh", "rule", "problems": [{"rule", "message", "where"}]}}`.
"""


def create_app(settings: Settings | None = None, *, platform_obj: Platform | None = None) -> FastAPI:
    own = platform_obj is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Synchronous routes run in this loop's thread pool (40 threads by default): no more at once
        # than the store's pool serves, or each thread beyond it opens and closes a connection.
        threads = app.state.platform.store.thread_connections
        if threads is not None:
            to_thread.current_default_thread_limiter().total_tokens = threads
        scheduler = jobs.start_scheduler(app.state.platform) if own else None  # xinyong.services.jobs
        if getattr(app.state, "freeze_gc", False):
            # A server's worker (xinyong.server): what startup made (modules, catalog, app) lives as
            # long as the process, and the cycle collector's full passes over it (55-75 ms at a
            # time, every request of the worker waiting) were the slowest requests' tail. Frozen,
            # the collector passes over what requests make only.
            gc.collect()
            gc.freeze()
        yield
        if scheduler is not None:
            scheduler.stop()
        if own:
            app.state.platform.close()

    app = XinyongApp(  # FastAPI, with short paths for screening and search (xinyong.api.fastpath)
        title="xinyong 信用", version=xinyong.__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.platform = platform_obj or Platform.open(settings or Settings.from_env())
    settings_in_use = app.state.platform.settings
    app.state.limiter = RateLimiter(settings_in_use.rate_limit_per_minute, settings_in_use.rate_limit_burst)
    errors.install(app)
    app.add_middleware(csrf.CSRFMiddleware)

    # Routes are matched in the order they are added, at a few µs for each route passed over (more
    # through included routers): the most requested come first — /healthz, the one-click check's API,
    # screening — ahead of the portal's many pages (before this order, matching /healthz took ~370 µs).
    @app.get("/healthz", tags=["ops"], summary="Liveness and store check")
    async def healthz(request: Request) -> dict[str, Any]:
        # the platform read here, not by Depends(platform): FastAPI runs a synchronous dependency in
        # its thread pool, where a probe under load would queue behind the requests
        return await health.check(request.app.state.platform)

    app.include_router(check_api.router)
    app.include_router(screen_api.router)
    app.include_router(catalog_api.router)
    app.include_router(ingest_api.router)
    app.include_router(audit_api.router)
    app.include_router(audit_api.well_known)
    app.include_router(reports_api.router)
    app.include_router(pages.router)
    app.include_router(operator_pages.router)
    app.include_router(report_pages.router)
    app.include_router(auth_api.router)
    app.include_router(me_api.router)
    app.include_router(auth_pages.router)
    app.include_router(remedies_api.router)
    app.include_router(remedy_pages.router)
    app.include_router(lists_api.router)
    app.include_router(lists_pages.router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "web" / "static"), name="static")

    return app
