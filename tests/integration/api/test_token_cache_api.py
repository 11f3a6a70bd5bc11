"""A remembered token look-up never outlives a revocation made in the process, and one made elsewhere
(another worker, straight in the database) by more than the TTL; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from naltrack.adapters.db.security_tables import api_tokens
from naltrack.adapters.db.token_cache import TOKEN_CACHE_TTL_S
from naltrack.api.sessions import SESSION_COOKIE
from naltrack.domain.security.accounts import Actor
from naltrack.services import security as security_cases
from naltrack.services.security import hash_token

from .conftest import PASSWORD, SecureEnv


def _lookup(env: SecureEnv) -> Any:
    return env.client.app.state.application.token_lookup  # type: ignore[attr-defined]


def _bearer(env: SecureEnv) -> str:
    issued = env.client.post("/api/v1/auth/token", json={"username": "nurse.c1", "password": PASSWORD})
    assert issued.status_code == 200, issued.text
    return str(issued.json()["access_token"])


def test_a_signed_out_token_is_refused_at_once_though_its_lookup_was_remembered(secure_env: SecureEnv) -> None:
    url, raw = f"/api/v1/patients/{secure_env.patients['c1']}", _bearer(secure_env)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert [secure_env.client.get(url, headers=bearer).status_code for _ in range(2)] == [200, 200]
    assert _lookup(secure_env).find_cached(hash_token(raw)) is not None
    assert secure_env.client.delete("/api/v1/auth/token", headers=bearer).status_code == 204
    assert _lookup(secure_env).find_cached(hash_token(raw)) is None
    refused = secure_env.client.get(url, headers=bearer)
    assert refused.status_code == 401 and refused.json()["detail"] == "the token is unknown, expired or revoked"


def test_a_signed_out_session_is_refused_at_once(secure_env: SecureEnv) -> None:
    now, app = datetime.now(UTC), secure_env.client.app
    issued = security_cases.sign_in(secure_env.uow, app.state.sign_in_throttle,  # type: ignore[attr-defined]
                                    "nurse.c1", PASSWORD, None, now, kind="session")
    url, cookie = f"/api/v1/patients/{secure_env.patients['c1']}", {SESSION_COOKIE: issued.token}
    secure_env.client.cookies.clear()
    try:
        secure_env.client.cookies.update(cookie)
        assert [secure_env.client.get(url).status_code for _ in range(2)] == [200, 200]
        security_cases.revoke_token(secure_env.uow, Actor(issued.user, None), issued.token_id, now)  # as sign-out does
        assert secure_env.client.get(url).status_code == 401
    finally:
        secure_env.client.cookies.clear()


def test_a_token_revoked_outside_the_process_is_refused_once_the_ttl_has_passed(
        secure_env: SecureEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    lookup, seconds = _lookup(secure_env), [1000.0]
    monkeypatch.setattr(lookup, "_clock", lambda: seconds[0])
    url, raw = f"/api/v1/patients/{secure_env.patients['c1']}", _bearer(secure_env)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert secure_env.client.get(url, headers=bearer).status_code == 200
    with secure_env.storage.engine.begin() as connection:  # another worker's sign-out: this process is not told
        connection.execute(sa.update(api_tokens).where(api_tokens.c.token_hash == hash_token(raw))
                           .values(revoked_at=datetime.now(UTC)))
    seconds[0] += TOKEN_CACHE_TTL_S - 0.01
    assert secure_env.client.get(url, headers=bearer).status_code == 200  # the documented bound
    seconds[0] += 0.01
    assert secure_env.client.get(url, headers=bearer).status_code == 401


def test_an_unknown_token_is_looked_up_every_time_and_never_remembered(secure_env: SecureEnv) -> None:
    url = f"/api/v1/patients/{secure_env.patients['c1']}"
    for _ in range(2):
        assert secure_env.client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert _lookup(secure_env).find_cached(hash_token("not-a-token")) is None
