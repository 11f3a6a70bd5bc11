"""Use cases of the patient portal's accounts: the one-time invite, setting a password, sign-in and sessions.

Staff who may change a patient's demographics (front desk, nurse, prescriber: the role matrix's
``demographics``/``update``) invite a patient from the chart. The invite is a random token shown
once to hand over; only its SHA-256 is stored, it expires after
:data:`~naltrack.domain.security.patient_accounts.INVITE_TTL` and is used once. The patient sets
their own password under the staff password policy (:func:`check_password_strength`, zxcvbn), then
signs in. Sign-in is throttled by the staff :class:`SignInThrottle` over the same stored failures
(keys of their own, ``portal:`` names), answers the same for an unknown name and a wrong password,
and is audited either way. Patient sessions live in ``uow.portal``, never among the staff tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from naltrack.domain.errors import InvalidInput, NotAuthenticated, NotFound
from naltrack.domain.security.accounts import Actor, check_password_strength
from naltrack.domain.security.audit import AuditEvent, Outcome
from naltrack.domain.security.patient_accounts import (
    INVITE_TTL,
    PORTAL_SESSION_TTL,
    PatientPrincipal,
    PortalAccount,
    PortalInvite,
    check_login_name,
)
from naltrack.services.access import Access, authorized_patient, run_audited
from naltrack.services.context import AppContext
from naltrack.services.portal_ports import PortalSession
from naltrack.services.security import hash_token, new_id
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.sign_in_throttle import SignInThrottle

_HASHER = PasswordHasher()
_DUMMY: list[str] = []
#: The one answer to an invite link that is unknown, used or expired: nothing tells them apart.
INVITE_UNUSABLE = "invite link"
PATIENT_PURPOSE = "patient-request"


@dataclass(frozen=True)
class IssuedInvite:
    """An invite as shown once to the staff member who hands it over."""

    token: str
    login_name: str
    expires_at: datetime
    invite_id: str


@dataclass(frozen=True)
class IssuedPortalSession:
    token: str
    expires_at: datetime
    principal: PatientPrincipal
    session_id: str


def patient_actor(principal: PatientPrincipal, source: str | None) -> Actor:
    """The actor of a patient's own request: their principal, for the purpose "patient request"."""
    return Actor(user=principal, source=source, purpose=PATIENT_PURPOSE)


def invite_patient(ctx: AppContext, actor: Actor, patient_id: str, login_name: str, now: datetime) -> IssuedInvite:
    """A one-time portal invite for a patient of the actor's clinic (roles that update demographics); the patient's
    earlier unused links stop working.

    Raises
    ------
    InvalidInput
        A login name that is malformed or held by another patient's account.
    NotFound, AccessDenied
        A patient outside the clinic; a role that may not update demographics.
    """
    name = check_login_name(login_name)
    access = Access(actor=actor, action="update", category="demographics", now=now, record_type="portal-invites")

    def body(uow: SecureUnitOfWork, access: Access) -> IssuedInvite:
        patient = authorized_patient(uow, access, patient_id)
        holder = uow.portal.find_credentials(name)
        if holder is not None and holder[0].patient_id != patient.id:
            raise InvalidInput("login_name", name, "cannot be used; choose another login name")
        withdrawn = uow.portal.withdraw_invites(patient.id, now)  # one live link per patient: the newest
        raw = secrets.token_urlsafe(32)
        invite = PortalInvite(id=new_id(), patient_id=patient.id, clinic_id=patient.clinic_id, login_name=name,
                              token_hash=hash_token(raw), created_by=actor.user.id, created_at=now,
                              expires_at=now + INVITE_TTL)
        uow.portal.add_invite(invite)
        access.wrote("portal-invites", invite.id, patient.id, detail=f"portal invite for {name}"
                     + (f", {withdrawn} earlier link(s) withdrawn" if withdrawn else ""))
        return IssuedInvite(raw, name, invite.expires_at, invite.id)

    return run_audited(ctx.uow, access, body)


def find_invite(ctx: AppContext, raw_token: str, now: datetime) -> PortalInvite:
    """The invite behind a link, if it can still be used; :class:`NotFound` otherwise (one answer for all)."""
    with ctx.uow() as uow:
        invite = uow.portal.find_invite(hash_token(raw_token or ""))
    if invite is None or not invite.is_usable(now):
        raise NotFound(INVITE_UNUSABLE, "this link")
    return invite


