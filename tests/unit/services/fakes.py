"""In-memory fakes of the ports, for use-case tests without a database."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from tests.unit.portal.fake_portal import FakePortalRepository

from naltrack.domain.errors import Conflict
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import User
from naltrack.domain.security.audit import AuditEntry, AuditEvent, chain_entry
from naltrack.domain.security.consent import BreakGlass, Consent
from naltrack.services.security_ports import (
    AuditQuery,
    Disclosure,
    SecureUnitOfWork,
    SecurityRepository,
    StoredToken,
)
from naltrack.services.unit_of_work import (
    KIND_OF,
    AbstractUnitOfWork,
    ClinicRepository,
    PatientRepository,
    RecordRepository,
)

R = TypeVar("R", bound=ClinicalRecord)


@dataclass
class Store:
    """What a fake database holds; committed state only."""

    clinics: dict[str, Clinic] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)
    records: dict[tuple[type[ClinicalRecord], str], ClinicalRecord] = field(default_factory=dict)


class FakeClinicRepository(ClinicRepository):
    def __init__(self, data: dict[str, Clinic]) -> None:
        self.data = data

    def add(self, clinic: Clinic) -> None:
        self.data[clinic.id] = clinic

    def find(self, clinic_id: str) -> Clinic | None:
        return self.data.get(clinic_id)

    def list(self) -> list[Clinic]:
        return sorted(self.data.values(), key=lambda c: (c.name, c.id))

    def update(self, clinic: Clinic) -> None:
        self.get(clinic.id)
        self.data[clinic.id] = clinic


class FakePatientRepository(PatientRepository):
    def __init__(self, data: dict[str, Patient]) -> None:
        self.data = data

    def add(self, patient: Patient) -> None:
        self.data[patient.id] = patient

    def add_many(self, patients: Iterable[Patient]) -> None:
        for patient in patients:
            self.add(patient)

    def find(self, patient_id: str) -> Patient | None:
        return self.data.get(patient_id)

    def _matching(self, clinic_id: str | None, text: str | None) -> list[Patient]:
        found = [p for p in self.data.values() if clinic_id is None or p.clinic_id == clinic_id]
        if text:
            needle = text.lower()
            found = [p for p in found if needle in f"{p.given_name} {p.family_name} {p.mrn or ''}".lower()]
        return sorted(found, key=lambda p: (p.family_name, p.given_name, p.id))

    def search(self, *, clinic_id: str | None = None, text: str | None = None,
               limit: int = 50, offset: int = 0) -> list[Patient]:
        return self._matching(clinic_id, text)[offset:offset + limit]

    def count(self, *, clinic_id: str | None = None, text: str | None = None) -> int:
        return len(self._matching(clinic_id, text))

    def find_by_identifier(self, system: str, value: str) -> list[Patient]:
        found = [p for p in self.data.values() if (system, value) in {i.key for i in p.all_identifiers}]
        return sorted(found, key=lambda p: (p.clinic_id, p.id))


class FakeRecordRepository(RecordRepository):
    def __init__(self, data: dict[tuple[type[ClinicalRecord], str], ClinicalRecord]) -> None:
        self.data = data

    def add(self, record: ClinicalRecord) -> None:
        key = (type(record), record.id)
        if key in self.data:
            raise Conflict(f"duplicate {record.id}")
        self.data[key] = record

    def add_many(self, records: Iterable[ClinicalRecord]) -> None:
        for record in records:
            self.add(record)

    def find(self, record_type: type[R], record_id: str) -> R | None:
        return self.data.get((record_type, record_id))  # type: ignore[return-value]

    def update(self, record: R) -> None:
        stored = self.data.get((type(record), record.id))
        if stored is None or stored.version != record.version - 1:
            raise Conflict(f"{record.id} was changed by someone else")
        self.data[(type(record), record.id)] = record

    def for_patient(self, patient_id: str, kinds: Collection[str] | None = None) -> dict[str, list[ClinicalRecord]]:
        chart: dict[str, list[ClinicalRecord]] = {}
        for (cls, _), record in sorted(self.data.items(), key=lambda kv: kv[0][1]):
            if record.patient_id == patient_id and (kinds is None or KIND_OF[cls] in kinds):
                chart.setdefault(KIND_OF[cls], []).append(record)
        return chart

    def count_by_kind(self) -> dict[str, int]:
        counts = dict.fromkeys(KIND_OF.values(), 0)
        for cls, _ in self.data:
            counts[KIND_OF[cls]] += 1
        return counts


class FakeUnitOfWork(AbstractUnitOfWork):
    """Works on a copy of the store; :meth:`commit` publishes it, anything else is dropped."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        self._work = Store(dict(self.store.clinics), dict(self.store.patients), dict(self.store.records))
        self.clinics = FakeClinicRepository(self._work.clinics)
        self.patients = FakePatientRepository(self._work.patients)
        self.records = FakeRecordRepository(self._work.records)
        return self

    def commit(self) -> None:
        self.store.clinics, self.store.patients, self.store.records = (
            dict(self._work.clinics), dict(self._work.patients), dict(self._work.records))
        self.commits += 1

    def rollback(self) -> None:
        self.__enter__()


