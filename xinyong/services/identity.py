"""Identity verification of data subjects: one interface, a test verifier by default.

A person registering as a data subject (信用主体本人), or as an enterprise's authorized agent
(授权代理人), claims an identity; a verifier says which subject that is, or refuses. Production
deployments plug in a real-name service (e.g. the Ministry of Public Security's citizen identity
check, 公民身份信息核验, or the electronic business licence, 电子营业执照) by implementing
``IdentityVerifier`` and registering it in ``VERIFIERS``.

``RegistryVerifier`` (name ``"test"``, the default) only checks the claim against the store: the
identifier is valid (check digits), the subject is registered, and the name matches. It proves
nothing about who is at the keyboard, so it is for tests and demos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from xinyong import ids
from xinyong.domain.enums import SubjectKind
from xinyong.errors import InvalidIdentifier, InvalidInput, NotPermitted, Problem
from xinyong.store import Store
from xinyong.store.tables import subject_identifiers, subjects


@dataclass(frozen=True)
class IdentityClaim:
    """Who someone says they are: a person by name and resident ID number; an enterprise's agent by
    the enterprise's name and USCC, the agent's own ID number and the authorization letter (委托书)."""

    name: str
    id_number: str
    agent_id_number: str = ""
    evidence: str = ""  # e.g. the number of the power of attorney


@dataclass(frozen=True)
class VerifiedIdentity:
    subject_id: str
    kind: SubjectKind
    method: str  # which verifier confirmed it
    agent: bool  # an agent acting for an organisation


class IdentityVerifier(Protocol):
    name: str

    def verify(self, store: Store, claim: IdentityClaim) -> VerifiedIdentity: ...


class RegistryVerifier:
    """Test verifier: the claim must match a registered subject (valid identifier, same name)."""

    name = "test"

    def verify(self, store: Store, claim: IdentityClaim) -> VerifiedIdentity:
        code = claim.id_number.strip().upper()
        kind = ids.classify(code)
        if kind is ids.IdentifierKind.RESIDENT_ID:
            return self._person(store, claim, code)
        if kind is ids.IdentifierKind.USCC:
            return self._agent(store, claim, code)
        raise InvalidInput(
            "give a resident ID number or a unified social credit code",
            message_zh="请填写居民身份证号码或统一社会信用代码",
            problems=[Problem("identity.id_number", "not a resident ID or USCC", {"field": "id_number"})],
        )

    def _person(self, store: Store, claim: IdentityClaim, code: str) -> VerifiedIdentity:
        _parse(ids.parse_resident_id, code, "id_number")
        subject_id = _matching_subject(store, "resident_id", code, claim.name)
        return VerifiedIdentity(subject_id, SubjectKind.INDIVIDUAL, self.name, agent=False)

    def _agent(self, store: Store, claim: IdentityClaim, code: str) -> VerifiedIdentity:
        _parse(ids.parse_uscc, code, "id_number")
        _parse(ids.parse_resident_id, claim.agent_id_number.strip().upper(), "agent_id_number")
        if not claim.evidence.strip():
            raise InvalidInput(
                "an agent gives the number of the enterprise's power of attorney",
                message_zh="代理人须填写单位授权委托书编号",
                problems=[
                    Problem("identity.evidence", "missing", {"field": "evidence"}, "缺少授权委托书编号")
                ],
            )
        subject_id = _matching_subject(store, "uscc", code, claim.name)
        with store.read() as conn:
            kind = conn.execute(select(subjects.c.kind).where(subjects.c.id == subject_id)).scalar_one()
        return VerifiedIdentity(subject_id, SubjectKind(kind), self.name, agent=True)


def _parse(parser: Callable[[str], object], code: str, field: str) -> None:
    try:
        parser(code)
    except InvalidIdentifier as e:
        raise InvalidInput(
            e.message,
            message_zh=e.message_zh,
            problems=[Problem(e.rule or "identity.id_number", e.message, {"field": field}, e.message_zh)],
        ) from e


def _matching_subject(store: Store, scheme: str, code: str, name: str) -> str:
    with store.read() as conn:
        row = conn.execute(
            select(subjects.c.id, subjects.c.name)
            .join(subject_identifiers, subject_identifiers.c.subject_id == subjects.c.id)
            .where(subject_identifiers.c.scheme == scheme, subject_identifiers.c.value == code)
        ).first()
        if row is None:
            row = conn.execute(
                select(subjects.c.id, subjects.c.name).where(
                    subjects.c.id_scheme == scheme, subjects.c.id_value == code
                )
            ).first()
    if row is None or row.name.strip() != name.strip():
        raise NotPermitted(
            "the identity could not be verified: no registered subject with this number and name",
            message_zh="身份核验未通过：证件号码与姓名（名称）不一致或未登记",
            rule="identity.not_verified",
        )
    return str(row.id)


VERIFIERS: dict[str, IdentityVerifier] = {RegistryVerifier.name: RegistryVerifier()}


def verifier(name: str = "test") -> IdentityVerifier:
    try:
        return VERIFIERS[name]
    except KeyError:
        raise InvalidInput(f"no identity verifier {name!r}", rule="identity.verifier") from None
