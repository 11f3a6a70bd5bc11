"""A naltrexone order can name what it is for: OUD, AUD, both, or stimulant use.

Revision ID: 0015_regimen_indication
Revises: 0014_structured_counseling_notes
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_regimen_indication"
down_revision: str | None = "0014_structured_counseling_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("regimens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indication", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("regimens", schema=None) as batch_op:
        batch_op.drop_column("indication")
