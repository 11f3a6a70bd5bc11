"""Engines for the two supported databases.

SQLite (the embedded default, one file in the data directory) runs in WAL mode with
foreign keys enforced and a busy timeout, so the web server and a CLI command can share
the file, and with ``synchronous=FULL``, so a commit is on disk before it is acknowledged
(docs/security.md, "Durability"). PostgreSQL goes through psycopg 3; ``postgresql://`` URLs are read as
``postgresql+psycopg://``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, StaticPool

#: How long a SQLite writer waits for another one before failing, milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: SQLite's ``synchronous`` level. FULL syncs the WAL at every commit: a recorded dose survives a power
#: failure. NORMAL syncs only at checkpoints and may lose the last commits (sqlite.org/pragma.html#pragma_synchronous).
SQLITE_SYNCHRONOUS = "FULL"
#: A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out, seconds. One
#: back in the pool more recently was working a moment ago; pinging it too would add a round trip to every
#: checkout (two per API request: the token's and the request's own unit of work).
POSTGRES_PING_AFTER_IDLE_S = 2.0
#: Connections a process's PostgreSQL pool keeps open, and none beyond. SQLAlchemy's default (5 kept, 10 more
#: opened on demand and closed on return) opened and closed a connection every 7 audited reads under 50 clients:
#: a PostgreSQL backend started and warmed its caches each time. The most at once is the same 15 as before.
POSTGRES_POOL_SIZE = 15


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare PostgreSQL URLs.

    Examples
    --------
    >>> normalize_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> normalize_url("sqlite:///x.db")
    'sqlite:///x.db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``, configured for its backend."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    return _postgres_engine(parsed, echo)


def _postgres_engine(url: sa.URL, echo: bool) -> Engine:
    """A PostgreSQL engine whose pool pings a connection that sat idle (a restarted server, a dropped link).

    A failed ping raises ``DisconnectionError``: the pool drops that connection and every other one opened
    before it, and hands out a new one (SQLAlchemy's "pessimistic" disconnect handling, by idle time).
    """
    engine = sa.create_engine(url, echo=echo, pool_size=POSTGRES_POOL_SIZE, max_overflow=0)

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is not None and time.monotonic() - idle_since <= POSTGRES_PING_AFTER_IDLE_S:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure of the ping means a connection not to use
            raise sa.exc.DisconnectionError(f"pooled connection failed its ping: {exc}") from exc

    return engine


def _sqlite_engine(url: sa.URL, echo: bool) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(str(url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, echo=echo, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine
