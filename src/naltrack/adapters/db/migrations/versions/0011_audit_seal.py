"""Audit seal: a per-entry HMAC column, a head row from the start, and more guards.

``audit_log.mac`` holds each entry's seal (HMAC-SHA256 with the audit key, kept outside the
database); entries written before keep NULL. ``audit_head`` gets its starting row (seq 0,
the genesis hash) so that the first append locks a row like every other. New guards: a
statement-level TRUNCATE trigger on both audit tables (PostgreSQL) and a head that only
moves forward (both databases).

Revision ID: 0011_audit_seal
Revises: 0010_sign_in_failures
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from naltrack.adapters.db import security_tables as st
from naltrack.domain.security.audit import GENESIS_HASH

revision: str = "0011_audit_seal"
down_revision: str | None = "0010_sign_in_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    # 0002 builds audit_log from the live table definition, which already has the column.
    if "mac" not in {c["name"] for c in sa.inspect(bind).get_columns("audit_log")}:
        op.execute(sa.text("ALTER TABLE audit_log ADD COLUMN mac VARCHAR(64)"))
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) SELECT 1, 0, :genesis "
                       "WHERE NOT EXISTS (SELECT 1 FROM audit_head)").bindparams(genesis=GENESIS_HASH))
    dialect = bind.dialect.name
    for name in st.GUARDS_OF_0011[dialect]:
        for statement in st.AUDIT_GUARDS[dialect][name][1]:
            op.execute(sa.text(statement))


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for name in st.GUARDS_OF_0011[dialect]:
        table = st.AUDIT_GUARDS[dialect][name][0]
        op.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else "")))
    if dialect == "postgresql":
        for function in st.GUARD_FUNCTIONS_OF_0011:
            op.execute(sa.text(f"DROP FUNCTION IF EXISTS {function}"))
    op.execute(sa.text("DELETE FROM audit_head WHERE seq = 0"))
    # Not a batch (which would copy the table and lose its triggers on SQLite).
    op.execute(sa.text("ALTER TABLE audit_log DROP COLUMN mac"))
