"""Accounts: argon2 passwords, role grants as events, hashed revocable API keys, sessions, identity
verification of data subjects, and salted payload hashes in the event log."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from access_helpers import OPERATOR, PASSWORD, Town, make_town
from ingest_helpers import HUAWEI, PERSON_ID
from sqlalchemy import func, select, text, update

from xinyong.audit import log
from xinyong.audit.keys import KeyStore
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.errors import Conflict, InvalidInput, NotPermitted
from xinyong.services import accounts, events, identity
from xinyong.services.platform import Platform
from xinyong.store import Store
from xinyong.store.tables import api_keys, sessions, users
from xinyong.store.tables import events as events_table


@pytest.fixture
def town(platform: Platform, tmp_path: Path) -> Town:
    return make_town(platform, tmp_path)


def new_user(store: Store, name: str = "alice", role: Role = Role.AUDITOR, unit: str = "") -> accounts.User:
    purposes = ("bank_loan",) if role is Role.RELYING_PARTY else ()
    return accounts.create_user(store, OPERATOR, name, PASSWORD, role, unit, purposes=purposes)


def count(store: Store, table: object) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_passwords_are_argon2_hashes_and_check_out(store: Store) -> None:
    user = new_user(store)
    with store.read() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == user.id)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate_password(store, "Alice", PASSWORD).id == user.id
    for name, password in (("alice", PASSWORD + "!"), ("nobody", PASSWORD)):
        with pytest.raises(NotPermitted) as exc:
            accounts.authenticate_password(store, name, password)
        assert exc.value.rule == "auth.login_failed"  # the same answer: no hint which part was wrong
    accounts.set_active(store, OPERATOR, user.id, False)
    with pytest.raises(NotPermitted):
        accounts.authenticate_password(store, "alice", PASSWORD)


def test_a_bad_account_is_refused_with_every_problem_and_nothing_stored(store: Store) -> None:
    before = count(store, users)
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(store, OPERATOR, "A!", "short", Role.RELYING_PARTY, "")
    rules = [p.rule for p in exc.value.problems]
    assert sorted(rules) == [
        "account.password",
        "account.unit",
        "account.username",
    ]  # unit missing: stops there
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(store, OPERATOR, "robot", PASSWORD, Role.SYSTEM)
    assert [p.rule for p in exc.value.problems] == ["account.role"]
    new_user(store)
    with pytest.raises(Conflict):
        new_user(store)
    assert count(store, users) == before + 1


def test_only_operators_create_accounts_and_grant_roles(store: Store) -> None:
    user = new_user(store)
    for who in (Actor.public(), Actor(role=Role.AUDITOR, user="alice"), Actor(role=Role.SUBJECT, user="x")):
        with pytest.raises(NotPermitted):
            accounts.create_user(store, who, "mallory", PASSWORD, Role.OPERATOR)
        with pytest.raises(NotPermitted):
            accounts.grant_role(store, who, user.id, Role.OPERATOR)
    assert accounts.get_user(store, user.id).role is Role.AUDITOR


def test_a_role_grant_is_an_event_naming_the_previous_role(store: Store, tmp_path: Path) -> None:
    user = new_user(store)
    granted = accounts.grant_role(store, OPERATOR, user.id, Role.RELYING_PARTY, "bank_zs", ("bank_loan",))
    assert (granted.role, granted.unit) == (Role.RELYING_PARTY, "bank_zs")
    assert granted.actor() == Actor(role=Role.RELYING_PARTY, user="alice", unit="bank_zs")
    with store.read() as conn:
        ev = conn.execute(
            select(events_table).where(
                events_table.c.action == "user:role_granted", events_table.c.object_id == user.id
            )
        ).one()
    assert ev.payload["previous_role"] == "auditor" and ev.payload["role"] == "relying_party"
    assert ev.actor_user == "test"
    assert log.verify(store, KeyStore(tmp_path / "keys").key_ring()).ok


def test_api_keys_are_stored_hashed_shown_once_and_revocable(store: Store) -> None:
    user = new_user(store, "bank-officer", Role.RELYING_PARTY, "bank_zs")
    key = accounts.issue_key(store, OPERATOR, user.id, "loan desk")
    assert key.startswith(accounts.KEY_PREFIX)
    with store.read() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.user_id == user.id)).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.split("_", 2)[2] not in str(tuple(row))  # the secret part is nowhere in the store
    assert accounts.authenticate_key(store, key).actor().unit == "bank_zs"
    for wrong in (key[:-1] + ("A" if key[-1] != "A" else "B"), "xyu_nope", "xyu_" + row.id + "_guess"):
        with pytest.raises(NotPermitted):
            accounts.authenticate_key(store, wrong)
    accounts.revoke_key(store, OPERATOR, row.id)
    with pytest.raises(NotPermitted) as exc:
        accounts.authenticate_key(store, key)
    assert exc.value.rule == "auth.key_invalid"
    assert [k.revoked_at is not None for k in accounts.list_keys(store, OPERATOR, user.id)] == [True]


def test_a_user_manages_only_their_own_keys(store: Store) -> None:
    alice, bob = new_user(store, "alice"), new_user(store, "bob")
    own = accounts.issue_key(store, alice.actor(), alice.id)
    assert accounts.authenticate_key(store, own).id == alice.id
    with pytest.raises(NotPermitted) as exc:
        accounts.issue_key(store, alice.actor(), bob.id)
    assert exc.value.rule == "account.own_only"
    with pytest.raises(NotPermitted):
        accounts.issue_key(store, Actor.public(), alice.id)


def test_a_disabled_account_loses_its_keys_and_sessions(store: Store) -> None:
    user = new_user(store)
    key = accounts.issue_key(store, OPERATOR, user.id)
    token = accounts.start_session(store, user)
    accounts.set_active(store, OPERATOR, user.id, False)
    with pytest.raises(NotPermitted):
        accounts.authenticate_key(store, key)
    assert accounts.session_user(store, token) is None


def test_sessions_end_at_logout_and_expire(store: Store) -> None:
    user = new_user(store)
    token = accounts.start_session(store, user)
    assert accounts.session_user(store, token) == user
    with store.read() as conn:
        assert (
            conn.execute(select(sessions.c.token_hash)).scalar_one()
            == hashlib.sha256(token.encode()).hexdigest()
        )
    accounts.end_session(store, token)
    assert accounts.session_user(store, token) is None
    late = accounts.start_session(store, user)
    with store.write() as conn:
        conn.execute(update(sessions).values(expires_at=events.now() - timedelta(seconds=1)))
    assert accounts.session_user(store, late) is None
    assert accounts.session_user(store, "made-up") is None and accounts.session_user(store, None) is None


# --- data subjects --------------------------------------------------------------------------------
def register(town: Town, name: str, number: str, **kw: str) -> accounts.User:
    claim = identity.IdentityClaim(name, number, kw.get("agent", ""), kw.get("evidence", ""))
    return accounts.register_subject(
        town.platform.store,
        Actor.public(),
        identity.verifier(),
        kw.get("username", "zhangsan"),
        PASSWORD,
        claim,
    )


def test_a_person_registers_after_identity_verification(town: Town) -> None:
    user = register(town, "张三", PERSON_ID)
    assert (user.role, user.subject_id) == (Role.SUBJECT, town.person)
    assert user.actor().subject_id == town.person


def test_identity_verification_refuses_wrong_names_and_numbers_and_stores_nothing(town: Town) -> None:
    before = count(town.platform.store, users)
    with pytest.raises(NotPermitted) as exc:
        register(town, "李四", PERSON_ID)
    assert exc.value.rule == "identity.not_verified"
    with pytest.raises(InvalidInput) as bad:
        register(town, "张三", PERSON_ID[:-1] + "1")  # wrong check digit
    assert bad.value.problems and bad.value.problems[0].where == {"field": "id_number"}
    assert count(town.platform.store, users) == before


def test_an_enterprise_agent_registers_with_a_power_of_attorney(town: Town) -> None:
    with pytest.raises(InvalidInput):
        register(town, "华为技术有限公司", HUAWEI, agent=PERSON_ID, username="huawei-agent")
    user = register(
        town, "华为技术有限公司", HUAWEI, agent=PERSON_ID, evidence="WT-2026-9", username="huawei-agent"
    )
    assert user.subject_id == town.company


def test_the_verifier_is_pluggable(town: Town) -> None:
    class Always:
        name = "always"

        def verify(self, store: Store, claim: identity.IdentityClaim) -> identity.VerifiedIdentity:
            return identity.VerifiedIdentity(
                town.company, identity.SubjectKind.ENTERPRISE, self.name, agent=True
            )

    claim = identity.IdentityClaim("whoever", "whatever")
    user = accounts.register_subject(
        town.platform.store, Actor.public(), Always(), "plugged", PASSWORD, claim
    )
    assert user.subject_id == town.company
    with pytest.raises(InvalidInput):
        identity.verifier("no-such-verifier")


# --- salted payload hashes ------------------------------------------------------------------------
def test_a_short_personal_payload_cannot_be_confirmed_by_guessing_its_hash(
    store: Store, tmp_path: Path
) -> None:
    payload = {"id_number": PERSON_ID}
    with store.write() as conn:
        seq = events.append(conn, OPERATOR, "test:personal", "thing", "1", payload)
    with store.read() as conn:
        row = conn.execute(select(events_table).where(events_table.c.seq == seq)).one()
    guess = hashlib.sha256(events.canonical_json(payload)).hexdigest()
    assert row.payload_hash != guess  # an unsalted hash would confirm the guessed ID number
    assert row.payload_hash == events.payload_digest(payload, row.payload_salt)
    ring = KeyStore(tmp_path / "keys").key_ring()
    assert log.verify(store, ring).ok
    with store.write() as conn:  # erased at the end of retention: payload and salt together
        conn.execute(
            text("UPDATE events SET payload = :p, payload_salt = NULL WHERE seq = :s"), {"p": "{}", "s": seq}
        )
    report = log.verify(store, ring)
    assert report.ok and report.erased == 1


def test_a_relying_party_declares_its_purposes_and_may_state_no_other(store: Store) -> None:
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(store, OPERATOR, "bank-a", PASSWORD, Role.RELYING_PARTY, "bank_a")
    assert [p.rule for p in exc.value.problems] == ["account.purposes"]
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(
            store, OPERATOR, "bank-a", PASSWORD, Role.RELYING_PARTY, "bank_a", purposes=("gossip",)
        )
    assert exc.value.problems[0].value == "gossip"
    with pytest.raises(InvalidInput):
        accounts.create_user(store, OPERATOR, "aud", PASSWORD, Role.AUDITOR, purposes=("bank_loan",))
    bank = accounts.create_user(
        store, OPERATOR, "bank-a", PASSWORD, Role.RELYING_PARTY, "bank_a", purposes=("bank_loan", "bidding")
    )
    assert accounts.acting(bank, Purpose.BIDDING).purpose is Purpose.BIDDING
    assert accounts.acting(bank, None).purpose is None
    with pytest.raises(NotPermitted) as refused:
        accounts.acting(bank, Purpose.EMPLOYMENT)
    assert refused.value.rule == "purpose.not_declared"
    auditor = new_user(store, "aud")
    assert accounts.acting(auditor, Purpose.ADMINISTRATION).purpose is Purpose.ADMINISTRATION
