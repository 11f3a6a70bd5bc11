"""Use cases of the secure service: accounts, sign-in and tokens, the audit trail.

Passwords are argon2id hashes (argon2-cffi defaults). Tokens are 32 random bytes, shown
once, stored as SHA-256. Sign-in answers the same way, after the same argon2 work, for an
unknown user and a wrong password (no account enumeration), and a
:class:`~naltrack.services.sign_in_throttle.SignInThrottle` makes a name or address wait,
longer after each failure, with the failures counted in the database.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from naltrack.domain.errors import InvalidInput
from naltrack.domain.errors import NotAuthenticated as NotAuthenticated
from naltrack.domain.errors import TooManyAttempts as TooManyAttempts
from naltrack.domain.security.accounts import Actor, User, check_password_strength
from naltrack.domain.security.audit import AuditEntry, AuditEvent, Outcome
from naltrack.services.security_ports import AuditQuery, SecureUnitOfWork, SecureUnitOfWorkFactory, StoredToken
from naltrack.services.sign_in_throttle import SignInThrottle as SignInThrottle

_HASHER = PasswordHasher()
_DUMMY: dict[int, str] = {}
#: Lifetimes of a bearer token and a web session (configurable defaults, not clinical facts).
TOKEN_TTL = timedelta(hours=12)
SESSION_TTL = timedelta(hours=8)
#: The refusal of a user name held by any account, this clinic's or another's: it says nothing
#: about where (no clinic learns another clinic's user names from it).
USERNAME_UNAVAILABLE = "cannot be used; choose another user name"


def new_id() -> str:
    return uuid.uuid4().hex


def hash_token(raw: str) -> str:
    """SHA-256 of a token (tokens carry 256 random bits, so a fast hash is enough)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def add_user(uow_factory: SecureUnitOfWorkFactory, username: str, password: str, role: str, clinic_id: str,
             now: datetime) -> User:
    """Create an account; raises InvalidInput for a bad name, role or weak password, NotFound for the clinic."""
    with uow_factory() as uow:
        user = _new_user(uow, username, password, role, clinic_id, now)
        uow.commit()
    return user


def _new_user(uow: SecureUnitOfWork, username: str, password: str, role: str, clinic_id: str,
              now: datetime) -> User:
    user = User(id=new_id(), username=username, role=role, clinic_id=clinic_id,  # type: ignore[arg-type]
                created_at=now)
    check_password_strength(password, username)
    uow.clinics.get(clinic_id)
    if uow.security.find_credentials(username) is not None:  # in this clinic or another: the same words
        raise InvalidInput("user.username", username, USERNAME_UNAVAILABLE)
    uow.security.add_user(user, _HASHER.hash(password))
    return user


@dataclass(frozen=True)
class IssuedToken:
    """A token as shown once to its owner."""

    token: str
    expires_at: datetime
    user: User
    token_id: str


def sign_in(uow_factory: SecureUnitOfWorkFactory, throttle: SignInThrottle, username: str, password: str,
            source: str | None, now: datetime, kind: str = "bearer") -> IssuedToken:
    """Check the password and issue a bearer token or a session; audited either way.

    Throttled by ``throttle`` over the failures stored in the database: a name or address that
    is waiting gets :class:`TooManyAttempts` before any password is checked.
    """
    name = (username or "").strip().lower()
    keys = throttle.keys(name, source)
    with uow_factory() as uow:
        throttle.check(uow.sign_ins, keys, now)
        found = uow.security.find_credentials(name)
        user = _verify(found, password)
        if user is None:
            throttle.record_failure(uow.sign_ins, keys, now)
            clinic = found[0].clinic_id if found is not None else None  # unknown names belong to no clinic
            _audit(uow, name or "-", clinic, "sign-in", "users", now, source, outcome="denied")
            uow.commit()
            raise NotAuthenticated()
        throttle.record_success(uow.sign_ins, keys, now)
        raw = secrets.token_urlsafe(32)
        ttl = SESSION_TTL if kind == "session" else TOKEN_TTL
        stored = StoredToken(new_id(), hash_token(raw), user.id, kind, now, now + ttl)
        uow.security.add_token(stored)
        _audit(uow, user.id, user.clinic_id, "sign-in", "users", now, source, record_id=stored.id)
        uow.commit()
    return IssuedToken(raw, stored.expires_at, user, stored.id)


def _dummy_hash() -> str:
    """A hash with the current parameters, verified for unknown users so they take as long as known ones."""
    key = id(_HASHER)
    if key not in _DUMMY:
        _DUMMY[key] = _HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


