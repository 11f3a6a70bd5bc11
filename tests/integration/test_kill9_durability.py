"""Durability under ``kill -9``, on SQLite and PostgreSQL: ``naltrack serve`` (two workers) takes
oral doses from eight clients, each dose sent with its own ``Idempotency-Key``; the whole server
(parent and workers) is killed with SIGKILL in the middle of the load and started again.

Asserted afterwards: every acknowledged (201) dose is stored, ``naltrack audit verify`` finds the
chain intact, and re-sending every dose that got no answer with its key records each dose exactly
once (so a client that retries after a crash never doubles a dose). The load phase is bounded
(at most :data:`LOAD_S` seconds before the kill); the whole test stays under a minute per backend on
an idle two-core machine.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

NALTRACK = [sys.executable, "-m", "naltrack.cli.main"]
PASSWORD = "kill nine durability 42"
CLIENTS = 8
#: The load runs until :data:`KILL_AFTER` writes are acknowledged or :data:`LOAD_S` seconds pass, then SIGKILL.
LOAD_S = 15.0
KILL_AFTER = 60
pytestmark = pytest.mark.slow
LOG = logging.getLogger(__name__)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen([*NALTRACK, "serve", "--port", str(self.port), "--workers", "2"],
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"server did not answer within 90 s: {self.log.read_text()}")

    def kill9(self) -> None:
        """SIGKILL to the server's whole process group: the parent and every worker, mid-request."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


@dataclass
class Load:
    """What the clients sent and what the server acknowledged."""

    sent: dict[str, dict[str, object]] = field(default_factory=dict)  # key -> body
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> record id
    lock: threading.Lock = field(default_factory=threading.Lock)


def _first_clinic(database_url: str) -> str:
    """The clinic of the demo's first patient: the nurse must see at least one patient."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("SELECT clinic_id FROM patients ORDER BY id LIMIT 1")).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture()
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = {**os.environ, "NALTRACK_DATABASE_URL": database_url, "NALTRACK_DATA_DIR": str(tmp_path),
           "NALTRACK_AUDIT_KEY": os.environ.get("NALTRACK_AUDIT_KEY", "kill-nine-test-audit-key-" + "k" * 16)}
    subprocess.run([*NALTRACK, "demo", "--patients", "3", "--seed", "9"], env=env, check=True, capture_output=True)
    subprocess.run([*NALTRACK, "users", "add", "nurse9", "--role", "nurse", "--clinic", _first_clinic(database_url)],
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
    served = Server(env, _free_port(), tmp_path / "server.log")
    try:
        served.start()
        yield served
    finally:
        served.stop()


def _dose(n: int) -> dict[str, object]:
    taken = datetime.now(UTC) - timedelta(days=1, seconds=n)
    return {"taken_at": taken.isoformat(), "dose_mg": 50.0, "dose_status": "taken"}


def _client(base: str, headers: dict[str, str], patient: str, worker: int, load: Load, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
        n = 0
        while not stop.is_set():
            key, body = f"k9-{worker}-{n}", _dose(worker * 100_000 + n)
            n += 1
            with load.lock:
                load.sent[key] = body
            try:
                response = client.post(f"/api/v1/patients/{patient}/oral-doses", json=body,
                                       headers={"Idempotency-Key": key})
            except httpx.TransportError:
                time.sleep(0.05)  # the server is down: this dose got no answer
                continue
            if response.status_code == 201:
                with load.lock:
                    load.acknowledged[key] = response.json()["id"]


def _drive(server: Server, headers: dict[str, str], patient: str) -> Load:
    load, stop = Load(), threading.Event()
    threads = [threading.Thread(target=_client, args=(server.base, headers, patient, w, load, stop))
               for w in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + LOAD_S
    while time.monotonic() < deadline and len(load.acknowledged) < KILL_AFTER:
        time.sleep(0.05)
    server.kill9()  # mid-load: the clients are still sending
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(10)
    return load


def _stored_doses(database_url: str, patient: str) -> list[str]:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id FROM oral_doses WHERE patient_id = :p"), {"p": patient})
            return [str(r[0]) for r in rows]
    finally:
        engine.dispose()


def test_kill_9_mid_load_loses_no_acknowledged_write_and_retries_record_once(server: Server,
                                                                            database_url: str) -> None:
    started = time.monotonic()
    token = httpx.post(f"{server.base}/api/v1/auth/token", json={"username": "nurse9", "password": PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    patient = httpx.get(f"{server.base}/api/v1/patients", headers=headers).json()["items"][0]["id"]
    before = set(_stored_doses(database_url, patient))
    load = _drive(server, headers, patient)
    assert len(load.acknowledged) >= 5, "too little load reached the server before the kill"
    server.start()
    stored = set(_stored_doses(database_url, patient)) - before
    lost = set(load.acknowledged.values()) - stored
    assert not lost, f"{len(lost)} acknowledged doses lost"
    verified = subprocess.run([*NALTRACK, "audit", "verify"], env=server.env, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    unanswered = {k: b for k, b in load.sent.items() if k not in load.acknowledged}
    with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
        for key, body in unanswered.items():
            retry = client.post(f"/api/v1/patients/{patient}/oral-doses", json=body, headers={"Idempotency-Key": key})
            assert retry.status_code == 201, retry.text
    after = _stored_doses(database_url, patient)
    assert len(after) - len(before) == len(load.sent) == len(set(after) - before)
    LOG.info(f"kill -9: {len(load.acknowledged)} acknowledged, 0 lost, {len(unanswered)} unanswered re-sent, "
          f"{len(stored) - len(load.acknowledged)} committed unanswered (recorded once on retry); "
          f"{time.monotonic() - started:.1f} s")
