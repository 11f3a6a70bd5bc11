"""The port of the patient portal's storage: accounts, invites, sessions, side-effect reports and the
questionnaires the clinic assigns. Reached as ``uow.portal`` on the secure unit of work, so that each
change is written in the same transaction as its audit entry."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from naltrack.domain.security.patient_accounts import PortalAccount, PortalInvite
from naltrack.domain.side_effects import SideEffectReport


@dataclass(frozen=True)
class PortalSession:
    """A portal session as stored: only the SHA-256 of its secret."""

    id: str
    token_hash: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class Assignment:
    """A questionnaire the clinic asked the patient to fill in; done once ``completed_at`` is set."""

    id: str
    patient_id: str
    instrument: str
    assigned_by: str
    assigned_at: datetime
    completed_at: datetime | None = None
    response_id: str | None = None


class PortalRepository(abc.ABC):
    """Storage of the portal."""

    @abc.abstractmethod
    def add_invite(self, invite: PortalInvite) -> None: ...

    @abc.abstractmethod
    def find_invite(self, token_hash: str) -> PortalInvite | None: ...

    @abc.abstractmethod
    def use_invite(self, invite_id: str, at: datetime) -> bool:
        """Mark the invite used at ``at`` if it was not; ``False`` when it was used already (one use, even racing)."""

    @abc.abstractmethod
    def withdraw_invites(self, patient_id: str, at: datetime) -> int:
        """Spend every unused invite of the patient at ``at`` (a new invite replaces them); how many."""

    @abc.abstractmethod
    def add_account(self, account: PortalAccount, password_hash: str) -> None: ...

    @abc.abstractmethod
    def find_account(self, account_id: str) -> PortalAccount | None: ...

    @abc.abstractmethod
    def account_of_patient(self, patient_id: str) -> PortalAccount | None: ...

    @abc.abstractmethod
    def find_credentials(self, login_name: str) -> tuple[PortalAccount, str] | None: ...

    @abc.abstractmethod
    def set_password_hash(self, account_id: str, password_hash: str) -> None: ...

    @abc.abstractmethod
    def add_session(self, session: PortalSession) -> None: ...

    @abc.abstractmethod
    def find_session(self, token_hash: str) -> tuple[PortalSession, PortalAccount] | None: ...

    @abc.abstractmethod
    def revoke_session(self, session_id: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_sessions_of(self, account_id: str, at: datetime) -> int:
        """Revoke every live session of the account (its password changed); how many."""

    @abc.abstractmethod
    def add_side_effect(self, report: SideEffectReport, clinic_id: str) -> None: ...

    @abc.abstractmethod
    def find_side_effect(self, report_id: str) -> SideEffectReport | None: ...

    @abc.abstractmethod
    def side_effects_for(self, patient_id: str) -> list[SideEffectReport]:
        """The patient's reports, newest first."""

    @abc.abstractmethod
    def open_side_effects(self, clinic_id: str, limit: int) -> list[SideEffectReport]:
        """The clinic's reports not reviewed yet, oldest first."""

    @abc.abstractmethod
    def mark_side_effect_reviewed(self, report_id: str, by: str, at: datetime) -> bool: ...

    @abc.abstractmethod
    def add_assignment(self, assignment: Assignment) -> None: ...

    @abc.abstractmethod
    def find_assignment(self, assignment_id: str) -> Assignment | None: ...

    @abc.abstractmethod
    def assignments_for(self, patient_id: str) -> list[Assignment]:
        """The patient's assignments, newest first."""

    @abc.abstractmethod
    def complete_assignment(self, assignment_id: str, response_id: str, at: datetime) -> bool: ...
