"""A patient's identity data: identifiers (looked up by system and value), telecom, address, race, ethnicity, names.

Revision ID: 0008_patient_identity
Revises: 0007_medication_daily_dose
Create Date: 2026-12-03 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_patient_identity"
down_revision: str | None = "0007_medication_daily_dose"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "patient_identifiers"
JSON_COLUMNS = ("telecom", "address", "race", "ethnicity", "names")


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        for name in JSON_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                                          nullable=True))
    op.create_table(
        TABLE,
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(255), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("type_code", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_patient_identifiers_patient_id_patients")),
        sa.PrimaryKeyConstraint("patient_id", "position", name=op.f("pk_patient_identifiers")),
        sa.UniqueConstraint("patient_id", "system", "value",
                            name=op.f("uq_patient_identifiers_patient_id_system_value")),
    )
    op.create_index(op.f("ix_patient_identifiers_system_value"), TABLE, ["system", "value"])


def downgrade() -> None:
    op.drop_index(op.f("ix_patient_identifiers_system_value"), table_name=TABLE)
    op.drop_table(TABLE)
    with op.batch_alter_table("patients", schema=None) as batch_op:
        for name in reversed(JSON_COLUMNS):
            batch_op.drop_column(name)
