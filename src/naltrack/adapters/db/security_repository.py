"""SQL storage of the secure service, and the unit of work that adds it to the clinical one.

Appending to the audit chain locks the one ``audit_head`` row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite serializes writers anyway), so concurrent transactions chain in order.
There is no method that updates or deletes an audit row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db.idempotency import SqlIdempotencyRepository
from naltrack.adapters.db.read_models import SqlReadModels
from naltrack.adapters.db.sign_in_attempts import SqlSignInAttempts
from naltrack.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from naltrack.domain.errors import StaleVersion
from naltrack.domain.security.accounts import User
from naltrack.domain.security.audit import GENESIS_HASH, AuditEntry, AuditEvent, chain_after
from naltrack.domain.security.consent import BreakGlass, Consent
from naltrack.services.security_ports import (
    AuditQuery,
    Disclosure,
    SecureUnitOfWork,
    SecureUnitOfWorkFactory,
    SecurityRepository,
    StoredToken,
)

_AUDIT_FIELDS = ("at", "actor", "clinic_id", "action", "category", "record_type", "record_id", "patient_id",
                 "purpose", "outcome", "source", "detail", "seq", "prev_hash", "hash")


def _user(row: Any) -> User:
    return User(id=row["id"], username=row["username"], role=row["role"], clinic_id=row["clinic_id"],
                active=row["active"], created_at=row["created_at"])


def _consent(row: Any) -> Consent:
    values = dict(row)
    values["categories"] = tuple(values["categories"])
    return Consent(**values)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in _AUDIT_FIELDS})


class SqlSecurityRepository(SecurityRepository):
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _one(self, query: sa.Select[Any]) -> Any:
        return self._c.execute(query).mappings().first()

    def add_user(self, user: User, password_hash: str) -> None:
        self._c.execute(sa.insert(st.users).values(
            id=user.id, username=user.username, password_hash=password_hash, role=user.role,
            clinic_id=user.clinic_id, active=user.active, created_at=user.created_at))

    def find_user(self, user_id: str) -> User | None:
        row = self._one(sa.select(st.users).where(st.users.c.id == user_id))
        return None if row is None else _user(row)

    def find_credentials(self, username: str) -> tuple[User, str] | None:
        row = self._one(sa.select(st.users).where(st.users.c.username == username))
        return None if row is None else (_user(row), row["password_hash"])

    def list_users(self, clinic_id: str) -> list[User]:
        query = sa.select(st.users).where(st.users.c.clinic_id == clinic_id).order_by(st.users.c.username)
        return [_user(r) for r in self._c.execute(query).mappings()]

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._c.execute(sa.update(st.users).where(st.users.c.id == user_id).values(password_hash=password_hash))

    def add_token(self, token: StoredToken) -> None:
        self._c.execute(sa.insert(st.api_tokens).values(**token.__dict__))

    def find_token(self, token_hash: str) -> StoredToken | None:
        row = self._one(sa.select(st.api_tokens).where(st.api_tokens.c.token_hash == token_hash))
        return None if row is None else StoredToken(**row)

    def find_token_user(self, token_hash: str) -> tuple[StoredToken, User] | None:
        t, u = st.api_tokens, st.users
        query = (sa.select(t, *(c.label(f"u__{c.name}") for c in u.c))
                 .join(u, u.c.id == t.c.user_id).where(t.c.token_hash == token_hash))
        row = self._one(query)
        if row is None:
            return None
        token = StoredToken(**{c.name: row[c.name] for c in t.c})
        return token, _user({c.name: row[f"u__{c.name}"] for c in u.c})

    def revoke_token(self, token_id: str, at: datetime) -> None:
        self._c.execute(sa.update(st.api_tokens).where(st.api_tokens.c.id == token_id,
                                                         st.api_tokens.c.revoked_at.is_(None)).values(revoked_at=at))

    def add_consent(self, consent: Consent) -> None:
        values = {k: v for k, v in consent.__dict__.items() if k != "notes"}
        values["categories"] = list(consent.categories)
        self._c.execute(sa.insert(st.consents).values(**values))

    def find_consent(self, consent_id: str) -> Consent | None:
        row = self._one(sa.select(st.consents).where(st.consents.c.id == consent_id))
        return None if row is None else _consent(row)

    def update_consent(self, consent: Consent) -> None:
        values = {k: v for k, v in consent.__dict__.items() if k not in ("notes", "id")}
        values["categories"] = list(consent.categories)
        statement = (sa.update(st.consents)
                     .where(st.consents.c.id == consent.id, st.consents.c.version == consent.version - 1)
                     .values(**values))
        if self._c.execute(statement).rowcount != 1:
            raise StaleVersion(f"consent {consent.id!r} was changed by someone else")

    def consents_for(self, patient_id: str) -> list[Consent]:
        query = sa.select(st.consents).where(st.consents.c.patient_id == patient_id).order_by(st.consents.c.signed_on)
        return [_consent(r) for r in self._c.execute(query).mappings()]

    def add_disclosure(self, disclosure: Disclosure) -> None:
        values = dict(disclosure.__dict__)
        values["categories"] = list(disclosure.categories)
        self._c.execute(sa.insert(st.disclosures).values(**values))

    def disclosures_for(self, patient_id: str) -> list[Disclosure]:
        query = (sa.select(st.disclosures).where(st.disclosures.c.patient_id == patient_id)
                 .order_by(st.disclosures.c.disclosed_at))
        return [Disclosure(**{**r, "categories": tuple(r["categories"])}) for r in self._c.execute(query).mappings()]

    def add_break_glass(self, grant: BreakGlass) -> None:
        self._c.execute(sa.insert(st.break_glass).values(**grant.__dict__))

    def find_break_glass(self, grant_id: str) -> BreakGlass | None:
        row = self._one(sa.select(st.break_glass).where(st.break_glass.c.id == grant_id))
        return None if row is None else BreakGlass(**row)

    def break_glass_for(self, *, user_id: str | None = None, patient_id: str | None = None,
                        clinic_id: str | None = None) -> list[BreakGlass]:
        table = st.break_glass
        query = sa.select(table).order_by(table.c.started_at.desc())
        if user_id is not None:
            query = query.where(table.c.user_id == user_id)
        if patient_id is not None:
            query = query.where(table.c.patient_id == patient_id)
        if clinic_id is not None:
            query = query.join(st.users, st.users.c.id == table.c.user_id).where(st.users.c.clinic_id == clinic_id)
        return [BreakGlass(**r) for r in self._c.execute(query).mappings()]

    def review_break_glass(self, grant_id: str, reviewer: str, at: datetime) -> None:
        self._c.execute(sa.update(st.break_glass).where(st.break_glass.c.id == grant_id)
                        .values(reviewed_by=reviewer, reviewed_at=at))

    def append_audit(self, event: AuditEvent) -> AuditEntry:
        head_query = sa.select(st.audit_head.c.seq, st.audit_head.c.hash).where(st.audit_head.c.id == 1)
        if self._c.dialect.name == "postgresql":
            head_query = head_query.with_for_update()
        head = self._c.execute(head_query).first()
        if head is None:  # the first entry ever; a racing first insert fails on the primary key
            entry = chain_after(event, 0, GENESIS_HASH)
            self._c.execute(sa.insert(st.audit_head).values(id=1, seq=entry.seq, hash=entry.hash))
            self._c.execute(sa.insert(st.audit_log).values({k: getattr(entry, k) for k in _AUDIT_FIELDS}))
            return entry
        entry = chain_after(event, int(head[0]), str(head[1]))
        move_head = (sa.update(st.audit_head).where(st.audit_head.c.id == 1)
                     .values(seq=entry.seq, hash=entry.hash))
        insert = sa.insert(st.audit_log).values({k: getattr(entry, k) for k in _AUDIT_FIELDS})
        if self._c.dialect.name == "postgresql":  # one round trip: a writable CTE moves the head
            self._c.execute(insert.add_cte(move_head.cte("moved_head")))
        else:
            self._c.execute(move_head)
            self._c.execute(insert)
        return entry

    def search_audit(self, query: AuditQuery, clinic_id: str | None = None) -> list[AuditEntry]:
        t = st.audit_log
        select = sa.select(t).order_by(t.c.seq.desc()).limit(query.limit).offset(query.offset)
        if clinic_id is not None:
            select = select.where(sa.or_(t.c.clinic_id == clinic_id, t.c.clinic_id.is_(None)))
        for column, value in (("actor", query.actor), ("patient_id", query.patient_id), ("outcome", query.outcome)):
            if value is not None:
                select = select.where(t.c[column] == value)
        if query.since is not None:
            select = select.where(t.c.at >= query.since)
        if query.until is not None:
            select = select.where(t.c.at < query.until)
        return [_entry(r) for r in self._c.execute(select).mappings()]

    def iter_audit(self) -> Iterator[AuditEntry]:
        result = self._c.execution_options(yield_per=1000).execute(sa.select(st.audit_log).order_by(st.audit_log.c.seq))
        for row in result.mappings():
            yield _entry(row)

    def audit_head(self) -> tuple[int, str] | None:
        row = self._one(sa.select(st.audit_head).where(st.audit_head.c.id == 1))
        return None if row is None else (int(row["seq"]), str(row["hash"]))


_SQLITE_LOCKS: dict[int, threading.RLock] = {}
_SQLITE_LOCKS_GUARD = threading.Lock()


def _sqlite_lock(engine: Engine) -> threading.RLock:
    with _SQLITE_LOCKS_GUARD:
        return _SQLITE_LOCKS.setdefault(id(engine), threading.RLock())


class SqlSecureUnitOfWork(SqlAlchemyUnitOfWork, SecureUnitOfWork):
    """The clinical unit of work plus the security repository and the read models, on one connection.

    Every audited access writes (the audit entry), so on SQLite the units of work of one
    process take turns: SQLite has one writer, and a transaction that read first and
    writes second would otherwise fail with "database is locked" instead of waiting.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._lock = _sqlite_lock(engine) if engine.dialect.name == "sqlite" else None

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        try:
            super().__enter__()
        except BaseException:
            self._release_lock()
            raise
        self.security = SqlSecurityRepository(self._connection)  # type: ignore[arg-type]
        self.read_models = SqlReadModels(self._connection, self._engine)  # type: ignore[arg-type]
        self.idempotency = SqlIdempotencyRepository(self._connection)  # type: ignore[arg-type]
        self.sign_ins = SqlSignInAttempts(self._connection)  # type: ignore[arg-type]
        return self

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()


def secure_uow_factory(engine: Engine, ensure_schema: Callable[[], None] | None = None) -> SecureUnitOfWorkFactory:
    """Build :class:`SqlSecureUnitOfWork` on ``engine``, running ``ensure_schema`` first (migrations once)."""

    def factory() -> SecureUnitOfWork:
        if ensure_schema is not None:
            ensure_schema()
        return SqlSecureUnitOfWork(engine)

    return factory


TokenLookup = Callable[[str], tuple[StoredToken, User] | None]


def token_lookup(engine: Engine, ensure_schema: Callable[[], None] | None = None) -> TokenLookup:
    """Find a token and its user by the token's hash, outside any transaction (autocommit).

    Authentication is one read; without a transaction it costs no BEGIN and no ROLLBACK.
    """
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def lookup(token_hash: str) -> tuple[StoredToken, User] | None:
        if ensure_schema is not None:
            ensure_schema()
        with autocommit.connect() as connection:
            return SqlSecurityRepository(connection).find_token_user(token_hash)

    return lookup
