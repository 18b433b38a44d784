"""The production server's stack: uvicorn's C HTTP parser and event loop, and the most requested
routes matched first (route matching costs a few µs for each route passed over)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Match

from xinyong.api.app import create_app
from xinyong.settings import Settings


def test_uvicorn_serves_with_httptools_and_uvloop() -> None:
    """uvicorn's 'auto' choices (our serve uses them) pick the C parser and loop when installed."""
    import uvloop
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert AutoHTTPProtocol is HttpToolsProtocol
    loop = auto_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def _position(app: object, method: str, path: str) -> int:
    scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
    for i, route in enumerate(app.router.routes):  # type: ignore[attr-defined]
        if route.matches(scope)[0] == Match.FULL:
            return i
    raise AssertionError(f"{method} {path} matches no route")


def test_the_most_requested_routes_are_matched_first(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, jobs_interval_s=0))
    hot = [
        ("GET", "/healthz"),
        ("GET", "/api/v1/search"),
        ("GET", "/api/v1/subjects/x"),
        ("POST", "/api/v1/screen"),
    ]
    positions = {path: _position(app, method, path) for method, path in hot}
    pages = _position(app, "GET", "/")
    assert all(p < pages for p in positions.values()), positions


def test_a_server_s_app_freezes_its_startup_out_of_the_cycle_collector(tmp_path: Path) -> None:
    """The app a server process runs freezes what its startup made once started (the collector's
    full passes over it were the slowest requests' tail); an app built otherwise (tests, embedding)
    leaves the collector as it is."""
    import gc

    from fastapi.testclient import TestClient

    from xinyong.server import server_app

    settings = Settings(data_dir=tmp_path, jobs_interval_s=0)
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(server_app(settings)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