def _verify(found: tuple[User, str] | None, password: str) -> User | None:
    user, stored_hash = found if found is not None else (None, _dummy_hash())
    try:
        _HASHER.verify(stored_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def authenticate(uow: SecureUnitOfWork, raw: str, now: datetime, kind: str = "bearer") -> tuple[User, str]:
    """The user of a token and the token id; NotAuthenticated if unknown, expired, revoked or disabled."""
    return authenticate_with(uow.security.find_token_user, raw, now, kind)


def authenticate_with(lookup: Callable[[str], tuple[StoredToken, User] | None], raw: str, now: datetime,
                      kind: str = "bearer") -> tuple[User, str]:
    """:func:`authenticate` with any look-up of a token hash (e.g. one outside a transaction)."""
    found = lookup(hash_token(raw or ""))
    if found is None:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    stored, user = found
    if stored.kind != kind or not stored.is_valid(now) or not user.active:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    return user, stored.id


def revoke_token(uow_factory: SecureUnitOfWorkFactory, actor: Actor, token_id: str, now: datetime) -> None:
    """Revoke one token (sign-out); later requests with it get 401."""
    with uow_factory() as uow:
        uow.security.revoke_token(token_id, now)
        _audit(uow, actor.user.id, actor.clinic_id, "sign-out", "users", now, actor.source, record_id=token_id)
        uow.commit()


def _audit(uow: SecureUnitOfWork, actor: str, clinic_id: str | None, action: str, category: str, now: datetime,
           source: str | None, *, outcome: Outcome = "allowed", record_id: str | None = None) -> AuditEntry:
    return uow.security.append_audit(AuditEvent(
        at=now, actor=actor, clinic_id=clinic_id, action=action, category=category, record_id=record_id,
        purpose="operations", outcome=outcome, source=source,
    ))


def search_audit(uow_factory: SecureUnitOfWorkFactory, actor: Actor, query: AuditQuery,
                 now: datetime) -> list[AuditEntry]:
    """The auditor's search of their clinic's entries; the search itself is audited."""
    from naltrack.services.access import Access, authorize, run_audited

    access = Access(actor=actor, action="read", category="audit", now=now, purpose="operations")

    def body(uow: SecureUnitOfWork, access: Access) -> list[AuditEntry]:
        authorize(uow, access)
        return [e for e in uow.security.search_audit(query, clinic_id=actor.clinic_id)]

    return run_audited(uow_factory, access, body)


def list_users(uow_factory: SecureUnitOfWorkFactory, actor: Actor, now: datetime) -> list[User]:
    """The accounts of the actor's clinic (admin)."""
    from naltrack.services.access import Access, authorize, run_audited

    access = Access(actor=actor, action="read", category="users", now=now, purpose="operations")

    def body(uow: SecureUnitOfWork, access: Access) -> list[User]:
        authorize(uow, access)
        return uow.security.list_users(actor.clinic_id)

    return run_audited(uow_factory, access, body)


def create_user(uow_factory: SecureUnitOfWorkFactory, actor: Actor, username: str, password: str, role: str,
                now: datetime) -> User:
    """An admin creates an account in their own clinic."""
    from naltrack.services.access import Access, authorize, run_audited

    access = Access(actor=actor, action="create", category="users", now=now, purpose="operations")

    def body(uow: SecureUnitOfWork, access: Access) -> User:
        authorize(uow, access)
        user = _new_user(uow, username, password, role, actor.clinic_id, now)
        access.record_id = user.id
        return user

    return run_audited(uow_factory, access, body)


@dataclass(frozen=True)
class DemoAccount:
    """A demo account as printed at start: synthetic, for trying the program."""

    username: str
    role: str
    clinic_id: str
    password: str


def create_demo_accounts(uow_factory: SecureUnitOfWorkFactory, clinic_id: str, now: datetime) -> list[DemoAccount]:
    """One account per role in ``clinic_id`` (``demo.<role>``), each with a fresh random password.

    Demo accounts that exist already get a new password (so that every demo start can print
    them); they keep their clinic.
    """
    from naltrack.domain.security.roles import ROLES

    accounts = []
    for role in ROLES:
        username, password = f"demo.{role}", secrets.token_urlsafe(12)
        with uow_factory() as uow:
            found = uow.security.find_credentials(username)
            if found is not None:
                uow.security.set_password_hash(found[0].id, _HASHER.hash(password))
                uow.commit()
                accounts.append(DemoAccount(username, found[0].role, found[0].clinic_id, password))
                continue
        add_user(uow_factory, username, password, role, clinic_id, now)
        accounts.append(DemoAccount(username, role, clinic_id, password))
    return accounts
