"""The portal's storage in SQLAlchemy Core (:class:`~naltrack.services.portal_ports.PortalRepository`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import portal_tables as pt
from naltrack.domain.security.patient_accounts import PortalAccount, PortalInvite
from naltrack.domain.side_effects import SideEffectReport
from naltrack.services.portal_ports import Assignment, PortalRepository, PortalSession

_ACCOUNT = ("id", "patient_id", "clinic_id", "login_name", "active", "created_at")


def _account(row: Any, prefix: str = "") -> PortalAccount:
    return PortalAccount(**{name: row[f"{prefix}{name}"] for name in _ACCOUNT})


def _report(row: Any) -> SideEffectReport:
    return SideEffectReport(id=row["id"], patient_id=row["patient_id"], kind=row["kind"], severity=row["severity"],
                            reported_at=row["reported_at"], other_text=row["other_text"],
                            reviewed_at=row["reviewed_at"], reviewed_by=row["reviewed_by"])


class SqlPortalRepository(PortalRepository):
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _one(self, query: Any) -> Any:
        row = self._c.execute(query).mappings().first()
        return row

    def add_invite(self, invite: PortalInvite) -> None:
        self._c.execute(sa.insert(pt.portal_invites).values(**invite.__dict__))

    def find_invite(self, token_hash: str) -> PortalInvite | None:
        row = self._one(sa.select(pt.portal_invites).where(pt.portal_invites.c.token_hash == token_hash))
        return None if row is None else PortalInvite(**row)

    def use_invite(self, invite_id: str, at: datetime) -> bool:
        t = pt.portal_invites
        done = self._c.execute(sa.update(t).where(t.c.id == invite_id, t.c.used_at.is_(None)).values(used_at=at))
        return done.rowcount == 1

    def withdraw_invites(self, patient_id: str, at: datetime) -> int:
        t = pt.portal_invites
        done = self._c.execute(sa.update(t).where(t.c.patient_id == patient_id, t.c.used_at.is_(None))
                               .values(used_at=at))
        return int(done.rowcount)

    def add_account(self, account: PortalAccount, password_hash: str) -> None:
        self._c.execute(sa.insert(pt.portal_accounts).values(**account.__dict__, password_hash=password_hash))

    def find_account(self, account_id: str) -> PortalAccount | None:
        row = self._one(sa.select(pt.portal_accounts).where(pt.portal_accounts.c.id == account_id))
        return None if row is None else _account(row)

    def account_of_patient(self, patient_id: str) -> PortalAccount | None:
        row = self._one(sa.select(pt.portal_accounts).where(pt.portal_accounts.c.patient_id == patient_id))
        return None if row is None else _account(row)

    def find_credentials(self, login_name: str) -> tuple[PortalAccount, str] | None:
        row = self._one(sa.select(pt.portal_accounts).where(pt.portal_accounts.c.login_name == login_name))
        return None if row is None else (_account(row), row["password_hash"])

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        t = pt.portal_accounts
        self._c.execute(sa.update(t).where(t.c.id == account_id).values(password_hash=password_hash))

    def add_session(self, session: PortalSession) -> None:
        self._c.execute(sa.insert(pt.portal_sessions).values(**session.__dict__))

    def find_session(self, token_hash: str) -> tuple[PortalSession, PortalAccount] | None:
        s, a = pt.portal_sessions, pt.portal_accounts
        query = (sa.select(s, *(c.label(f"a__{c.name}") for c in a.c if c.name in _ACCOUNT))
                 .join(a, a.c.id == s.c.account_id).where(s.c.token_hash == token_hash))
        row = self._one(query)
        if row is None:
            return None
        return PortalSession(**{c.name: row[c.name] for c in s.c}), _account(row, "a__")

    def revoke_session(self, session_id: str, at: datetime) -> None:
        s = pt.portal_sessions
        self._c.execute(sa.update(s).where(s.c.id == session_id, s.c.revoked_at.is_(None)).values(revoked_at=at))

    def revoke_sessions_of(self, account_id: str, at: datetime) -> int:
        s = pt.portal_sessions
        done = self._c.execute(sa.update(s).where(s.c.account_id == account_id, s.c.revoked_at.is_(None))
                               .values(revoked_at=at))
        return int(done.rowcount)

    def add_side_effect(self, report: SideEffectReport, clinic_id: str) -> None:
        self._c.execute(sa.insert(pt.side_effect_reports).values(**report.__dict__, clinic_id=clinic_id))

    def find_side_effect(self, report_id: str) -> SideEffectReport | None:
        row = self._one(sa.select(pt.side_effect_reports).where(pt.side_effect_reports.c.id == report_id))
        return None if row is None else _report(row)

    def side_effects_for(self, patient_id: str) -> list[SideEffectReport]:
        t = pt.side_effect_reports
        rows = self._c.execute(sa.select(t).where(t.c.patient_id == patient_id)
                               .order_by(t.c.reported_at.desc(), t.c.id)).mappings()
        return [_report(r) for r in rows]

    def open_side_effects(self, clinic_id: str, limit: int) -> list[SideEffectReport]:
        t = pt.side_effect_reports
        rows = self._c.execute(sa.select(t).where(t.c.clinic_id == clinic_id, t.c.reviewed_at.is_(None))
                               .order_by(t.c.reported_at, t.c.id).limit(limit)).mappings()
        return [_report(r) for r in rows]

    def mark_side_effect_reviewed(self, report_id: str, by: str, at: datetime) -> bool:
        t = pt.side_effect_reports
        done = self._c.execute(sa.update(t).where(t.c.id == report_id, t.c.reviewed_at.is_(None))
                               .values(reviewed_at=at, reviewed_by=by))
        return done.rowcount == 1

    def add_assignment(self, assignment: Assignment) -> None:
        self._c.execute(sa.insert(pt.questionnaire_assignments).values(**assignment.__dict__))

    def find_assignment(self, assignment_id: str) -> Assignment | None:
        t = pt.questionnaire_assignments
        row = self._one(sa.select(t).where(t.c.id == assignment_id))
        return None if row is None else Assignment(**row)

    def assignments_for(self, patient_id: str) -> list[Assignment]:
        t = pt.questionnaire_assignments
        rows = self._c.execute(sa.select(t).where(t.c.patient_id == patient_id)
                               .order_by(t.c.assigned_at.desc(), t.c.id)).mappings()
        return [Assignment(**r) for r in rows]

    def complete_assignment(self, assignment_id: str, response_id: str, at: datetime) -> bool:
        t = pt.questionnaire_assignments
        done = self._c.execute(sa.update(t).where(t.c.id == assignment_id, t.c.completed_at.is_(None))
                               .values(completed_at=at, response_id=response_id))
        return done.rowcount == 1
