"""The production web server: uvicorn, one or more worker processes, TCP_NODELAY on every connection.

Why not plain ``uvicorn --workers N``: uvicorn then binds the socket it shares with its workers as
``socket.socket(family)`` (proto 0), and asyncio sets TCP_NODELAY only on accepted sockets whose
proto is IPPROTO_TCP. Without it, every kept-alive response (headers and body are written
separately) waits for the client's delayed ACK, about 40 ms a request. Here the listening socket is
made with ``proto=IPPROTO_TCP``, so asyncio sets TCP_NODELAY on each accepted connection, whether
one process serves or several.

Worker processes are spawned and build the app from the environment
(:func:`app_from_environment`); :func:`serve` exports the effective settings there first, so
command-line overrides (``--port``, ``--database-url``) reach the workers.
"""

from __future__ import annotations

import os
import socket
from dataclasses import fields
from pathlib import Path
from typing import Any

from xinyong.errors import ConfigurationError
from xinyong.settings import Settings

MAX_WORKERS = 64


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose accepted connections get TCP_NODELAY from asyncio."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
    except socket.gaierror as e:
        raise ConfigurationError(
            f"cannot resolve the bind address {host!r}: {e}", rule="settings.host"
        ) from e
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {e.strerror}", rule="settings.port") from e
    sock.set_inheritable(True)
    return sock


def export_settings(settings: Settings, environ: Any = None) -> None:
    """Write every setting to the environment (``XINYONG_*``), for spawned worker processes."""
    env = os.environ if environ is None else environ
    for f in fields(Settings):
        value = getattr(settings, f.name)
        env[f.metadata["env"]] = value.as_posix() if isinstance(value, Path) else str(value)


def app_from_environment() -> Any:
    """The app of a worker process (uvicorn factory), configured from ``XINYONG_*``."""
    return server_app(Settings.from_env())


def server_app(settings: Settings) -> Any:
    """The app a server process runs: its startup's objects frozen out of the cycle collector's
    passes once it has started (see ``xinyong.api.app``)."""
    from xinyong.api.app import create_app

    app = create_app(settings)
    app.state.freeze_gc = True
    return app


def serve(
    settings: Settings, *, workers: int | None = None, log_level: str = "info", access_log: bool = False
) -> None:
    """Serve the portal and the API on ``settings.host:settings.port`` until interrupted."""
    import uvicorn

    count = settings.workers if workers is None else workers
    if not 1 <= count <= MAX_WORKERS:
        raise ConfigurationError(
            f"workers must be between 1 and {MAX_WORKERS}, got {count}", rule="settings.workers"
        )
    sock = listening_socket(settings.host, settings.port)
    try:
        if count == 1:
            config = uvicorn.Config(server_app(settings), log_level=log_level, access_log=access_log)
            uvicorn.Server(config).run(sockets=[sock])
            return
        from uvicorn.supervisors import Multiprocess

        export_settings(settings)
        config = uvicorn.Config(
            "xinyong.server:app_from_environment",
            factory=True,
            workers=count,
            log_level=log_level,
            access_log=access_log,
        )
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
