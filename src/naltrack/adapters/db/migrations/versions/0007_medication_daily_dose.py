"""The amount of a medicine taken per day (mg): loperamide above a daily amount is opioid exposure.

Revision ID: 0007_medication_daily_dose
Revises: 0006_safety_assessments
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_medication_daily_dose"
down_revision: str | None = "0006_safety_assessments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("medication_uses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("daily_dose_mg", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("medication_uses", schema=None) as batch_op:
        batch_op.drop_column("daily_dose_mg")
