"""Creating accounts over the API: the password policy names its rule, and a user name held in
another clinic is refused in the same words as one held in the admin's own (no oracle)."""

from __future__ import annotations

from typing import Any

import pytest

from naltrack.services.security import USERNAME_UNAVAILABLE

from .conftest import SecureEnv

STRONG = "amber kettle orbit violin"


def create(env: SecureEnv, username: str, password: str = STRONG) -> Any:
    return env.client.post("/api/v1/users", json={"username": username, "password": password, "role": "nurse"},
                           headers=env.headers("c1", "admin"))


def usernames(env: SecureEnv) -> list[str]:
    return [u["username"] for u in env.client.get("/api/v1/users", headers=env.headers("c1", "admin")).json()]


def test_a_name_held_in_another_clinic_reads_like_one_held_here(secure_env: SecureEnv) -> None:
    before = usernames(secure_env)
    elsewhere, here = create(secure_env, "nurse.c2"), create(secure_env, "nurse.c1")
    assert elsewhere.status_code == here.status_code == 422
    problems = [r.json() for r in (elsewhere, here)]
    assert [p["field"] for p in problems] == ["user.username"] * 2
    assert [p["detail"].replace(p["value"], "NAME") for p in problems] == [
        f"user.username: 'NAME' {USERNAME_UNAVAILABLE}"] * 2
    assert "taken" not in elsewhere.text and "c2" not in elsewhere.text.replace("nurse.c2", "")
    assert usernames(secure_env) == before
    assert create(secure_env, "nurse.new").status_code == 201


@pytest.mark.parametrize(("password", "rule"), [
    ("password1234", "is too easy to guess (This is a very common password.)"),
    (" " * 12, "must not be only spaces"),
    ("Nurse.Fresh1", "is too easy to guess"),
    ("nurse.fresh.x", "is too easy to guess"),
    ("short pass", "must be at least 12 characters"),
])
def test_a_weak_password_is_422_naming_the_rule_and_writes_nothing(
        secure_env: SecureEnv, password: str, rule: str) -> None:
    before = usernames(secure_env)
    response = create(secure_env, "nurse.fresh", password)
    problem = response.json()
    assert response.status_code == 422 and problem["field"] == "password" and problem["value"] == "***"
    assert rule in problem["detail"] and password not in response.text
    assert usernames(secure_env) == before


def test_the_user_name_itself_is_refused_as_a_password(secure_env: SecureEnv) -> None:
    response = create(secure_env, "kettle.orbit.violin", "Kettle.Orbit.Violin")
    assert response.status_code == 422 and response.json()["detail"].endswith("must not be the user name")
