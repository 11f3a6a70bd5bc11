"""Tables of the patient portal, on the shared :data:`~naltrack.adapters.db.tables.metadata`
(migration ``0017_patient_portal``).

Patient accounts are apart from staff ``users``: their sessions are in ``portal_sessions``, never
in ``api_tokens``, so a patient's cookie or password opens nothing outside ``/portal``. Secrets
are never stored: passwords as argon2 hashes, invite and session tokens as SHA-256 of 32
random bytes.
"""

from __future__ import annotations

import sqlalchemy as sa

from naltrack.adapters.db.tables import UtcDateTime, metadata

_ID = 64

portal_accounts = sa.Table(
    "portal_accounts", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False, unique=True),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id"), nullable=False, index=True),
    sa.Column("login_name", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

portal_invites = sa.Table(
    "portal_invites", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id"), nullable=False),
    sa.Column("login_name", sa.String(64), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(_ID), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
)

portal_sessions = sa.Table(
    "portal_sessions", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("account_id", sa.String(_ID), sa.ForeignKey("portal_accounts.id"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

side_effect_reports = sa.Table(
    "side_effect_reports", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("other_text", sa.String(500)),
    sa.Column("reported_at", UtcDateTime, nullable=False),
    sa.Column("reviewed_at", UtcDateTime),
    sa.Column("reviewed_by", sa.String(_ID)),
    sa.Index("ix_side_effect_reports_open", "clinic_id", "reviewed_at"),
)

questionnaire_assignments = sa.Table(
    "questionnaire_assignments", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("instrument", sa.String(32), nullable=False),
    sa.Column("assigned_by", sa.String(_ID), nullable=False),
    sa.Column("assigned_at", UtcDateTime, nullable=False),
    sa.Column("completed_at", UtcDateTime),
    sa.Column("response_id", sa.String(_ID)),
)

PORTAL_TABLES = (portal_accounts, portal_invites, portal_sessions, side_effect_reports, questionnaire_assignments)
