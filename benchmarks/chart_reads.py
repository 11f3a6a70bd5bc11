"""Throughput and p99 latency of audited chart reads under 50 concurrent clients on PostgreSQL,
side by side with the same server's bare ``GET /health``, in one run.

The server is ``naltrack serve`` itself (its default: one worker process per core; set
``CHART_BENCH_WORKERS`` to compare) in a subprocess on loopback, over a throwaway PostgreSQL
cluster (or ``NALTRACK_BENCH_DATABASE_URL``) seeded with the demo program. Fifty keep-alive
connections from this process each cycle through the clinic's patients, reading a patient's
demographics (``GET /api/v1/patients/{id}``) and oral doses (``GET /api/v1/patients/{id}/oral-doses``)
in turn: every read authenticates a bearer token, checks tenancy and the role matrix and appends
a hash-chained, sealed audit entry, committed before the answer is sent (on PostgreSQL the entries
of the reads waiting together are chained in one transaction: docs/security.md, "The audit log").

Goal (the load finding of the hardening review): p99 <= 500 ms and at least 4x 47 requests/s
(188 requests/s) on two cores.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks import Figure
from benchmarks._http import free_port, keep_alive_client, percentile, wait_until_up
from benchmarks.api_read import postgres

CLIENTS = 50
PASSWORD = "chart-bench-nurse-pass-42"
NALTRACK = [sys.executable, "-m", "naltrack.cli.main"]


def _env(url: str, data_dir: str) -> dict[str, str]:
    return {**os.environ, "NALTRACK_DATABASE_URL": url, "NALTRACK_DATA_DIR": data_dir,
            "NALTRACK_AUDIT_KEY": os.environ.get("NALTRACK_AUDIT_KEY", "chart-bench-audit-key-" + "b" * 24)}


def seed(env: dict[str, str], patients: int) -> None:
    """The demo program and a nurse of its first clinic, through the CLI."""
    subprocess.run([*NALTRACK, "demo", "--patients", str(patients), "--seed", "7"], env=env, check=True,
                   capture_output=True)
    subprocess.run([*NALTRACK, "users", "add", "bench.nurse", "--role", "nurse", "--clinic", "s7-c1"],
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)


@contextmanager
def served(env: dict[str, str], workers: str | None) -> Iterator[int]:
    """``naltrack serve`` on a free port (``workers`` processes, or its default)."""
    port = free_port()
    extra = ["--workers", workers] if workers else []
    server = subprocess.Popen([*NALTRACK, "serve", "--port", str(port), *extra], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", timeout_s=120, what="naltrack serve")
        yield port
    finally:
        server.terminate()
        server.wait(30)


def _reads(port: int) -> list[bytes]:
    """The chart reads of the clinic's patients, as raw requests with the nurse's token."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "bench.nurse", "password": PASSWORD}).json()
    auth = f"Authorization: Bearer {token['access_token']}\r\n"
    listed = httpx.get(f"{base}/api/v1/patients", params={"limit": 200},
                       headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    paths = [p for item in listed["items"] for p in (f"/api/v1/patients/{item['id']}",
                                                     f"/api/v1/patients/{item['id']}/oral-doses")]
    return [f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode() for path in paths]


async def _load(port: int, requests: list[bytes], per_client: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    began = time.perf_counter()
    await asyncio.gather(*(keep_alive_client(port, requests, per_client, latencies, c * 7)
                           for c in range(CLIENTS)))
    return latencies, time.perf_counter() - began


def run(quick: bool = False) -> list[Figure]:
    per_client = 10 if quick else 40
    workers = os.environ.get("CHART_BENCH_WORKERS")
    with postgres() as url, tempfile.TemporaryDirectory(prefix="naltrack-chart-bench-") as data_dir:
        env = _env(url, data_dir)
        seed(env, 40 if quick else 200)
        with served(env, workers) as port:
            reads, health = _reads(port), [f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()]
            asyncio.run(_load(port, reads, 3))  # warm up both
            asyncio.run(_load(port, health, 3))
            health_ms, health_s = asyncio.run(_load(port, health, per_client))
            read_ms, read_s = asyncio.run(_load(port, reads, per_client))
    n, label = CLIENTS * per_client, f"{workers or 'default'} workers"
    return [
        Figure(f"audited chart read throughput ({CLIENTS} clients, {n:,} requests, {label})", n / read_s,
               "requests/s", "/health", n / health_s, goal=">= 188 requests/s (4x 47)"),
        Figure("audited chart read p99 latency", percentile(read_ms, 99), "ms", "/health p99",
               percentile(health_ms, 99), goal="<= 500 ms", lower_is_better=True),
        Figure("audited chart read p50 latency", percentile(read_ms, 50), "ms", "/health p50",
               percentile(health_ms, 50), lower_is_better=True),
    ]
