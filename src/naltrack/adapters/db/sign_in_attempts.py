"""Failed sign-ins in the database (:class:`~naltrack.services.sign_in_throttle.SignInAttempts`).

One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` counts a failure, so two server
processes failing the same key at once both count (SQLite 3.35+ and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from naltrack.adapters.db.security_tables import sign_in_failures as table
from naltrack.services.sign_in_throttle import SignInAttempts


class SqlSignInAttempts(SignInAttempts):
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def blocked_until(self, keys: Sequence[str]) -> datetime | None:
        query = sa.select(sa.func.max(table.c.blocked_until)).where(table.c.key.in_(list(keys)))
        until: datetime | None = self._c.execute(query).scalar()
        return until

    def add_failure(self, key: str, now: datetime, forget_before: datetime) -> int:
        dialect = postgresql if self._c.dialect.name == "postgresql" else sqlite
        stale = table.c.last_failure_at < forget_before
        statement = dialect.insert(table).values(key=key, failures=1, last_failure_at=now, blocked_until=None)
        statement = statement.on_conflict_do_update(index_elements=[table.c.key], set_={
            "failures": sa.case((stale, 1), else_=table.c.failures + 1),
            "blocked_until": sa.case((stale, None), else_=table.c.blocked_until),
            "last_failure_at": now,
        })
        return int(self._c.execute(statement.returning(table.c.failures)).scalar_one())

    def block(self, key: str, until: datetime) -> None:
        self._c.execute(sa.update(table).where(table.c.key == key).values(blocked_until=until))

    def clear(self, key: str) -> None:
        self._c.execute(sa.delete(table).where(table.c.key == key))

    def forget(self, before: datetime) -> None:
        self._c.execute(sa.delete(table).where(table.c.last_failure_at < before))
