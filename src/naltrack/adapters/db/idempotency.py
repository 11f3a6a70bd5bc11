"""The idempotency store in SQL: one row per (user, key) with the kept answer, on the shared metadata.

:meth:`SqlIdempotencyRepository.keep` is one statement on both databases: an insert that
replaces only an expired row of the same key (``ON CONFLICT ... DO UPDATE ... WHERE ...
RETURNING``). A key still in use changes nothing and returns no row: a ``Conflict``. On
PostgreSQL a racing insert of the same key waits for the first transaction, then sees its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from naltrack.adapters.db.tables import JsonType, UtcDateTime, metadata
from naltrack.domain.errors import Conflict
from naltrack.services.idempotency_ports import IdempotencyRepository, KeptResponse, StoredResponse

idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    sa.Column("actor_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("headers", JsonType, nullable=False),
    sa.Column("patient_id", sa.String(64)),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)


def _kept(row: Any) -> KeptResponse:
    response = StoredResponse(row["status"], row["body"], tuple((str(k), str(v)) for k, v in row["headers"]))
    return KeptResponse(actor_id=row["actor_id"], key=row["key"], request_hash=row["request_hash"], response=response,
                        created_at=row["created_at"], expires_at=row["expires_at"], patient_id=row["patient_id"],
                        category=row["category"])


class SqlIdempotencyRepository(IdempotencyRepository):
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def find(self, actor_id: str, key: str, now: datetime) -> KeptResponse | None:
        t = idempotency_keys
        row = self._c.execute(sa.select(t).where(t.c.actor_id == actor_id, t.c.key == key,
                                                 t.c.expires_at > now)).mappings().first()
        return None if row is None else _kept(row)

    def keep(self, kept: KeptResponse) -> None:
        values = {"actor_id": kept.actor_id, "key": kept.key, "request_hash": kept.request_hash,
                  "status": kept.response.status, "body": kept.response.body,
                  "headers": [list(h) for h in kept.response.headers], "patient_id": kept.patient_id,
                  "category": kept.category, "created_at": kept.created_at, "expires_at": kept.expires_at}
        insert = (postgresql.insert if self._c.dialect.name == "postgresql" else sqlite.insert)(idempotency_keys)
        statement = insert.values(values).on_conflict_do_update(
            index_elements=["actor_id", "key"], set_={k: insert.excluded[k] for k in values},
            where=idempotency_keys.c.expires_at <= insert.excluded.created_at).returning(idempotency_keys.c.key)
        if self._c.execute(statement).first() is None:
            raise Conflict(f"Idempotency-Key {kept.key!r} is in use by another request of this user")

    def purge(self, now: datetime) -> int:
        return int(self._c.execute(sa.delete(idempotency_keys).where(idempotency_keys.c.expires_at <= now)).rowcount)