@dataclass
class SecurityStore:
    """What a fake secure database holds besides the clinical store; committed state only."""

    users: dict[str, tuple[User, str]] = field(default_factory=dict)
    tokens: dict[str, StoredToken] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    disclosures: list[Disclosure] = field(default_factory=list)
    grants: dict[str, BreakGlass] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def copy(self) -> SecurityStore:
        return SecurityStore(dict(self.users), dict(self.tokens), dict(self.consents), list(self.disclosures),
                             dict(self.grants), list(self.audit))


class FakeSecurityRepository(SecurityRepository):
    """Users, tokens, consents, disclosures, grants and the audit chain in dictionaries and lists."""

    def __init__(self, data: SecurityStore) -> None:
        self.data = data

    def add_user(self, user: User, password_hash: str) -> None:
        if user.id in self.data.users:
            raise Conflict(f"duplicate user {user.id}")
        self.data.users[user.id] = (user, password_hash)

    def find_user(self, user_id: str) -> User | None:
        found = self.data.users.get(user_id)
        return None if found is None else found[0]

    def find_credentials(self, username: str) -> tuple[User, str] | None:
        return next((found for found in self.data.users.values() if found[0].username == username), None)

    def list_users(self, clinic_id: str) -> list[User]:
        return sorted((u for u, _ in self.data.users.values() if u.clinic_id == clinic_id), key=lambda u: u.username)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.data.users[user_id] = (self.data.users[user_id][0], password_hash)

    def add_token(self, token: StoredToken) -> None:
        self.data.tokens[token.token_hash] = token

    def find_token(self, token_hash: str) -> StoredToken | None:
        return self.data.tokens.get(token_hash)

    def revoke_token(self, token_id: str, at: datetime) -> None:
        for key, token in self.data.tokens.items():
            if token.id == token_id:
                self.data.tokens[key] = replace(token, revoked_at=at)

    def add_consent(self, consent: Consent) -> None:
        self.data.consents[consent.id] = consent

    def find_consent(self, consent_id: str) -> Consent | None:
        return self.data.consents.get(consent_id)

    def update_consent(self, consent: Consent) -> None:
        stored = self.data.consents.get(consent.id)
        if stored is None or stored.version != consent.version - 1:
            raise Conflict(f"consent {consent.id} was changed by someone else")
        self.data.consents[consent.id] = consent

    def consents_for(self, patient_id: str) -> list[Consent]:
        return [c for c in self.data.consents.values() if c.patient_id == patient_id]

    def add_disclosure(self, disclosure: Disclosure) -> None:
        self.data.disclosures.append(disclosure)

    def disclosures_for(self, patient_id: str) -> list[Disclosure]:
        return [d for d in self.data.disclosures if d.patient_id == patient_id]

    def add_break_glass(self, grant: BreakGlass) -> None:
        self.data.grants[grant.id] = grant

    def find_break_glass(self, grant_id: str) -> BreakGlass | None:
        return self.data.grants.get(grant_id)

    def break_glass_for(self, *, user_id: str | None = None, patient_id: str | None = None,
                        clinic_id: str | None = None) -> list[BreakGlass]:
        clinic_users = {u.id for u, _ in self.data.users.values() if u.clinic_id == clinic_id}
        return [g for g in self.data.grants.values()
                if (user_id is None or g.user_id == user_id) and (patient_id is None or g.patient_id == patient_id)
                and (clinic_id is None or g.user_id in clinic_users)]

    def review_break_glass(self, grant_id: str, reviewer: str, at: datetime) -> None:
        self.data.grants[grant_id] = replace(self.data.grants[grant_id], reviewed_by=reviewer, reviewed_at=at)

    def append_audit(self, event: AuditEvent) -> AuditEntry:
        entry = chain_entry(event, self.data.audit[-1] if self.data.audit else None)
        self.data.audit.append(entry)
        return entry

    def search_audit(self, query: AuditQuery, clinic_id: str | None = None) -> list[AuditEntry]:
        found = [e for e in reversed(self.data.audit)
                 if (clinic_id is None or e.clinic_id == clinic_id)
                 and all(value is None or getattr(e, name) == value
                         for name, value in (("actor", query.actor), ("patient_id", query.patient_id),
                                             ("outcome", query.outcome)))
                 and (query.since is None or e.at >= query.since) and (query.until is None or e.at < query.until)]
        return found[query.offset:query.offset + query.limit]

    def iter_audit(self) -> Iterator[AuditEntry]:
        return iter(list(self.data.audit))

    def audit_head(self) -> tuple[int, str] | None:
        return (self.data.audit[-1].seq, self.data.audit[-1].hash) if self.data.audit else None


class FakeSecureUnitOfWork(FakeUnitOfWork, SecureUnitOfWork):
    """The clinical fake plus :attr:`security`, committed and rolled back together.

    The set-based read models are not faked: the use cases tested over this unit of work
    do not read them.
    """

    def __init__(self, store: Store | None = None, security_store: SecurityStore | None = None) -> None:
        super().__init__(store)
        self.security_store = security_store or SecurityStore()
        self.portal = FakePortalRepository()  # the portal's storage, kept in memory (not rolled back)

    def __enter__(self) -> FakeSecureUnitOfWork:
        super().__enter__()
        self._security_work = self.security_store.copy()
        self.security = FakeSecurityRepository(self._security_work)
        return self

    def commit(self) -> None:
        super().commit()
        work, store = self._security_work.copy(), self.security_store
        store.users, store.tokens, store.consents = work.users, work.tokens, work.consents
        store.disclosures, store.grants, store.audit = work.disclosures, work.grants, work.audit
