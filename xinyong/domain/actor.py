"""The actor behind every service call: who, in which role, for which unit, and why."""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.domain.enums import Purpose, Role


@dataclass(frozen=True)
class Actor:
    role: Role
    user: str = ""
    unit: str = ""  # source unit code or relying party code, when acting for one
    subject_id: str = ""  # for a data subject: the subject they are (or act for)
    purpose: Purpose | None = None  # required for non-public reads

    @classmethod
    def public(cls) -> Actor:
        return cls(role=Role.PUBLIC)

    @classmethod
    def system(cls, user: str = "xinyong") -> Actor:
        return cls(role=Role.SYSTEM, user=user)

    @classmethod
    def operator(cls, user: str) -> Actor:
        return cls(role=Role.OPERATOR, user=user)

    def with_purpose(self, purpose: Purpose) -> Actor:
        return Actor(self.role, self.user, self.unit, self.subject_id, purpose)

    def label(self) -> str:
        parts = [self.role.value]
        if self.unit:
            parts.append(self.unit)
        if self.user:
            parts.append(self.user)
        return ":".join(parts)
