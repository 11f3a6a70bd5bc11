"""Throughput and p99 latency of an audited patient read, ``GET /api/v1/patients/{id}``, under
concurrent load on PostgreSQL, side by side with the same server's bare ``GET /health``.

The server is the real app (``create_app``) under uvicorn in a subprocess on loopback; the
load comes from this process (plain asyncio keep-alive connections, so the client's cost
stays small beside the server's on a two-core machine). Each patient read authenticates a
bearer token, checks tenancy and the least-privilege matrix, reads the patient and appends a
hash-chained audit entry in the same transaction. The PostgreSQL server is a throwaway
cluster in a temporary directory (or ``NALTRACK_BENCH_DATABASE_URL``).

Goal (issue 5): patient-read throughput at least 50% of ``/health``'s.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from benchmarks import Figure
from benchmarks._http import free_port, keep_alive_client, percentile, wait_until_up

CLIENTS = 16
WORKERS = int(os.environ.get("API_BENCH_WORKERS", "2"))
PASSWORD = "benchmark-prescriber-pass"


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback (reference/platform-notes.md), or the given URL."""
    given = os.environ.get("NALTRACK_BENCH_DATABASE_URL")
    if given:
        yield given
        return
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    root = tempfile.mkdtemp(prefix="naltrack-bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    data = os.path.join(root, "data")
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                 "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
                                 f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=200",
                                 "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def seed(url: str) -> tuple[str, str]:
    """A clinic, a synthetic patient and a prescriber; returns (patient id, bearer token)."""
    from naltrack.adapters.db.engine import create_engine
    from naltrack.adapters.db.migrate import migrate
    from naltrack.adapters.db.security_repository import secure_uow_factory
    from naltrack.domain.patients import Clinic, Patient
    from naltrack.services import security

    engine = create_engine(url)
    migrate(engine)
    factory = secure_uow_factory(engine)
    with factory() as uow:
        uow.clinics.add(Clinic(id="bench", name="Benchmark clinic"))
        uow.patients.add(Patient(id="bench-p1", clinic_id="bench", given_name="Ada", family_name="Synthetic",
                                 birth_date=date(1990, 5, 1), sex_at_birth="female", mrn="BENCH-1"))
        uow.commit()
    now = datetime.now(UTC)
    security.add_user(factory, "bench.prescriber", PASSWORD, "prescriber", "bench", now)
    issued = security.sign_in(factory, security.SignInThrottle(), "bench.prescriber", PASSWORD, "bench", now)
    engine.dispose()
    return "bench-p1", issued.token


def build_app() -> object:
    from naltrack.api.app import create_app
    from naltrack.config import Settings

    return create_app(Settings(database_url=os.environ["NALTRACK_BENCH_URL"]))


def serve(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run("benchmarks.api_read:build_app", factory=True, host="127.0.0.1", port=port, workers=workers,
                log_level="warning", access_log=False)


async def _load(port: int, raw: bytes, per_client: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(keep_alive_client(port, [raw], per_client, latencies) for _ in range(CLIENTS)))
    return latencies, time.perf_counter() - start


def _get(path: str, port: int, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode()


def run(quick: bool = False) -> list[Figure]:
    per_client = 20 if quick else 150
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with postgres() as url:
        patient_id, token = seed(url)
        port = free_port()
        env = {**os.environ, "NALTRACK_BENCH_URL": url}
        server = subprocess.Popen([sys.executable, "-m", "benchmarks.api_read", "serve", str(port), str(WORKERS)],
                                  cwd=root, env=env)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/health", what="the API server")
            read, health = _get(f"/api/v1/patients/{patient_id}", port, token), _get("/health", port)
            asyncio.run(_load(port, read, 10))  # warm up both
            asyncio.run(_load(port, health, 10))
            health_ms, health_s = asyncio.run(_load(port, health, per_client))
            read_ms, read_s = asyncio.run(_load(port, read, per_client))
        finally:
            server.terminate()
            server.wait(20)
    n = CLIENTS * per_client
    return [
        Figure(f"patient read throughput ({CLIENTS} clients, {n:,} requests, {WORKERS} workers)", n / read_s,
               "requests/s", "/health", n / health_s, goal=">= 0.5x /health"),
        Figure("patient read p99 latency", percentile(read_ms, 99), "ms", "/health p99", percentile(health_ms, 99),
               lower_is_better=True),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
