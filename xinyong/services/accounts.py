"""Accounts: users with argon2 passwords, role grants (logged as events), API keys, portal sessions.

* Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation);
  a hash made with weaker parameters is rehashed at the next login.
* API keys (``xyu_<id>_<secret>``) carry 256 random bits, so a plain SHA-256 of the key is stored
  (a slow hash adds nothing to a key that cannot be guessed); they are shown once and revocable.
* Sessions: the cookie holds 256 random bits; the store keeps its SHA-256, an expiry, and when it
  ended (logout). A stolen database therefore holds no usable session or key.

Every change (account created, role granted, key issued or revoked) is an event in the
tamper-evident log; logins are not (they change nothing), failed logins raise ``NotPermitted``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update

from xinyong.domain import accounts as rules
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.domain.permissions import allowed, require
from xinyong.errors import Conflict, InvalidInput, NotFound, NotPermitted
from xinyong.services import events
from xinyong.services.identity import IdentityClaim, IdentityVerifier
from xinyong.store import Store
from xinyong.store.tables import api_keys, sessions, users

KEY_PREFIX = "xyu_"
SESSION_HOURS = 8
_HASHER = PasswordHasher()
# A hash to verify against when the user does not exist, so that timing does not reveal usernames.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: Role
    unit: str
    subject_id: str | None
    active: bool
    purposes: tuple[str, ...] = ()  # a relying party's declared purposes

    def actor(self) -> Actor:
        return Actor(role=self.role, user=self.username, unit=self.unit, subject_id=self.subject_id or "")


def acting(user: User, purpose: Purpose | None) -> Actor:
    """The user's actor with the purpose stated for this request; a relying party may state only a
    purpose it declared (``NotPermitted``, rule ``purpose.not_declared``)."""
    if rules.undeclared(user.role, user.purposes, purpose):
        assert purpose is not None
        raise NotPermitted(
            f"{user.unit or user.username!r} declared no purpose {purpose.value!r}; declared: "
            f"{', '.join(user.purposes) or 'none'}",
            message_zh="查询用途不在本单位声明的用途范围内",
            rule="purpose.not_declared",
        )
    found = user.actor()
    return found.with_purpose(purpose) if purpose else found


def _user(row: object) -> User:
    r = row._mapping  # type: ignore[attr-defined]  # a SQLAlchemy Row
    purposes = tuple(r["purposes"] or ())
    return User(r["id"], r["username"], Role(r["role"]), r["unit"], r["subject_id"], r["active"], purposes)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- users --------------------------------------------------------------------------------------
def create_user(
    store: Store,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    unit: str = "",
    subject_id: str | None = None,
    purposes: tuple[str, ...] = (),
) -> User:
    """Create an account (operators do; data subjects register through ``register_subject``). A relying
    party's account declares the purposes it will query for."""
    require(actor, "users.manage")
    return _create(store, actor, username, password, role, unit, subject_id, purposes)


def register_subject(
    store: Store, actor: Actor, verifier: IdentityVerifier, username: str, password: str, claim: IdentityClaim
) -> User:
    """A data subject (or an enterprise's agent) opens an account; the verifier decides who they are."""
    require(actor, "account.register")
    verified = verifier.verify(store, claim)
    registrar = Actor(role=Role.SUBJECT, user=username.strip().lower(), subject_id=verified.subject_id)
    return _create(store, registrar, username, password, Role.SUBJECT, "", verified.subject_id)


def _create(
    store: Store,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    unit: str,
    subject_id: str | None,
    purposes: tuple[str, ...] = (),
) -> User:
    username = username.strip().lower()
    problems = rules.account_problems(username, password, role, unit, purposes)
    if problems:
        raise InvalidInput(
            f"account {username!r} cannot be created", message_zh="无法创建该账户", problems=problems
        )
    user_id = uuid.uuid4().hex
    with store.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise Conflict(
                f"the username {username!r} is taken", message_zh="用户名已被使用", rule="account.duplicate"
            )
        conn.execute(
            insert(users).values(
                id=user_id,
                username=username,
                password_hash=_HASHER.hash(password),
                role=role.value,
                unit=unit,
                subject_id=subject_id,
                purposes=list(purposes) or None,
                active=True,
                created_at=events.now(),
            )
        )
        events.append(
            conn,
            actor,
            "user:create",
            "user",
            user_id,
            {"role": role.value, "unit": unit, "purposes": list(purposes)},
            subject_id=subject_id,
        )
    return get_user(store, user_id)


def get_user(store: Store, user_id: str) -> User:
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user {user_id!r}", message_zh="没有该用户", rule="account.user")
    return _user(row)


def find_user(store: Store, username: str) -> User:
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
    if row is None:
        raise NotFound(f"no user {username!r}", message_zh="没有该用户", rule="account.user")
    return _user(row)


def grant_role(
    store: Store, actor: Actor, user_id: str, role: Role, unit: str = "", purposes: tuple[str, ...] = ()
) -> User:
    """Give an account a role (replacing its current one, with its declared purposes for a relying
    party); the grant is an event in the audit log."""
    require(actor, "users.manage")
    problems = rules.role_problems(role, unit, purposes)
    if problems:
        raise InvalidInput(f"cannot grant {role.value!r}", message_zh="无法授予该角色", problems=problems)
    before = get_user(store, user_id)
    with store.write() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(role=role.value, unit=unit, purposes=list(purposes) or None)
        )
        events.append(
            conn,
            actor,
            "user:role_granted",
            "user",
            user_id,
            {
                "role": role.value,
                "unit": unit,
                "previous_role": before.role.value,
                "previous_unit": before.unit,
                "purposes": list(purposes),
            },
        )
    return get_user(store, user_id)


