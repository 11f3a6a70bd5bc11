"""An index on when a sign-in failure was last counted, so that forgotten failures are deleted cheaply.

Revision ID: 0013_sign_in_failures_expiry
Revises: 0012_dose_decisions
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_sign_in_failures_expiry"
down_revision: str | None = "0012_dose_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sign_in_failures_last_failure_at", "sign_in_failures", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_last_failure_at", table_name="sign_in_failures")
