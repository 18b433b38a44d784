"""Accounts, the subject's authorization (授权) and the query log's rules: plain data and pure functions.

Who may hold which role, what an authorization covers on a day, which reads go into the query log
and how long its entries are kept. No I/O: the services in ``xinyong.services.accounts``,
``authorizations`` and ``querylog`` apply these rules to the store.

Legal anchors (docs in ``/work/shared/reference/credit-rules.md``): a third party's query of an
individual's non-public credit information needs the individual's authorization and a declared
purpose (《深圳经济特区社会信用条例》第三十八条, 《个人信息保护法》第十三、十四条); query records are kept
for at least five years (《征信业管理条例》第十六、二十条 by analogy; Shenzhen regulation 第四十七条).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.errors import Problem

# Roles a person's account may hold. PUBLIC needs no account; SYSTEM is the platform itself.
ACCOUNT_ROLES: frozenset[Role] = frozenset(
    {Role.SUBJECT, Role.SOURCE_UNIT, Role.RELYING_PARTY, Role.OPERATOR, Role.AUDITOR}
)
# Roles that act for an organisation and so need its code (source unit or relying party code).
UNIT_ROLES: frozenset[Role] = frozenset({Role.SOURCE_UNIT, Role.RELYING_PARTY})

# The fixed list of purposes a third party may state for a non-public read (查询用途).
THIRD_PARTY_PURPOSES: frozenset[Purpose] = frozenset(Purpose) - {Purpose.SELF}

QUERY_LOG_RETENTION_YEARS = 5  # 查询记录至少保存五年
SCOPE_ALL = "*"  # an authorization covering the subject's whole file

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{2,63}$")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Authorization:
    """A subject's consent that one third party may query its non-public information (信用信息查询授权)."""

    id: str
    subject_id: str
    grantee: str  # the third party's code (``Actor.unit``)
    purpose: Purpose
    scope: tuple[str, ...]  # catalog item codes, or (SCOPE_ALL,)
    valid_from: date
    expires_on: date  # last day the authorization may be used
    proof: str  # where the consent is documented: signed form number, e-signature id …
    granted_by: str
    revoked: bool = False

    def current(self, today: date) -> bool:
        return not self.revoked and self.valid_from <= today <= self.expires_on

    def covers_item(self, item_code: str) -> bool:
        return SCOPE_ALL in self.scope or item_code in self.scope

    def covers(self, actor: Actor, today: date) -> bool:
        """Does this authorization let ``actor`` (a third party with a purpose) read the subject today?"""
        return (
            self.current(today)
            and bool(actor.unit)
            and actor.unit == self.grantee
            and actor.purpose is self.purpose
        )


def authorization_problems(
    grantee: str,
    purpose: str,
    scope: list[str],
    valid_from: date,
    expires_on: date,
    proof: str,
    known_items: frozenset[str],
    today: date,
) -> list[Problem]:
    """Everything wrong with a new authorization, all at once (empty when it may be recorded)."""
    out: list[Problem] = []

    def bad(rule: str, field: str, en: str, zh: str, value: object = None) -> None:
        out.append(Problem(f"authorization.{rule}", en, {"field": field}, zh, value))

    if not grantee.strip():
        bad("grantee", "grantee", "name the third party by its code", "请填写被授权单位代码")
    if purpose not in {p.value for p in THIRD_PARTY_PURPOSES}:
        allowed = ", ".join(sorted(p.value for p in THIRD_PARTY_PURPOSES))
        bad("purpose", "purpose", f"purpose must be one of: {allowed}", "查询用途不在规定列表中", purpose)
    if not scope:
        bad("scope", "scope", f"name the catalog items covered, or {SCOPE_ALL!r}", "请填写授权范围")
    for item in scope:
        if item != SCOPE_ALL and item not in known_items:
            bad("scope", "scope", f"{item!r} is not a catalog item", f"“{item}”不是目录中的信息项", item)
    if expires_on < valid_from:
        bad("expiry", "expires_on", "the expiry is before the start", "授权到期日早于起始日", str(expires_on))
    if expires_on < today:
        bad("expiry", "expires_on", "the authorization has already expired", "授权已过期", str(expires_on))
    if not proof.strip():
        bad("proof", "proof", "state where the consent is documented", "请填写授权证明（如授权书编号）")
    return out


def logs_query(actor: Actor, subject_id: str) -> bool:
    """Is a read of ``subject_id``'s file by ``actor`` a non-public read for the query log?

    The public's free queries are not logged (they need no account and show only public
    information); nor is a subject looking at its own file (its downloads are logged as exports).
    """
    if actor.role is Role.PUBLIC:
        return False
    return not (actor.role is Role.SUBJECT and actor.subject_id == subject_id)


def retain_until(day: date) -> date:
    """The first day a query log entry made on ``day`` may be deleted (five full years later)."""
    try:
        return day.replace(year=day.year + QUERY_LOG_RETENTION_YEARS)
    except ValueError:  # 29 February
        return date(day.year + QUERY_LOG_RETENTION_YEARS, 3, 1)


def account_problems(
    username: str, password: str, role: Role, unit: str, purposes: tuple[str, ...] = ()
) -> list[Problem]:
    """Everything wrong with a new account, all at once."""
    out: list[Problem] = []
    if not USERNAME.match(username):
        out.append(
            Problem(
                "account.username",
                "a username is 3–64 lower-case letters, digits and . _ @ -",
                {"field": "username"},
                "用户名为3至64位小写字母、数字或 . _ @ -",
                username,
            )
        )
    if len(password) < MIN_PASSWORD:
        out.append(
            Problem(
                "account.password",
                f"a password has at least {MIN_PASSWORD} characters",
                {"field": "password"},
                f"密码至少{MIN_PASSWORD}位",
            )
        )
    out.extend(role_problems(role, unit, purposes))
    return out


def role_problems(role: Role, unit: str, purposes: tuple[str, ...] = ()) -> list[Problem]:
    if role not in ACCOUNT_ROLES:
        return [
            Problem(
                "account.role",
                f"an account cannot hold the role {role.value!r}",
                {"field": "role"},
                "账户不能持有该角色",
                role.value,
            )
        ]
    if role in UNIT_ROLES and not unit:
        return [
            Problem(
                "account.unit",
                f"a {role.value} account acts for a unit: give its code",
                {"field": "unit"},
                "该角色须注明所属单位代码",
            )
        ]
    return purpose_problems(role, purposes)


def purpose_problems(role: Role, purposes: tuple[str, ...]) -> list[Problem]:
    """A relying party declares, when its account is made, the purposes it will query for (from the
    fixed list); it may state no other. Other roles declare none."""
    allowed = {p.value for p in THIRD_PARTY_PURPOSES}
    where = {"field": "purposes"}
    if role is not Role.RELYING_PARTY:
        if purposes:
            return [
                Problem(
                    "account.purposes",
                    "only a relying party declares purposes",
                    where,
                    "仅信息使用单位须声明查询用途",
                )
            ]
        return []
    if not purposes:
        return [
            Problem(
                "account.purposes",
                "a relying party declares its purposes",
                where,
                "信息使用单位须声明查询用途",
            )
        ]
    return [
        Problem(
            "account.purposes",
            f"{p!r} is not a purpose of the fixed list",
            where,
            "查询用途不在规定列表中",
            p,
        )
        for p in purposes
        if p not in allowed
    ]


def undeclared(role: Role, declared: tuple[str, ...], purpose: Purpose | None) -> bool:
    """Does a relying party state a purpose it did not declare?"""
    return role is Role.RELYING_PARTY and purpose is not None and purpose.value not in declared
