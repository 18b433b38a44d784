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

NEEDS_PURPOSE: frozenset[str] = frozenset({"events.read"})


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
