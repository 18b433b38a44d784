"""One exception family for the whole platform.

Every error carries an HTTP status, a stable machine code, a message (English and, where
it helps, Chinese) and optional details: a list of problems, each naming where it is
(file, row, field, entry) and which rule it breaks. The API renders all of them in one
JSON shape (see ``xinyong.api.errors``), the CLI prints them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where."""

    rule: str
    message: str
    where: dict[str, Any] = field(default_factory=dict)
    message_zh: str = ""
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "message": self.message, "where": dict(self.where)}
        if self.message_zh:
            out["message_zh"] = self.message_zh
        if self.value is not None:
            out["value"] = self.value
        return out

    def __str__(self) -> str:
        place = ", ".join(f"{k}={v}" for k, v in self.where.items())
        return f"[{self.rule}] {place + ': ' if place else ''}{self.message}"


class XinyongError(Exception):
    """Base of every error the platform raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        message_zh: str = "",
        problems: list[Problem] | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.problems = list(problems or [])
        self.rule = rule

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.message_zh:
            out["message_zh"] = self.message_zh
        if self.rule:
            out["rule"] = self.rule
        out["problems"] = [p.as_dict() for p in self.problems]
        return out


class InvalidInput(XinyongError):
    """The input breaks a rule: a malformed identifier, a catalog file, a row."""

    status = 422
    code = "invalid_input"


class InvalidIdentifier(InvalidInput):
    """An identifier (USCC, resident ID, legacy code) fails a check."""

    code = "invalid_identifier"


class InvalidCatalog(InvalidInput):
    """The catalog (items, schemas, rule sets) is malformed or unlawful."""

    code = "invalid_catalog"


class NotFound(XinyongError):
    status = 404
    code = "not_found"


class NotPermitted(XinyongError):
    """The actor's role, unit or purpose does not allow this."""

    status = 403
    code = "not_permitted"


class ProcedureError(XinyongError):
    """A step that the legal procedure does not allow now (wrong state, missing document)."""

    status = 409
    code = "procedure_error"


class Conflict(XinyongError):
    status = 409
    code = "conflict"


class RateLimited(XinyongError):
    """Too many requests from one client (against bulk harvesting of credit information)."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests; retry after {retry_after} s",
            message_zh=f"查询过于频繁，请 {retry_after} 秒后再试",
            rule="rate_limit",
        )
        self.retry_after = retry_after


class ConfigurationError(XinyongError):
    status = 500
    code = "configuration_error"
