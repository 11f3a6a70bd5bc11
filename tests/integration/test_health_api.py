"""The server over real HTTP: ``naltrack serve`` on a free loopback port, then /health and /api/v1/patients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from naltrack import __version__
from naltrack.bootstrap import Storage

NALTRACK = [sys.executable, "-m", "naltrack.cli.main"]
PASSWORD = "correct horse battery staple 42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{data / 'n.db'}"
    env = {**os.environ, "NALTRACK_DATABASE_URL": url, "NALTRACK_DATA_DIR": str(data)}
    subprocess.run([*NALTRACK, "demo", "--patients", "30", "--seed", "4"], env=env, check=True, capture_output=True)
    subprocess.run([*NALTRACK, "users", "add", "nurse1", "--role", "nurse", "--clinic", "s4-c1"],
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
    with serving(env, data) as base:
        yield base, url


@contextmanager
def serving(env: dict[str, str], data: Path) -> Iterator[str]:
    """``naltrack serve`` on a free loopback port with ``env``, its log in ``data``: the base URL once it answers."""
    port = _free_port()
    log = (data / "server.log").open("w")
    process = subprocess.Popen([*NALTRACK, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, data / "server.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"server did not answer within 60 s: {log.read_text()}")


def test_health_answers_ok_with_the_version(server: tuple[str, str]) -> None:
    response = httpx.get(f"{server[0]}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_patients_list_needs_a_signed_in_user(server: tuple[str, str]) -> None:
    response = httpx.get(f"{server[0]}/api/v1/patients")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def _sign_in(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "nurse1", "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_patients_list_pages_the_clinics_patients(server: tuple[str, str]) -> None:
    base, url = server
    headers = _sign_in(base)
    storage = Storage(url)
    try:
        with storage.uow() as uow:
            expected_items = uow.patients.search(clinic_id="s4-c1", limit=500)
            expected_total = uow.patients.count(clinic_id="s4-c1")
    finally:
        storage.close()
    first = httpx.get(f"{base}/api/v1/patients", params={"limit": 3, "offset": 0}, headers=headers)
    second = httpx.get(f"{base}/api/v1/patients", params={"limit": 3, "offset": 3}, headers=headers)
    assert first.status_code == 200 and second.status_code == 200
    body = first.json()
    assert body["total"] == expected_total > 3
    assert (body["limit"], body["offset"]) == (3, 0)
    ids = [p["id"] for p in body["items"] + second.json()["items"]]
    assert ids == [p.id for p in expected_items[:6]]


def test_patients_list_rejects_a_limit_beyond_the_page_size(server: tuple[str, str]) -> None:
    response = httpx.get(f"{server[0]}/api/v1/patients", params={"limit": 0}, headers=_sign_in(server[0]))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "limit" in response.text
