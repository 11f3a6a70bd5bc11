"""Patient contact and reminders: consent to contact per channel, the reminder outbox, inbound
SMS replies and calendar-link tokens.

Revision ID: 0016_patient_contact_reminders
Revises: 0015_regimen_indication
Create Date: 2026-12-04 18:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from naltrack.adapters.db import reminder_tables as rt

revision: str = "0016_patient_contact_reminders"
down_revision: str | None = "0015_regimen_indication"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in rt.REMINDER_TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(rt.REMINDER_TABLES):
        table.drop(bind)
