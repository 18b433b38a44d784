"""Shared helpers for tests on a real, unbound store (group commit, driver-level transactions) and
for the tests of the app's short paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import relying_parties, screenings


def store_with_party(engine: Engine, tmp_path: Path, prefix: str, name: str) -> Iterator[Store]:
    """An unbound store (it commits for real) with a relying party of its own, stored as
    ``store.party``; the party and its screenings are removed afterwards."""
    found = Store(engine)
    party = f"{prefix}-{tmp_path.name[-12:]}"
    with found.write() as conn:
        conn.execute(
            relying_parties.insert().values(
                code=party,
                name=name,
                purposes=["ticketing"],
                api_key_hash=None,
                active=True,
                created_at=events.now(),
            )
        )
    found.party = party  # type: ignore[attr-defined]
    yield found
    with found.write() as conn:
        conn.execute(screenings.delete().where(screenings.c.party_code == party))
        conn.execute(relying_parties.delete().where(relying_parties.c.code == party))


def screening_row(party: str, n: int) -> dict[str, object]:
    """A single screening's row of ``party`` (identifier ``id-<n>``), as the group writer inserts it."""
    return {
        "party_code": party,
        "purpose": "ticketing",
        "measure": "no_flights",
        "screened_on": date(2026, 11, 28),
        "recorded_at": events.now(),
        "mode": "single",
        "total": 1,
        "restricted": n % 2,
        "identifiers": f"id-{n}".encode(),
        "results": b"",
    }


def count_app_calls(monkeypatch: pytest.MonkeyPatch, what: Callable[[Any], str]) -> list[str]:
    """``what(scope)`` of each HTTP request that goes through FastAPI's own stack (not a short path)."""
    calls: list[str] = []
    through = FastAPI.__call__

    async def counted(self: FastAPI, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            calls.append(what(scope))
        await through(self, scope, receive, send)

    monkeypatch.setattr(FastAPI, "__call__", counted)
    return calls
