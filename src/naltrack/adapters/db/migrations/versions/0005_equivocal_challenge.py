"""A naloxone challenge can be equivocal (doubt about withdrawal signs; read as failed, clinical.md §2.2).

Revision ID: 0005_equivocal_challenge
Revises: 0004_alert_acknowledgements
Create Date: 2026-12-03 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_equivocal_challenge"
down_revision: str | None = "0004_alert_acknowledgements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("naloxone_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("equivocal", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("naloxone_challenges", schema=None) as batch_op:
        batch_op.drop_column("equivocal")