def accept_invite(ctx: AppContext, raw_token: str, login_name: str, password: str, source: str | None,
                  now: datetime) -> PatientPrincipal:
    """Use an invite: the patient chooses their login name and password; the invite is spent.

    A patient who has an account already (a second invite, e.g. a forgotten password) gets a new
    password on it, and every session opened with the old one ends. Audited with the patient as the actor.

    Raises
    ------
    NotFound
        The link is unknown, used or expired (the same answer).
    InvalidInput
        The login name is malformed or taken; the password fails the policy (field ``password``).
    """
    token_hash = hash_token(raw_token or "")
    name = check_login_name(login_name)
    check_password_strength(password, name)
    with ctx.uow() as uow:
        invite = uow.portal.find_invite(token_hash)
        if invite is None or not invite.is_usable(now) or not uow.portal.use_invite(invite.id, now):
            raise NotFound(INVITE_UNUSABLE, "this link")
        holder = uow.portal.find_credentials(name)
        if holder is not None and holder[0].patient_id != invite.patient_id:
            raise InvalidInput("login_name", name, "cannot be used; choose another login name")
        account = uow.portal.account_of_patient(invite.patient_id)
        if account is None:
            account = PortalAccount(id=f"pt-{new_id()}", patient_id=invite.patient_id, clinic_id=invite.clinic_id,
                                    login_name=name, created_at=now)
            uow.portal.add_account(account, _HASHER.hash(password))
        elif account.login_name != name:
            raise InvalidInput("login_name", name, f"this account's login name is {account.login_name}")
        else:  # a new password: every session opened with the old one ends
            uow.portal.set_password_hash(account.id, _HASHER.hash(password))
            uow.portal.revoke_sessions_of(account.id, now)
        _audit(uow, account.id, account.clinic_id, "create", now, source, patient_id=account.patient_id,
               record_id=invite.id, detail="portal invite used, password set")
        uow.commit()
    return account.principal()


def sign_in(ctx: AppContext, throttle: SignInThrottle, login_name: str, password: str, source: str | None,
            now: datetime) -> IssuedPortalSession:
    """Check the password and open a portal session; throttled and audited like the staff sign-in."""
    name = (login_name or "").strip().lower()
    keys = throttle.keys(f"portal:{name}", source)
    with ctx.uow() as uow:
        throttle.check(uow.sign_ins, keys, now)
        found = uow.portal.find_credentials(name)
        account = _verify(found, password)
        if account is None:
            throttle.record_failure(uow.sign_ins, keys, now)
            _audit(uow, name or "-", found[0].clinic_id if found else None, "sign-in", now, source,
                   outcome="denied", detail="portal")
            uow.commit()
            raise NotAuthenticated()
        throttle.record_success(uow.sign_ins, keys, now)
        raw = secrets.token_urlsafe(32)
        session = PortalSession(new_id(), hash_token(raw), account.id, now, now + PORTAL_SESSION_TTL)
        uow.portal.add_session(session)
        _audit(uow, account.id, account.clinic_id, "sign-in", now, source, record_id=session.id,
               patient_id=account.patient_id, detail="portal")
        uow.commit()
    return IssuedPortalSession(raw, session.expires_at, account.principal(), session.id)


def _verify(found: tuple[PortalAccount, str] | None, password: str) -> PortalAccount | None:
    if not _DUMMY:
        _DUMMY.append(_HASHER.hash(secrets.token_urlsafe(16)))
    account, stored = found if found is not None else (None, _DUMMY[0])
    try:
        _HASHER.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    return account if account is not None and account.active else None


def authenticate(ctx: AppContext, raw: str, now: datetime) -> tuple[PatientPrincipal, str]:
    """The patient of a portal session and the session id; :class:`NotAuthenticated` if unknown, expired,
    revoked or the account is disabled."""
    with ctx.uow() as uow:
        found = uow.portal.find_session(hash_token(raw or ""))
    if found is None or not found[0].is_valid(now) or not found[1].active:
        raise NotAuthenticated("the portal session is unknown, expired or revoked")
    return found[1].principal(), found[0].id


def sign_out(ctx: AppContext, raw: str, source: str | None, now: datetime) -> None:
    """Revoke the portal session (audited); an unknown session is nothing to do."""
    try:
        principal, session_id = authenticate(ctx, raw, now)
    except NotAuthenticated:
        return
    with ctx.uow() as uow:
        uow.portal.revoke_session(session_id, now)
        _audit(uow, principal.id, principal.clinic_id, "sign-out", now, source, record_id=session_id,
               patient_id=principal.patient_id, detail="portal")
        uow.commit()


def _audit(uow: SecureUnitOfWork, actor: str, clinic_id: str | None, action: str, now: datetime,
           source: str | None, *, outcome: Outcome = "allowed", record_id: str | None = None,
           patient_id: str | None = None, detail: str | None = None) -> None:
    uow.security.append_audit(AuditEvent(
        at=now, actor=actor, clinic_id=clinic_id, action=action, category="users", record_type="portal-accounts",
        record_id=record_id, patient_id=patient_id, purpose=PATIENT_PURPOSE, outcome=outcome, source=source,
        detail=detail))
