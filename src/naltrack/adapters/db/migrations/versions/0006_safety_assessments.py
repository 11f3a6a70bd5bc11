"""Suicide-risk safety assessments: what closes the PHQ-9 item 9 alert (clinical.md §5).

Revision ID: 0006_safety_assessments
Revises: 0005_equivocal_challenge
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_safety_assessments"
down_revision: str | None = "0005_equivocal_challenge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "safety_assessments"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("supersedes", sa.String(64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at_utc_offset_s", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_at_utc_offset_s", sa.Integer(), nullable=True),
        sa.Column("risk_level", sa.String(16), nullable=False),
        sa.Column("actions", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("assessed_by", sa.String(100), nullable=False),
        sa.Column("assessor_role", sa.String(16), nullable=False),
        sa.Column("response_id", sa.String(64), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_safety_assessments_patient_id_patients")),
        sa.ForeignKeyConstraint(["supersedes"], [f"{TABLE}.id"],
                                name=op.f("fk_safety_assessments_supersedes_safety_assessments")),
        sa.ForeignKeyConstraint(["response_id"], ["questionnaire_responses.id"],
                                name=op.f("fk_safety_assessments_response_id_questionnaire_responses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_assessments")),
    )
    op.create_index(op.f("ix_safety_assessments_patient_id"), TABLE, ["patient_id"])
    op.create_index(op.f("ix_safety_assessments_patient_id_assessed_at"), TABLE, ["patient_id", "assessed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_safety_assessments_patient_id_assessed_at"), table_name=TABLE)
    op.drop_index(op.f("ix_safety_assessments_patient_id"), table_name=TABLE)
    op.drop_table(TABLE)