def set_active(store: Store, actor: Actor, user_id: str, active: bool) -> User:
    """Disable (or re-enable) an account: its sessions and keys stop working at once."""
    require(actor, "users.manage")
    get_user(store, user_id)
    with store.write() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(active=active))
        events.append(conn, actor, "user:enable" if active else "user:disable", "user", user_id, {})
    return get_user(store, user_id)


def authenticate_password(store: Store, username: str, password: str) -> User:
    """The active user with this username and password; ``NotPermitted`` (one message) otherwise."""
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
        ok = row is not None and bool(row.active)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        raise NotPermitted(
            "wrong username or password", message_zh="用户名或密码错误", rule="auth.login_failed"
        )
    if _HASHER.check_needs_rehash(stored):
        with store.write() as conn:
            conn.execute(
                update(users).where(users.c.id == row.id).values(password_hash=_HASHER.hash(password))
            )
    return _user(row)


# --- API keys -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiKey:
    id: str
    user_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def issue_key(store: Store, actor: Actor, user_id: str, label: str = "") -> str:
    """A new API key for the account: returned once, only its SHA-256 is kept.

    Operators issue keys for any account; a user issues keys for their own account."""
    require(actor, "account.self")
    user = get_user(store, user_id)
    _require_self_or_manager(actor, user)
    key_id = secrets.token_hex(8)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    with store.write() as conn:
        conn.execute(
            insert(api_keys).values(
                id=key_id, user_id=user_id, key_hash=_sha256(key), label=label[:200], created_at=events.now()
            )
        )
        events.append(conn, actor, "api_key:issue", "api_key", key_id, {"user_id": user_id, "label": label})
    return key


def revoke_key(store: Store, actor: Actor, key_id: str) -> None:
    require(actor, "account.self")
    with store.read() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"no API key {key_id!r}", message_zh="没有该接口密钥", rule="account.api_key")
    _require_self_or_manager(actor, get_user(store, row.user_id))
    with store.write() as conn:
        conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=events.now()))
        events.append(conn, actor, "api_key:revoke", "api_key", key_id, {"user_id": row.user_id})


def list_keys(store: Store, actor: Actor, user_id: str) -> list[ApiKey]:
    require(actor, "account.self")
    _require_self_or_manager(actor, get_user(store, user_id))
    with store.read() as conn:
        rows = conn.execute(
            select(api_keys).where(api_keys.c.user_id == user_id).order_by(api_keys.c.created_at)
        ).all()
    return [ApiKey(r.id, r.user_id, r.label, r.created_at, r.revoked_at) for r in rows]


def is_user_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX)


def authenticate_key(store: Store, key: str) -> User:
    """The active user an unrevoked API key belongs to."""
    parts = key[len(KEY_PREFIX) :].split("_", 1) if is_user_key(key) else []
    with store.read() as conn:
        row = (
            conn.execute(
                select(api_keys, users.c.active.label("user_active"))
                .join(users, users.c.id == api_keys.c.user_id)
                .where(api_keys.c.id == parts[0])
            ).first()
            if len(parts) == 2
            else None
        )
    if (
        row is None
        or not hmac.compare_digest(row.key_hash, _sha256(key))
        or row.revoked_at is not None
        or not row.user_active
    ):
        raise NotPermitted(
            "unknown or revoked API key", message_zh="接口密钥无效或已停用", rule="auth.key_invalid"
        )
    return get_user(store, row.user_id)


def _require_self_or_manager(actor: Actor, user: User) -> None:
    """An account manages its own keys; operators manage anyone's."""
    require(actor, "account.self")
    if actor.user and actor.user == user.username and actor.role is user.role:
        return
    if not allowed(actor, "users.manage"):
        raise NotPermitted(
            "an account manages only its own API keys",
            message_zh="只能管理本人的接口密钥",
            rule="account.own_only",
        )


# --- sessions -----------------------------------------------------------------------------------
def start_session(store: Store, user: User, hours: int = SESSION_HOURS) -> str:
    """A new session for a user who has just logged in; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    start = events.now()
    with store.write() as conn:
        conn.execute(
            insert(sessions).values(
                token_hash=_sha256(token),
                user_id=user.id,
                created_at=start,
                expires_at=start + timedelta(hours=hours),
            )
        )
    return token


def session_user(store: Store, token: str | None) -> User | None:
    """The active user of a live session (not ended, not expired), or None."""
    if not token:
        return None
    with store.read() as conn:
        row = conn.execute(
            select(sessions, users)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == _sha256(token))
        ).first()
    if row is None or row.ended_at is not None or not row.active:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=events.now().tzinfo)
    if expires <= events.now():
        return None
    return _user(row)


def end_session(store: Store, token: str | None) -> None:
    if not token:
        return
    with store.write() as conn:
        conn.execute(
            update(sessions)
            .where(sessions.c.token_hash == _sha256(token), sessions.c.ended_at.is_(None))
            .values(ended_at=events.now())
        )


def list_users(store: Store, actor: Actor) -> list[User]:
    require(actor, "users.manage")
    with store.read() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]
