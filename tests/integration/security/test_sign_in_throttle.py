"""Sign-in throttling in the database, on SQLite and PostgreSQL: shared by two app instances on
one database, kept across a restart, a progressive delay after which the right password works."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from tests.seeding import seed

from naltrack.adapters.db.security_tables import sign_in_failures
from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.patients import Clinic
from naltrack.services import security as security_cases
from naltrack.services.security import NotAuthenticated, SignInThrottle, TooManyAttempts, add_user, sign_in

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "amber kettle orbit violin"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
THROTTLE = SignInThrottle()
WRONG = {"username": "nurse.kim", "password": "not the password"}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security_cases, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def make_app(url: str, folder: Path) -> FastAPI:
    return create_app(Settings(database_url=url, data_dir=folder, secret_key="test-secret", timezone="UTC"))


@pytest.fixture()
def apps(database_url: str, tmp_path: Path) -> Iterator[list[FastAPI]]:
    """Two app instances (two server processes' worth of state) on one database, with nurse.kim."""
    pair = [make_app(database_url, tmp_path), make_app(database_url, tmp_path)]
    seed(pair[0].state.storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic")])
    add_user(pair[0].state.secure_uow, "nurse.kim", PASSWORD, "nurse", "c1", NOW)
    yield pair
    for app in pair:
        app.state.storage.close()


def token_post(app: FastAPI, body: dict[str, str], address: str = "192.0.2.10") -> int:
    client = TestClient(app, raise_server_exceptions=False, client=(address, 40000))
    return client.post("/api/v1/auth/token", json=body).status_code


def fail(app: FastAPI, times: int, at: datetime, source: str = "192.0.2.10", name: str = "nurse.kim") -> None:
    for _ in range(times):
        with pytest.raises(NotAuthenticated):
            sign_in(app.state.secure_uow, THROTTLE, name, "not the password", source, at)


def stored_failures(app: FastAPI) -> list[int]:
    with app.state.storage.engine.connect() as connection:
        return sorted(connection.execute(sa.select(sign_in_failures.c.failures)).scalars())


def test_failures_on_two_instances_add_up(apps: list[FastAPI]) -> None:
    first, second = apps
    statuses = [token_post(app, WRONG) for app in (first, second, first, second, first)]
    assert statuses == [401] * 5
    assert token_post(second, WRONG) == 429
    assert token_post(first, {"username": "nurse.kim", "password": PASSWORD}) == 429
    assert stored_failures(first) == [5, 5]  # the name and the address; refused tries are not counted


def test_the_wait_outlives_a_restart(apps: list[FastAPI], database_url: str, tmp_path: Path) -> None:
    first, second = apps
    assert [token_post(first, WRONG) for _ in range(5)] == [401] * 5
    for app in apps:
        app.state.storage.close()
    restarted = make_app(database_url, tmp_path)
    try:
        assert token_post(restarted, {"username": "nurse.kim", "password": PASSWORD}) == 429
    finally:
        restarted.state.storage.close()


def test_the_delay_doubles_up_to_its_cap_and_the_right_password_works_after_it(apps: list[FastAPI]) -> None:
    app = apps[0]
    fail(app, 5, NOW)
    with pytest.raises(TooManyAttempts) as waiting:
        sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "192.0.2.10", NOW + timedelta(seconds=14))
    assert waiting.value.retry_after_s == 1
    at = NOW + timedelta(seconds=15)
    waits = []
    for _ in range(8):
        fail(app, 1, at)
        with pytest.raises(TooManyAttempts) as waiting:
            sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "192.0.2.10", at)
        waits.append(waiting.value.retry_after_s)
        at += timedelta(seconds=waiting.value.retry_after_s)
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    issued = sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "192.0.2.10", at)
    assert issued.user.username == "nurse.kim"
    assert stored_failures(app) == [13]  # the address keeps its count; the name's is cleared


def test_an_attacker_does_not_lock_the_user_out_past_the_wait(apps: list[FastAPI]) -> None:
    app = apps[0]
    fail(app, 5, NOW, source="203.0.113.66")
    with pytest.raises(TooManyAttempts):
        sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "198.51.100.7", NOW + timedelta(seconds=5))
    issued = sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "198.51.100.7",
                     NOW + timedelta(seconds=15))
    assert issued.user.role == "nurse"
    fail(app, 1, NOW + timedelta(seconds=16), source="203.0.113.66")  # the count started again
    sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "198.51.100.7", NOW + timedelta(seconds=17))


def test_one_address_spraying_many_names_waits_and_others_do_not(apps: list[FastAPI]) -> None:
    app = apps[0]
    for number in range(30):
        fail(app, 1, NOW, source="203.0.113.66", name=f"ghost{number}")
    with pytest.raises(TooManyAttempts) as waiting:
        sign_in(app.state.secure_uow, THROTTLE, "ghost99", "not the password", "203.0.113.66", NOW)
    assert waiting.value.retry_after_s == 15
    assert sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "198.51.100.7", NOW).user.clinic_id == "c1"


def test_failures_older_than_an_hour_are_forgotten(apps: list[FastAPI]) -> None:
    app = apps[0]
    fail(app, 4, NOW)
    fail(app, 4, NOW + timedelta(hours=1, seconds=1))  # 4 again, not 8: no wait
    assert sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "192.0.2.10",
                   NOW + timedelta(hours=1, seconds=2)).user.username == "nurse.kim"


def test_a_success_deletes_the_forgotten_failures_of_every_key(apps: list[FastAPI]) -> None:
    app = apps[0]
    fail(app, 2, NOW, source="203.0.113.1", name="ghost1")
    fail(app, 1, NOW + timedelta(minutes=30), source="203.0.113.2", name="ghost2")
    assert stored_failures(app) == [1, 1, 2, 2]
    sign_in(app.state.secure_uow, THROTTLE, "nurse.kim", PASSWORD, "198.51.100.7", NOW + timedelta(minutes=61))
    assert stored_failures(app) == [1, 1]  # ghost2 and its address, failed within the hour


def test_failures_at_the_same_moment_on_two_instances_all_count(apps: list[FastAPI]) -> None:
    for app in apps:  # FastAPI builds its routes on the first request; not the race under test
        assert TestClient(app).get("/api/v1/auth/me").status_code == 401
    barrier = threading.Barrier(len(apps))
    statuses: list[int] = []

    def guess(app: FastAPI, name: str) -> None:
        barrier.wait()
        statuses.extend(token_post(app, {"username": name, "password": "not the password"}) for _ in range(4))

    threads = [threading.Thread(target=guess, args=(app, f"ghost{n}")) for n, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [401] * 8
    assert stored_failures(apps[0]) == [4, 4, 8]  # each name, and the one address both used
