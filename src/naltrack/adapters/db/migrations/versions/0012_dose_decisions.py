"""Pre-dose decisions: each naltrexone dose given (its class, confirmations, a prescriber's override and
reason), held or refused (domain/dose_decisions.py).

Revision ID: 0012_dose_decisions
Revises: 0011_audit_seal
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_dose_decisions"
down_revision: str | None = "0011_audit_seal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "dose_decisions"
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


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
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at_utc_offset_s", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("dose_class", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("dose_id", sa.String(64), nullable=True),
        sa.Column("confirmed", JSON, nullable=False),
        sa.Column("overridden", JSON, nullable=False),
        sa.Column("override_reason", sa.String(500), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_dose_decisions_patient_id_patients")),
        sa.ForeignKeyConstraint(["supersedes"], [f"{TABLE}.id"],
                                name=op.f("fk_dose_decisions_supersedes_dose_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_decisions")),
    )
    op.create_index(op.f("ix_dose_decisions_patient_id"), TABLE, ["patient_id"])
    op.create_index(op.f("ix_dose_decisions_patient_id_decided_at"), TABLE, ["patient_id", "decided_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dose_decisions_patient_id_decided_at"), table_name=TABLE)
    op.drop_index(op.f("ix_dose_decisions_patient_id"), table_name=TABLE)
    op.drop_table(TABLE)
