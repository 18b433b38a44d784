"""Helpers for tests of the portal's forms (CSRF tokens), accounts and authorizations."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient, page: str) -> str:
    """Open a portal page as a browser would and return the CSRF token its forms carry."""
    r = client.get(page)
    found = TOKEN_FIELD.search(r.text)
    assert found, f"{page} has no form with a CSRF token"
    return found.group(1)
