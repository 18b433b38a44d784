"""What each role may do: one table, checked inside the services (never only in routes).

An action missing from the table is refused for everyone, so a new use case cannot
forget its permission line. Non-public reads must also state a purpose.
"""

from __future__ import annotations

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import NotPermitted

PERMISSIONS: dict[str, frozenset[Role]] = {
    "catalog.read": frozenset(Role),  # the catalog is public (《深圳经济特区社会信用条例》第三十一条)
    "catalog.load": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "registry.load": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "records.ingest": frozenset({Role.SOURCE_UNIT, Role.OPERATOR, Role.SYSTEM}),
    "batches.read": frozenset({Role.SOURCE_UNIT, Role.OPERATOR, Role.AUDITOR, Role.SYSTEM}),
    "units.manage": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "events.read": frozenset({Role.OPERATOR, Role.AUDITOR}),
    "reports.request": frozenset(Role),  # free to all; personal reports: services.reports
    "reports.verify": frozenset(Role),
    "reports.statistics": frozenset({Role.OPERATOR, Role.AUDITOR, Role.SYSTEM}),
    # access control (issue 7): accounts, the subject's authorization (授权), the query log (查询记录)
    "platform.public": frozenset(Role),  # health check, API documentation, static files
    "check.read": frozenset(Role),  # public credit information queries are free, no account needed
    "audit.read": frozenset(Role),  # signed tree heads and proofs reveal hashes only
    "audit.sign": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "records.push": frozenset({Role.SOURCE_UNIT}),  # over HTTP a unit pushes its own data with its key
    "operator.portal": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "account.login": frozenset(Role),
    "account.register": frozenset({Role.PUBLIC, Role.OPERATOR, Role.SYSTEM}),
    "account.self": frozenset(
        {Role.SUBJECT, Role.SOURCE_UNIT, Role.RELYING_PARTY, Role.OPERATOR, Role.AUDITOR}
    ),
    "account.my_file": frozenset({Role.SUBJECT}),  # my file, my query log, download my data
    "users.manage": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "authorizations.grant": frozenset({Role.SUBJECT, Role.OPERATOR}),
    "authorizations.read": frozenset({Role.SUBJECT, Role.OPERATOR, Role.AUDITOR}),
    "authorizations.held": frozenset({Role.RELYING_PARTY}),
    "subjects.authorized_read": frozenset({Role.RELYING_PARTY}),  # with the subject's authorization
    "querylog.read": frozenset({Role.SUBJECT, Role.OPERATOR, Role.AUDITOR}),
    "querylog.purge": frozenset({Role.OPERATOR, Role.SYSTEM}),
    # remedies (issue 6): objections 异议, credit repair 信用修复; the reporting unit decides (谁认定、谁修复)
    "objections.file": frozenset({Role.SUBJECT, Role.OPERATOR}),
    "objections.verify": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "objections.decide": frozenset({Role.SOURCE_UNIT}),
    "remedies.mark_review": frozenset({Role.SOURCE_UNIT}),
    "repair.assess": frozenset({Role.SUBJECT, Role.SOURCE_UNIT, Role.OPERATOR, Role.SYSTEM}),
    "repair.apply": frozenset({Role.SUBJECT, Role.OPERATOR}),
    "repair.decide": frozenset({Role.SOURCE_UNIT}),
    "remedies.read": frozenset({Role.SUBJECT, Role.SOURCE_UNIT, Role.OPERATOR, Role.AUDITOR, Role.SYSTEM}),
    "remedies.queue": frozenset({Role.OPERATOR, Role.AUDITOR, Role.SYSTEM}),
    "remedies.jobs": frozenset({Role.OPERATOR, Role.SYSTEM}),
    # Lists (名单): due-process steps by the deciding unit (source unit staff, courts); screening by
    # relying parties (联合奖惩核查); calendars, parties and jobs by the operator.
    "lists.decide": frozenset({Role.SOURCE_UNIT}),
    "lists.expire": frozenset({Role.SYSTEM, Role.OPERATOR}),
    "lists.read_workflow": frozenset({Role.SOURCE_UNIT, Role.OPERATOR, Role.AUDITOR}),
    "parties.manage": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "screen": frozenset({Role.RELYING_PARTY}),
    "calendar.load": frozenset({Role.OPERATOR, Role.SYSTEM}),
    "jobs.run": frozenset({Role.OPERATOR, Role.SYSTEM}),
}

NEEDS_PURPOSE: frozenset[str] = frozenset({"events.read", "subjects.authorized_read"})


def allowed(actor: Actor, action: str) -> bool:
    roles = PERMISSIONS.get(action)
    return roles is not None and actor.role in roles


def require(actor: Actor, action: str) -> None:
    """Raise NotPermitted unless the actor's role may perform the action (with a purpose if needed)."""
    if not allowed(actor, action):
        raise NotPermitted(
            f"role {actor.role.value!r} may not perform {action!r}",
            message_zh=f"当前角色无权执行此操作（{action}）",
            rule=f"permission.{action}",
        )
    if action in NEEDS_PURPOSE and actor.purpose is None:
        raise NotPermitted(
            f"{action!r} is a non-public read and needs a declared purpose",
            message_zh="非公开信息查询须说明查询用途",
            rule="permission.purpose_required",
        )
