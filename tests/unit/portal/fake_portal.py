"""An in-memory :class:`PortalRepository` for the use cases tested over the fakes (not transactional: the
tests that need rollback run on the real databases, ``tests/integration/portal/``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from naltrack.domain.security.patient_accounts import PortalAccount, PortalInvite
from naltrack.domain.side_effects import SideEffectReport
from naltrack.services.portal_ports import Assignment, PortalRepository, PortalSession


class FakePortalRepository(PortalRepository):
    def __init__(self) -> None:
        self.invites: dict[str, PortalInvite] = {}
        self.accounts: dict[str, tuple[PortalAccount, str]] = {}
        self.sessions: dict[str, PortalSession] = {}
        self.reports: dict[str, tuple[SideEffectReport, str]] = {}
        self.assignments: dict[str, Assignment] = {}

    def add_invite(self, invite: PortalInvite) -> None:
        self.invites[invite.id] = invite

    def find_invite(self, token_hash: str) -> PortalInvite | None:
        return next((i for i in self.invites.values() if i.token_hash == token_hash), None)

    def use_invite(self, invite_id: str, at: datetime) -> bool:
        invite = self.invites[invite_id]
        if invite.used_at is not None:
            return False
        self.invites[invite_id] = replace(invite, used_at=at)
        return True

    def withdraw_invites(self, patient_id: str, at: datetime) -> int:
        unused = [i for i in self.invites.values() if i.patient_id == patient_id and i.used_at is None]
        for invite in unused:
            self.invites[invite.id] = replace(invite, used_at=at)
        return len(unused)

    def add_account(self, account: PortalAccount, password_hash: str) -> None:
        self.accounts[account.id] = (account, password_hash)

    def find_account(self, account_id: str) -> PortalAccount | None:
        found = self.accounts.get(account_id)
        return found[0] if found else None

    def account_of_patient(self, patient_id: str) -> PortalAccount | None:
        return next((a for a, _ in self.accounts.values() if a.patient_id == patient_id), None)

    def find_credentials(self, login_name: str) -> tuple[PortalAccount, str] | None:
        return next((found for found in self.accounts.values() if found[0].login_name == login_name), None)

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        self.accounts[account_id] = (self.accounts[account_id][0], password_hash)

    def add_session(self, session: PortalSession) -> None:
        self.sessions[session.id] = session

    def find_session(self, token_hash: str) -> tuple[PortalSession, PortalAccount] | None:
        session = next((s for s in self.sessions.values() if s.token_hash == token_hash), None)
        account = None if session is None else self.find_account(session.account_id)
        return None if session is None or account is None else (session, account)

    def revoke_session(self, session_id: str, at: datetime) -> None:
        self.sessions[session_id] = replace(self.sessions[session_id], revoked_at=at)

    def revoke_sessions_of(self, account_id: str, at: datetime) -> int:
        live = [s for s in self.sessions.values() if s.account_id == account_id and s.revoked_at is None]
        for session in live:
            self.sessions[session.id] = replace(session, revoked_at=at)
        return len(live)

    def add_side_effect(self, report: SideEffectReport, clinic_id: str) -> None:
        self.reports[report.id] = (report, clinic_id)

    def find_side_effect(self, report_id: str) -> SideEffectReport | None:
        found = self.reports.get(report_id)
        return found[0] if found else None

    def side_effects_for(self, patient_id: str) -> list[SideEffectReport]:
        return sorted((r for r, _ in self.reports.values() if r.patient_id == patient_id),
                      key=lambda r: r.reported_at, reverse=True)

    def open_side_effects(self, clinic_id: str, limit: int) -> list[SideEffectReport]:
        return sorted((r for r, c in self.reports.values() if c == clinic_id and r.reviewed_at is None),
                      key=lambda r: r.reported_at)[:limit]

    def mark_side_effect_reviewed(self, report_id: str, by: str, at: datetime) -> bool:
        report, clinic = self.reports[report_id]
        if report.reviewed_at is not None:
            return False
        self.reports[report_id] = (replace(report, reviewed_at=at, reviewed_by=by), clinic)
        return True

    def add_assignment(self, assignment: Assignment) -> None:
        self.assignments[assignment.id] = assignment

    def find_assignment(self, assignment_id: str) -> Assignment | None:
        return self.assignments.get(assignment_id)

    def assignments_for(self, patient_id: str) -> list[Assignment]:
        return sorted((a for a in self.assignments.values() if a.patient_id == patient_id),
                      key=lambda a: a.assigned_at, reverse=True)

    def complete_assignment(self, assignment_id: str, response_id: str, at: datetime) -> bool:
        assignment = self.assignments[assignment_id]
        if assignment.completed_at is not None:
            return False
        self.assignments[assignment_id] = replace(assignment, completed_at=at, response_id=response_id)
        return True
