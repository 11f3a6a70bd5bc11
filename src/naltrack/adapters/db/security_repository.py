"""SQL storage of the secure service, and the unit of work that adds it to the clinical one.

Appending to the audit chain takes the write lock before it reads the head (the ``audit_head``
row's lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so concurrent transactions, in one
process or several, chain in order. Each entry is sealed with the audit key; after a commit,
an entry that reaches the checkpoint cadence is checkpointed outside the database
(:mod:`naltrack.adapters.db.audit_ledger`). There is no method that updates or deletes an audit row.

On PostgreSQL every append waits for the one transaction that holds the head row, so the time
a transaction holds it bounds the rate of audited requests across all workers. The statement
that writes the entries is therefore held back and goes out with ``COMMIT`` in one message
(:meth:`SqlSecurityRepository.send_held`): between reading the head and releasing it the server
waits for the client once, not twice. A statement run on the connection before the commit
sends the held entries first, so the transaction always sees its own entries, and a commit made
otherwise than by the unit of work sends them before its ``COMMIT``.

A read on PostgreSQL goes further (:meth:`SqlSecureUnitOfWork.commit_read`): its transaction only read,
so its entries need not share it. They go to the process's group commit
(:mod:`naltrack.adapters.db.audit_batch`), which chains the entries of every read waiting at that moment
in one transaction; the read returns once they are committed. A "read" whose transaction wrote anything
appends in its own transaction as before.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Self, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from naltrack.adapters.audit_seal import AuditSeal, seal_from_settings
from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db import tables
from naltrack.adapters.db.audit_batch import AuditBatch
from naltrack.adapters.db.audit_ledger import SqlAuditLedger, missing_guards, note_restored, restore_guards
from naltrack.adapters.db.cds_state import SqlCdsCallState
from naltrack.adapters.db.contact_repository import SqlContactRepository
from naltrack.adapters.db.idempotency import SqlIdempotencyRepository
from naltrack.adapters.db.portal_repository import SqlPortalRepository
from naltrack.adapters.db.read_models import SqlReadModels
from naltrack.adapters.db.sign_in_attempts import SqlSignInAttempts
from naltrack.adapters.db.token_cache import CachedTokenLookup, forget_cached_tokens
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
                 "purpose", "outcome", "source", "detail", "seq", "prev_hash", "hash", "mac")


def _user(row: Any) -> User:
    return User(id=row["id"], username=row["username"], role=row["role"], clinic_id=row["clinic_id"],
                active=row["active"], created_at=row["created_at"])


def _consent(row: Any) -> Consent:
    values = dict(row)
    values["categories"] = tuple(values["categories"])
    return Consent(**values)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in _AUDIT_FIELDS})


def _postgres_append(connection: Connection, entries: Sequence[AuditEntry]) -> str:
    """One statement that moves the head to the last of ``entries`` and inserts them, with the values
    quoted by the driver (psycopg's client-side binding) so that it can share a message with ``COMMIT``."""
    import psycopg

    rows = ", ".join("(" + ", ".join(f"%(r{i}_{k})s" for k in _AUDIT_FIELDS) + ")" for i in range(len(entries)))
    statement = (f"WITH moved_head AS (UPDATE audit_head SET seq = %(seq)s, hash = %(hash)s WHERE id = 1) "
                 f"INSERT INTO audit_log ({', '.join(_AUDIT_FIELDS)}) VALUES {rows}")
    at = st.audit_log.c.at.type
    values: dict[str, Any] = {"seq": entries[-1].seq, "hash": entries[-1].hash}
    for i, entry in enumerate(entries):
        values.update({f"r{i}_{k}": getattr(entry, k) for k in _AUDIT_FIELDS})
        values[f"r{i}_at"] = at.process_bind_param(entry.at, connection.dialect)  # type: ignore[attr-defined]
    driver = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    with psycopg.ClientCursor(driver) as cursor:
        return str(cursor.mogrify(statement, values))


class SqlSecurityRepository(SecurityRepository):
    """The secure service's rows on one connection; audit entries are sealed with ``audit_key``."""

    def __init__(self, connection: Connection, audit_key: bytes | None = None) -> None:
        self._c = connection
        self._key = audit_key
        #: The entries appended on this connection since the last commit (for the checkpoint cadence).
        self.appended: list[AuditEntry] = []
        #: Whether a token was revoked since the last commit (remembered look-ups are then forgotten).
        self.revoked = False
        self._held: str | None = None
        self._listening = False

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
        self.revoked = True
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

    def _lock_head(self) -> tuple[int, str]:
        """The head, read under the write lock every append takes first: ``BEGIN IMMEDIATE`` on
        SQLite (before any read, so two processes on one file never chain after the same head),
        the head row's lock on PostgreSQL (``FOR UPDATE`` reads the latest committed head)."""
        if self._c.dialect.name == "sqlite" and not self._c.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            self._c.exec_driver_sql("BEGIN IMMEDIATE")
        query = sa.select(st.audit_head.c.seq, st.audit_head.c.hash).where(st.audit_head.c.id == 1)
        if self._c.dialect.name == "postgresql":
            query = query.with_for_update()
        head = self._c.execute(query).first()
        if head is None:  # the starting row is gone (a migration writes it): put it back, then lock it
            insert = (pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert)(st.audit_head)
            self._c.execute(insert.values(id=1, seq=0, hash=GENESIS_HASH).on_conflict_do_nothing())
            head = self._c.execute(query).one()
        return int(head[0]), str(head[1])

    def append_audit(self, event: AuditEvent) -> AuditEntry:
        return self.append_audits([event])[0]

    def append_audits(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Chain ``events`` after the head, read once under its lock; one insert and one move of the head (on
        PostgreSQL one statement, a writable CTE moving the head, held back to go with the commit)."""
        if not events:
            return []
        seq, last_hash = self._lock_head()
        entries = []
        for event in events:
            entry = chain_after(event, seq, last_hash, key=self._key)
            seq, last_hash = entry.seq, entry.hash
            entries.append(entry)
        if self._c.dialect.name == "postgresql":
            self._hold(_postgres_append(self._c, entries))
        else:
            self._c.execute(sa.update(st.audit_head).where(st.audit_head.c.id == 1).values(seq=seq, hash=last_hash))
            self._c.execute(sa.insert(st.audit_log), [{k: getattr(e, k) for k in _AUDIT_FIELDS} for e in entries])
        self.appended.extend(entries)
        return entries

    def _hold(self, statement: str) -> None:
        """Keep ``statement`` to send with the unit of work's commit, or before the next statement on the
        connection or any other commit of it (``engine.begin()``), whichever comes first."""
        self._held = statement
        if not self._listening:  # kept while the connection lives: removing it from within it is not allowed
            sa.event.listen(self._c, "before_execute", self._send_before)
            sa.event.listen(self._c, "commit", self._send_before)
            self._listening = True

    def _send_before(self, *_args: Any) -> None:
        self.send_held()

    def send_held(self, *, commit: bool = False) -> bool:
        """Send the held entries (and, with ``commit``, ``COMMIT`` in the same message); whether it sent any.

        After a commit sent this way the driver's transaction is over and the connection's own commit
        sends nothing.
        """
        statement, self._held = self._held, None
        if statement is None:
            return False
        self._c.exec_driver_sql(statement + "; COMMIT" if commit else statement,
                                execution_options={"no_parameters": True})  # merged already: keep % as it is
        return True

    def drop_held(self) -> None:
        """Forget the held entries of a transaction that is rolled back."""
        self._held = None

    def search_audit(self, query: AuditQuery, clinic_id: str | None = None) -> list[AuditEntry]:
        t = st.audit_log
        select = sa.select(t).order_by(t.c.seq.desc()).limit(query.limit).offset(query.offset)
        if clinic_id is not None:
            select = select.where(t.c.clinic_id == clinic_id)
        for column, value in (("actor", query.actor), ("patient_id", query.patient_id), ("outcome", query.outcome)):
            if value is not None:
                select = select.where(t.c[column] == value)
        if query.since is not None:
            select = select.where(t.c.at >= query.since)
        if query.until is not None:
            select = select.where(t.c.at < query.until)
        return [_entry(r) for r in self._c.execute(select).mappings()]

    def count_audit(self, clinic_id: str) -> int:
        t = st.audit_log
        return int(self._c.execute(sa.select(sa.func.count()).where(t.c.clinic_id == clinic_id)).scalar_one())

    def audit_names(self, clinic_id: str, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        u, p = st.users, tables.patients
        users = sa.select(u.c.id, u.c.username.label("name")).where(u.c.clinic_id == clinic_id, u.c.id.in_(ids))
        patients = sa.select(p.c.id, (p.c.family_name + ", " + p.c.given_name).label("name")).where(
            p.c.clinic_id == clinic_id, p.c.id.in_(ids))
        return {row.id: row.name for row in self._c.execute(sa.union_all(users, patients))}

    def iter_audit(self) -> Iterator[AuditEntry]:
        # per statement: Connection.execution_options() would stream every later statement of the transaction
        result = self._c.execute(sa.select(st.audit_log).order_by(st.audit_log.c.seq),
                                 execution_options={"yield_per": 1000})
        for row in result.mappings():
            yield _entry(row)

    def audit_head(self) -> tuple[int, str] | None:
        row = self._one(sa.select(st.audit_head).where(st.audit_head.c.id == 1))
        return None if row is None else (int(row["seq"]), str(row["hash"]))


#: Set on a connection by a statement other than a SELECT (the unit of work resets it when it opens).
_WROTE = "naltrack_wrote"
_READ_AUDITS: weakref.WeakKeyDictionary[Engine, dict[bytes | None, AuditBatch]] = weakref.WeakKeyDictionary()
_READ_AUDITS_GUARD = threading.Lock()


def _note_writes(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if not statement.lstrip()[:6].upper() == "SELECT":
        conn.info[_WROTE] = True


def read_audit_batch(engine: Engine, seal: AuditSeal) -> AuditBatch:
    """The group commit of read audits on ``engine`` sealed with ``seal``'s key (one per process)."""
    with _READ_AUDITS_GUARD:
        batches = _READ_AUDITS.get(engine)
        if batches is None:
            batches = _READ_AUDITS[engine] = {}
            sa.event.listen(engine, "before_cursor_execute", _note_writes)
        return batches.setdefault(seal.entry_key, AuditBatch())


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

    def __init__(self, engine: Engine, seal: AuditSeal | None = None) -> None:
        super().__init__(engine)
        self._lock = _sqlite_lock(engine) if engine.dialect.name == "sqlite" else None
        self._seal = seal or configured_seal()
        self._ledger = SqlAuditLedger(engine, self._seal)
        self.audit_ledger = self._ledger
        self._batch = read_audit_batch(engine, self._seal) if engine.dialect.name == "postgresql" else None

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        try:
            super().__enter__()
        except BaseException:
            self._release_lock()
            raise
        self._connection.info[_WROTE] = False  # type: ignore[union-attr]
        self._security = SqlSecurityRepository(self._connection, self._seal.entry_key)  # type: ignore[arg-type]
        self.security = self._security
        self.read_models = SqlReadModels(self._connection, self._engine)  # type: ignore[arg-type]
        self.sign_ins = SqlSignInAttempts(self._connection)  # type: ignore[arg-type]
        self.idempotency = SqlIdempotencyRepository(self._connection)  # type: ignore[arg-type]
        self.contacts = SqlContactRepository(self._connection)  # type: ignore[arg-type]
        self.portal = SqlPortalRepository(self._connection)  # type: ignore[arg-type]
        self.cds_state = SqlCdsCallState(self._connection)  # type: ignore[arg-type]
        return self

    def commit_read(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """On PostgreSQL, a transaction that ran only SELECTs commits alone and its entries go to the group
        commit of read audits; they are committed when this returns. Otherwise, as the port does."""
        if self._connection is None or self._batch is None or self._connection.info.get(_WROTE):
            return super().commit_read(events)
        self.commit()
        return self._batch.append(events, self._append_and_commit)

    def _append_and_commit(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Chain ``events`` (this read's and those of the reads waiting with it) and commit them, here."""
        entries = self._security.append_audits(events)
        self.commit()
        return entries

    def commit(self) -> None:
        """Commit (on PostgreSQL with the held audit entries, in one message), then write the checkpoints
        that the committed entries reached."""
        self._security.send_held(commit=True)
        super().commit()
        if self._security.revoked:
            self._security.revoked = False
            forget_cached_tokens()
        appended, self._security.appended = self._security.appended, []
        for entry in appended:
            self._ledger.cadence(entry)

    def _close(self) -> None:
        try:
            if self._connection is not None:
                self._security.drop_held()
            super()._close()
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()


def restore_guards_at_start(engine: Engine, seal: AuditSeal) -> tuple[str, ...]:
    """Restore missing audit guards at start-up, and record that in the audit log itself (durable
    evidence that someone removed them) and for this process's next verification."""
    with engine.begin() as connection:
        missing = tuple(missing_guards(connection))
        if missing:
            restore_guards(connection, list(missing))
            SqlSecurityRepository(connection, seal.entry_key).append_audit(AuditEvent(
                at=datetime.now(UTC), actor="naltrack", clinic_id=None, action="restore-guards", category="audit",
                purpose="operations", detail=f"guards missing at start-up, restored: {', '.join(missing)}"[:500]))
    if missing:
        note_restored(engine, missing)
    return missing


@functools.cache
def configured_seal() -> AuditSeal:
    """The audit seal of the process settings (``NALTRACK_AUDIT_KEY``...), read once."""
    from naltrack.config import get_settings

    return seal_from_settings(get_settings())


def secure_uow_factory(engine: Engine, ensure_schema: Callable[[], None] | None = None,
                       seal: AuditSeal | None = None) -> SecureUnitOfWorkFactory:
    """Build :class:`SqlSecureUnitOfWork` on ``engine``, running ``ensure_schema`` first (migrations once);
    entries are sealed with ``seal`` (default: the configured one)."""

    def factory() -> SecureUnitOfWork:
        if ensure_schema is not None:
            ensure_schema()
        return SqlSecureUnitOfWork(engine, seal)

    return factory


TokenLookup = Callable[[str], tuple[StoredToken, User] | None]


def token_lookup(engine: Engine, ensure_schema: Callable[[], None] | None = None) -> CachedTokenLookup:
    """Find a token and its user by the token's hash, outside any transaction (autocommit), remembered
    for a moment (:mod:`naltrack.adapters.db.token_cache`: a revocation in this process is seen at once).

    Authentication is one read; without a transaction it costs no BEGIN and no ROLLBACK.
    """
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def lookup(token_hash: str) -> tuple[StoredToken, User] | None:
        if ensure_schema is not None:
            ensure_schema()
        with autocommit.connect() as connection:
            return SqlSecurityRepository(connection).find_token_user(token_hash)

    return CachedTokenLookup(lookup)
