"""Secure service: users, tokens, consents, disclosures, break-the-glass grants, audit log.

Revision ID: 0002_security
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from naltrack.adapters.db import security_tables as st

revision: str = "0002_security"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (st.users, st.api_tokens, st.consents, st.disclosures, st.break_glass, st.audit_log, st.audit_head)


def upgrade() -> None:
    bind = op.get_bind()
    for table in _TABLES:
        table.create(bind)
    guard = st.POSTGRES_AUDIT_GUARD if bind.dialect.name == "postgresql" else st.SQLITE_AUDIT_GUARD
    for statement in guard:
        op.execute(sa.text(statement))


def downgrade() -> None:
    bind = op.get_bind()
    unguard = st.POSTGRES_AUDIT_UNGUARD if bind.dialect.name == "postgresql" else st.SQLITE_AUDIT_UNGUARD
    for statement in unguard:
        op.execute(sa.text(statement))
    for table in reversed(_TABLES):
        table.drop(bind)
