"""Shared fixtures: a throwaway PostgreSQL server and a fresh migrated database per test.

PostgreSQL comes from the Debian binaries (``/usr/lib/postgresql/*/bin``), started on a
random loopback port in a temporary directory; as root, ``initdb`` and ``pg_ctl`` run as
the ``postgres`` user (``reference/platform-notes.md``). Without the binaries the
PostgreSQL tests skip, unless ``NALTRACK_REQUIRE_POSTGRES=1``: then they fail.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# naltrack refuses to start without an audit secret: the tests (and the commands they run) use one
# of their own, and write audit checkpoints to a temporary file.
os.environ.setdefault("NALTRACK_AUDIT_KEY", secrets.token_hex(32))
os.environ.setdefault("NALTRACK_AUDIT_CHECKPOINTS", str(Path(tempfile.mkdtemp(prefix="naltrack-audit-")) / "cp.jsonl"))
if str(ROOT) not in sys.path:  # lets tests import tests.factories under --import-mode=importlib
    sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()])
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresServer:
    """A cluster in a temporary directory, trust auth, loopback only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="naltrack-pg-"))
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def start(self) -> None:
        data = self.dir / "data"
        subprocess.run(_as_postgres([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True)
        subprocess.run(_as_postgres([str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w",
                                     "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}", "start"]),
                       check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w",
                                     "stop"]), check=False, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("NALTRACK_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL binaries not found but NALTRACK_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin)")
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A migrated template database; each test copies it (CREATE DATABASE ... TEMPLATE)."""
    import sqlalchemy as sa

    from naltrack.adapters.db.migrate import migrate

    engine = sa.create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE DATABASE naltrack_template"))
    engine.dispose()
    migrate(postgres_server.url("naltrack_template"))
    return "naltrack_template"


def _fresh_postgres(server: PostgresServer, template: str | None) -> str:
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        suffix = f" TEMPLATE {template}" if template else ""
        connection.execute(sa.text(f"CREATE DATABASE {name}{suffix}"))
    engine.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to a fresh database with no tables, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return _fresh_postgres(request.getfixturevalue("postgres_server"), None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to a fresh, migrated, empty database, on each backend."""
    if request.param == "sqlite":
        from naltrack.adapters.db.migrate import migrate

        url = f"sqlite:///{tmp_path / 'naltrack.db'}"
        migrate(url)
        return url
    server = request.getfixturevalue("postgres_server")
    return _fresh_postgres(server, request.getfixturevalue("postgres_template"))


@pytest.fixture()
def storage(database_url: str) -> Iterator[object]:
    """A :class:`naltrack.bootstrap.Storage` on the fresh database (schema already at head)."""
    from naltrack.bootstrap import Storage

    store = Storage(database_url)
    try:
        yield store
    finally:
        store.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, and tests that call ``asyncio.run`` cannot follow it."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.fspath).replace(os.sep, "/"))


@pytest.fixture(scope="session")
def spark_ready() -> None:
    """Spark in local mode can run here: pyspark (the ``spark`` extra) and Java. Without them the Spark tests
    skip, unless ``NALTRACK_REQUIRE_SPARK=1`` (``make test``, CI): then they fail, naming what is missing."""
    import importlib.util

    missing = [name for name, present in (("pyspark (pip install 'naltrack[spark]')",
                                           importlib.util.find_spec("pyspark") is not None),
                                          ("java (Debian: openjdk-17-jre-headless)", shutil.which("java") is not None))
               if not present]
    if missing:
        if os.environ.get("NALTRACK_REQUIRE_SPARK") == "1":
            pytest.fail(f"Spark tests need {' and '.join(missing)} but NALTRACK_REQUIRE_SPARK=1")
        pytest.skip(f"Spark is not available: {' and '.join(missing)} missing")
