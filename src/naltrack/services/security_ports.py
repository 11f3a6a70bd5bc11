"""The port of the secure service's storage: users, tokens, consents, disclosures, grants, audit.

:class:`SecureUnitOfWork` is the unit of work of the API: the clinical repositories of
:class:`~naltrack.services.unit_of_work.AbstractUnitOfWork` plus :attr:`security`, so that
an audit entry is written in the same transaction as the read or write it records.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from naltrack.domain.security.accounts import User
from naltrack.domain.security.audit import AuditEntry, AuditEvent
from naltrack.domain.security.consent import BreakGlass, Consent
from naltrack.services.audit_ports import AuditLedger
from naltrack.services.cds_state import CdsCallState
from naltrack.services.contact_ports import ContactRepository
from naltrack.services.idempotency_ports import IdempotencyRepository, KeepsResponse
from naltrack.services.portal_ports import PortalRepository
from naltrack.services.read_models import ReadModels
from naltrack.services.sign_in_throttle import SignInAttempts
from naltrack.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class StoredToken:
    """A bearer token or web session as stored: only the SHA-256 of the secret."""

    id: str
    token_hash: str
    user_id: str
    kind: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class Disclosure:
    """A disclosure outside the program, as recorded (42 CFR 2.32 notice included)."""

    id: str
    patient_id: str
    recipient: str
    purpose: str
    categories: tuple[str, ...]
    consent_id: str | None
    break_glass_id: str | None
    disclosed_at: datetime
    disclosed_by: str
    notice: str
    record_count: int


@dataclass(frozen=True)
class AuditQuery:
    """Filters of an audit search."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    patient_id: str | None = None
    outcome: str | None = None
    limit: int = 100
    offset: int = 0


class SecurityRepository(abc.ABC):
    """Storage of the secure service. There is no way to change or remove an audit entry."""

    @abc.abstractmethod
    def add_user(self, user: User, password_hash: str) -> None: ...

    @abc.abstractmethod
    def find_user(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    def find_credentials(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash."""

    @abc.abstractmethod
    def list_users(self, clinic_id: str) -> list[User]:
        """The clinic's users, by username."""

    @abc.abstractmethod
    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    @abc.abstractmethod
    def add_token(self, token: StoredToken) -> None: ...

    @abc.abstractmethod
    def find_token(self, token_hash: str) -> StoredToken | None:
        """The token stored under this hash, revoked or expired ones too (:meth:`StoredToken.is_valid` tells)."""

    def find_token_user(self, token_hash: str) -> tuple[StoredToken, User] | None:
        """The token and its user in one look-up (adapters may do it in one query)."""
        token = self.find_token(token_hash)
        user = None if token is None else self.find_user(token.user_id)
        return None if token is None or user is None else (token, user)

    @abc.abstractmethod
    def revoke_token(self, token_id: str, at: datetime) -> None:
        """Mark the token revoked at ``at``; :meth:`find_token` still finds it, no longer valid."""

    @abc.abstractmethod
    def add_consent(self, consent: Consent) -> None: ...

    @abc.abstractmethod
    def find_consent(self, consent_id: str) -> Consent | None: ...

    @abc.abstractmethod
    def update_consent(self, consent: Consent) -> None:
        """Store a new version; the stored one must be ``consent.version - 1`` else Conflict."""

    @abc.abstractmethod
    def consents_for(self, patient_id: str) -> list[Consent]: ...

    @abc.abstractmethod
    def add_disclosure(self, disclosure: Disclosure) -> None: ...

    @abc.abstractmethod
    def disclosures_for(self, patient_id: str) -> list[Disclosure]: ...

    @abc.abstractmethod
    def add_break_glass(self, grant: BreakGlass) -> None: ...

    @abc.abstractmethod
    def find_break_glass(self, grant_id: str) -> BreakGlass | None: ...

    @abc.abstractmethod
    def break_glass_for(self, *, user_id: str | None = None, patient_id: str | None = None,
                        clinic_id: str | None = None) -> list[BreakGlass]: ...

    @abc.abstractmethod
    def review_break_glass(self, grant_id: str, reviewer: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def append_audit(self, event: AuditEvent) -> AuditEntry:
        """Chain ``event`` after the last entry, serialized with every other append."""

    def append_audits(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Chain ``events`` in order after the last entry (adapters lock the head once for all of them)."""
        return [self.append_audit(event) for event in events]

    @abc.abstractmethod
    def search_audit(self, query: AuditQuery, clinic_id: str | None = None) -> list[AuditEntry]:
        """Entries newest first; with ``clinic_id``, that clinic's only."""

    def count_audit(self, clinic_id: str) -> int:
        """How many entries ``clinic_id`` has (adapters count in the database)."""
        return sum(1 for entry in self.iter_audit() if entry.clinic_id == clinic_id)

    def audit_names(self, clinic_id: str, ids: set[str]) -> dict[str, str]:
        """The names behind the ids of ``clinic_id``'s users (adapters add its patients)."""
        return {user.id: user.username for user in self.list_users(clinic_id) if user.id in ids}

    @abc.abstractmethod
    def iter_audit(self) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order (streamed)."""

    @abc.abstractmethod
    def audit_head(self) -> tuple[int, str] | None:
        """The last ``(seq, hash)`` recorded, or ``None`` before the first entry."""


class SecureUnitOfWork(AbstractUnitOfWork):
    """The clinical repositories plus :attr:`security` and the set-based :attr:`read_models`, in one transaction.

    :attr:`pending` is set when the request came with an idempotency key: its answer is kept
    with the transaction (:mod:`naltrack.services.idempotency`).
    """

    security: SecurityRepository
    read_models: ReadModels
    sign_ins: SignInAttempts
    idempotency: IdempotencyRepository
    contacts: ContactRepository
    portal: PortalRepository
    cds_state: CdsCallState
    pending: KeepsResponse | None = None
    #: The audit log's verification and checkpoints (usable without entering the unit of work).
    audit_ledger: AuditLedger

    def commit_read(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Commit a transaction that read, with the read's audit entries; they are committed when this returns.

        Here, in the same transaction. A store may instead commit the read and write the entries of
        concurrent reads together (group commit), as long as none returns before its entries are durable.
        """
        entries = self.security.append_audits(events)
        self.commit()
        return entries


SecureUnitOfWorkFactory = Callable[[], SecureUnitOfWork]
