"""The PostgreSQL pool pings a connection that sat idle, and only such a one.

A server that dropped a pooled connection (a restart, an idle-session timeout, a failover) must not fail
the next request: the ping finds the dead connection and the pool hands out a fresh one. A connection
checked in a moment ago is handed out without the extra round trip.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from naltrack.adapters.db import engine as engine_module
from naltrack.adapters.db.engine import create_engine

pytestmark = pytest.mark.postgres


@pytest.fixture()
def postgres_url(postgres_server: object) -> str:
    return postgres_server.url()  # type: ignore[attr-defined,no-any-return]


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    killer.dispose()


def _pings(engine: sa.Engine) -> list[str]:
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    return seen


def test_an_idle_connection_dropped_by_the_server_is_replaced(postgres_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url)
    first = _backend_pid(engine)
    _terminate(postgres_url, first)
    monkeypatch.setattr(engine_module, "POSTGRES_PING_AFTER_IDLE_S", 0.0)  # every checkout counts as idle

    second = _backend_pid(engine)

    assert second != first
    engine.dispose()


def test_a_recently_used_connection_is_handed_out_without_a_ping(postgres_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url)
    first = _backend_pid(engine)
    monkeypatch.setattr(engine_module, "POSTGRES_PING_AFTER_IDLE_S", 3600.0)
    _terminate(postgres_url, first)

    # No ping: the dead connection is handed out, its first statement fails and the pool drops it...
    with pytest.raises(sa.exc.OperationalError):
        _backend_pid(engine)
    # ...and the next checkout opens a new one.
    assert _backend_pid(engine) != first
    engine.dispose()


def test_the_ping_is_not_a_statement_of_the_request(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url)
    _backend_pid(engine)
    statements = _pings(engine)
    monkeypatch.setattr(engine_module, "POSTGRES_PING_AFTER_IDLE_S", 0.0)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 41 + 1")).scalar_one() == 42
    assert statements == ["SELECT 41 + 1"]
    engine.dispose()


def test_connections_opened_under_load_stay_open_and_are_capped(postgres_url: str) -> None:
    """Fifteen connections at once are all kept after they are returned (none closed, so the next burst
    starts no PostgreSQL backend), and a sixteenth at once waits for one of them instead of opening more."""
    engine = create_engine(postgres_url)
    held = [engine.connect() for _ in range(engine_module.POSTGRES_POOL_SIZE)]
    pids = {int(c.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()) for c in held}
    with pytest.raises(sa.exc.TimeoutError):
        engine.pool._timeout = 0.2  # type: ignore[attr-defined]  # QueuePool's wait for a free connection
        engine.connect()
    for connection in held:
        connection.close()

    assert len(pids) == 15
    assert engine.pool.checkedin() == 15  # type: ignore[attr-defined]
    again = [engine.connect() for _ in range(15)]
    assert {int(c.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()) for c in again} == pids
    for connection in again:
        connection.close()
    engine.dispose()
