"""A counseling session's note can be structured: its format (free, DAP or BIRP) and the sections of that format.

Revision ID: 0014_structured_counseling_notes
Revises: 0013_sign_in_failures_expiry
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_structured_counseling_notes"
down_revision: str | None = "0013_sign_in_failures_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("counseling_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_format", sa.String(8), nullable=False, server_default="free"))
        batch_op.add_column(sa.Column("note_sections", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                                      nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("counseling_sessions", schema=None) as batch_op:
        batch_op.drop_column("note_sections")
        batch_op.drop_column("note_format")
