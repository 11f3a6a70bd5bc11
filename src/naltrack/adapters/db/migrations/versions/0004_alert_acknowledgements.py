"""Acknowledgements of monitoring alerts: who saw which alert (rule and record) and when.

Revision ID: 0004_alert_acknowledgements
Revises: 0003_local_offsets
Create Date: 2026-11-22 05:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_alert_acknowledgements"
down_revision: str | None = "0003_local_offsets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_acknowledgements",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("patient_id", sa.String(64), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("acknowledged_by", sa.String(100), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.UniqueConstraint("patient_id", "rule", "subject", name="uq_alert_acknowledgements_alert"),
    )
    op.create_index("ix_alert_acknowledgements_clinic_id_acknowledged_at", "alert_acknowledgements",
                    ["clinic_id", "acknowledged_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_acknowledgements_clinic_id_acknowledged_at", table_name="alert_acknowledgements")
    op.drop_table("alert_acknowledgements")
