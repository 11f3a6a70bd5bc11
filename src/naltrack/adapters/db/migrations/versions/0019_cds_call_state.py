"""The CDS Hooks service's memory between calls, shared by every server process: used JWT ids, feedback
calls per caller, and the cards issued to verified EHRs.

Revision ID: 0019_cds_call_state
Revises: 0018_clinic_phone
Create Date: 2026-12-05 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from naltrack.adapters.db import cds_tables as ct

revision: str = "0019_cds_call_state"
down_revision: str | None = "0018_clinic_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in ct.CDS_TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(ct.CDS_TABLES):
        table.drop(bind)
