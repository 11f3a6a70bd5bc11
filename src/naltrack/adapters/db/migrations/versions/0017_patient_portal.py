"""The patient portal: patient accounts, one-time invites and sessions (apart from staff users and tokens),
side-effect reports, questionnaires assigned to a patient, and the craving rating of a diary day.

Revision ID: 0017_patient_portal
Revises: 0016_patient_contact_reminders
Create Date: 2026-12-04 18:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_patient_portal"
down_revision: str | None = "0016_patient_contact_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 64


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _ref(name: str, table: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(_ID), sa.ForeignKey(f"{table}.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("id", sa.String(_ID), primary_key=True),
        _ref("patient_id", "patients"), _ref("clinic_id", "clinics"),
        sa.Column("login_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        sa.UniqueConstraint("patient_id"), sa.UniqueConstraint("login_name"),
    )
    op.create_index("ix_portal_accounts_clinic_id", "portal_accounts", ["clinic_id"])
    op.create_table(
        "portal_invites",
        sa.Column("id", sa.String(_ID), primary_key=True),
        _ref("patient_id", "patients"), _ref("clinic_id", "clinics"),
        sa.Column("login_name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(_ID), nullable=False),
        _when("created_at", nullable=False), _when("expires_at", nullable=False), _when("used_at"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_portal_invites_patient_id", "portal_invites", ["patient_id"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _ref("account_id", "portal_accounts"),
        _when("created_at", nullable=False), _when("expires_at", nullable=False), _when("revoked_at"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_portal_sessions_account_id", "portal_sessions", ["account_id"])
    op.create_table(
        "side_effect_reports",
        sa.Column("id", sa.String(_ID), primary_key=True),
        _ref("patient_id", "patients"), _ref("clinic_id", "clinics"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("other_text", sa.String(500)),
        _when("reported_at", nullable=False), _when("reviewed_at"),
        sa.Column("reviewed_by", sa.String(_ID)),
    )
    op.create_index("ix_side_effect_reports_patient_id", "side_effect_reports", ["patient_id"])
    op.create_index("ix_side_effect_reports_open", "side_effect_reports", ["clinic_id", "reviewed_at"])
    op.create_table(
        "questionnaire_assignments",
        sa.Column("id", sa.String(_ID), primary_key=True),
        _ref("patient_id", "patients"),
        sa.Column("instrument", sa.String(32), nullable=False),
        sa.Column("assigned_by", sa.String(_ID), nullable=False),
        _when("assigned_at", nullable=False), _when("completed_at"),
        sa.Column("response_id", sa.String(_ID)),
    )
    op.create_index("ix_questionnaire_assignments_patient_id", "questionnaire_assignments", ["patient_id"])
    with op.batch_alter_table("drinking_days", schema=None) as batch_op:
        batch_op.add_column(sa.Column("craving", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drinking_days", schema=None) as batch_op:
        batch_op.drop_column("craving")
    for table in ("questionnaire_assignments", "side_effect_reports", "portal_sessions", "portal_invites",
                  "portal_accounts"):
        op.drop_table(table)
