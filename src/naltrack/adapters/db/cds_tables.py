"""Tables of the CDS Hooks service's memory between calls, on the shared
:data:`~naltrack.adapters.db.tables.metadata` (migration ``0019_cds_call_state``;
:mod:`naltrack.services.cds_state` says what each is for).

- ``cds_used_tokens``: the SHA-256 of each verified call's ``iss`` and ``jti``, until the token expires.
- ``cds_call_windows``: feedback calls per caller (a SHA-256 key) in the current window.
- ``cds_issued_cards``: cards issued to a verified EHR, for the audit of their feedback; kept for
  :data:`~naltrack.services.cds_state.CARD_MEMORY`.
"""

from __future__ import annotations

import sqlalchemy as sa

from naltrack.adapters.db.tables import UtcDateTime, metadata

_ID = 64

cds_used_tokens = sa.Table(
    "cds_used_tokens", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)

cds_call_windows = sa.Table(
    "cds_call_windows", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("window_start", UtcDateTime, nullable=False, index=True),
    sa.Column("calls", sa.Integer, nullable=False),
)

cds_issued_cards = sa.Table(
    "cds_issued_cards", metadata,
    sa.Column("card_uuid", sa.String(_ID), primary_key=True),
    sa.Column("service_id", sa.String(_ID), nullable=False),
    sa.Column("rule", sa.String(_ID), nullable=False),
    sa.Column("ehr_patient_id", sa.Text, nullable=False),
    sa.Column("indicator", sa.String(16), nullable=False),
    sa.Column("caller", sa.Text, nullable=False),
    sa.Column("linked_patient_id", sa.String(_ID)),
    sa.Column("issued_at", UtcDateTime, nullable=False, index=True),
)

CDS_TABLES = (cds_used_tokens, cds_call_windows, cds_issued_cards)
