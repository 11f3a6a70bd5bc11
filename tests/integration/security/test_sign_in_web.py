"""Sign-in over HTTP: forwarded headers believed only from trusted proxies (throttle and audit),
the login CSRF check (``Origin: null`` and other sites), the session cookie's Secure flag by the
scheme the client used, and the sign-in form's inline errors."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from tests.seeding import seed

from naltrack.adapters.db.security_tables import audit_log, sign_in_failures
from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.patients import Clinic
from naltrack.services import security as security_cases
from naltrack.services.security import add_user

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "amber kettle orbit violin"
PROXY = "10.1.2.3"
OUTSIDER = "192.0.2.99"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One database for the module, with nurse.kim; argon2 at its smallest cost (many sign-ins)."""
    folder = tmp_path_factory.mktemp("sign-in-web")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security_cases, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        app = make_app(folder)
        seed(app.state.storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic")])
        add_user(app.state.secure_uow, "nurse.kim", PASSWORD, "nurse", "c1", datetime.now(UTC))
        app.state.storage.close()
        yield folder


def make_app(folder: Path, **settings: Any) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{folder / 'web.db'}", data_dir=folder,
                               secret_key="test-secret", timezone="UTC", **settings))


@pytest.fixture()
def app_with(seeded: Path) -> Iterator[Any]:
    """Build the app with some settings; the failures counted by earlier tests are forgotten."""
    built: list[FastAPI] = []

    def build(**settings: Any) -> FastAPI:
        app = make_app(seeded, trusted_proxies=f"{PROXY}/32", **settings)
        built.append(app)
        with app.state.storage.engine.begin() as connection:
            connection.execute(sa.delete(sign_in_failures))
        return app

    yield build
    for app in built:
        app.state.storage.close()


def client(app: FastAPI, peer: str = OUTSIDER, base_url: str = "http://clinic.example") -> TestClient:
    return TestClient(app, base_url=base_url, client=(peer, 40000), raise_server_exceptions=False)


def sign_in(web: TestClient, password: str = PASSWORD, **headers: str) -> Any:
    return web.post("/sign-in", data={"username": "nurse.kim", "password": password}, headers=headers,
                    follow_redirects=False)


def sign_in_sources(app: FastAPI, after: int) -> list[str | None]:
    """The addresses recorded by the sign-in entries after ``after``."""
    with app.state.storage.engine.connect() as connection:
        query = (sa.select(audit_log.c.source).where(audit_log.c.action == "sign-in", audit_log.c.seq > after)
                 .order_by(audit_log.c.seq))
        return list(connection.execute(query).scalars())


def audit_head(app: FastAPI) -> int:
    with app.state.storage.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(audit_log.c.seq), 0))).scalar_one())


# --- forwarded headers ---------------------------------------------------------------------------

def test_forwarded_for_from_a_client_is_ignored_by_the_throttle_and_the_audit(app_with: Any) -> None:
    app = app_with()
    web, before = client(app), audit_head(app)
    statuses = [web.post("/api/v1/auth/token", json={"username": f"ghost{n}", "password": "not the password"},
                         headers={"X-Forwarded-For": f"198.51.100.{n}", "Forwarded": f"for=198.51.100.{n}"})
                .status_code for n in range(31)]
    assert statuses == [401] * 30 + [429]
    assert sign_in_sources(app, before) == [OUTSIDER] * 30


def test_a_trusted_proxy_names_the_client_for_the_throttle_and_the_audit(app_with: Any) -> None:
    app = app_with()
    web, before = client(app, peer=PROXY), audit_head(app)
    for n in range(6):  # six names from six clients behind the proxy: no address reaches its limit
        assert web.post("/api/v1/auth/token", json={"username": f"ghost{n}", "password": "not the password"},
                        headers={"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.{n}"}).status_code == 401
    assert sign_in(web, **{"Forwarded": 'for="[2001:db8::17]:4711";proto=http'}).status_code == 303
    assert sign_in_sources(app, before) == [*(f"198.51.100.{n}" for n in range(6)), "2001:db8::17"]


# --- login CSRF ------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["null", "https://evil.example", "https://clinic.example"])
def test_a_sign_in_from_a_null_or_foreign_origin_is_refused(app_with: Any, origin: str) -> None:
    response = sign_in(client(app_with()), Origin=origin)
    assert response.status_code == 403 and f"a sign-in from another site ({origin}) is refused" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 303),
    ({"Origin": "http://clinic.example", "Sec-Fetch-Site": "same-origin"}, 303),
    ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),
    ({"Origin": "null", "Sec-Fetch-Site": "same-site"}, 403),
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"Origin": "http://clinic.example", "Sec-Fetch-Site": "cross-site"}, 403),
    ({}, 303),
])
def test_null_passes_only_when_the_browser_says_the_page_was_this_sites(
        app_with: Any, headers: dict[str, str], status: int) -> None:
    assert sign_in(client(app_with()), **headers).status_code == status


def test_the_sign_in_page_asks_the_browser_to_send_its_origin(app_with: Any) -> None:
    assert '<meta name="referrer" content="same-origin">' in client(app_with()).get("/sign-in").text


def test_a_sign_in_from_the_apps_own_origin_passes_behind_a_tls_proxy(app_with: Any) -> None:
    app = app_with()
    assert sign_in(client(app), Origin="http://clinic.example").status_code == 303
    behind = sign_in(client(app, peer=PROXY), Origin="https://clinic.example", **{"X-Forwarded-Proto": "https"})
    assert behind.status_code == 303
    forged = sign_in(client(app), Origin="https://clinic.example", **{"X-Forwarded-Proto": "https"})
    assert forged.status_code == 403


# --- the session cookie's Secure flag --------------------------------------------------------------

@pytest.mark.parametrize(("setting", "peer", "base_url", "headers", "secure"), [
    ("auto", OUTSIDER, "http://clinic.example", {}, False),
    ("auto", OUTSIDER, "https://clinic.example", {}, True),
    ("auto", PROXY, "http://clinic.example", {"X-Forwarded-Proto": "https"}, True),
    ("auto", PROXY, "http://clinic.example", {"Forwarded": "for=198.51.100.1;proto=https"}, True),
    ("auto", OUTSIDER, "http://clinic.example", {"X-Forwarded-Proto": "https"}, False),
    ("always", OUTSIDER, "http://clinic.example", {}, True),
    ("never", OUTSIDER, "https://clinic.example", {}, False),
])
def test_the_session_cookie_is_secure_when_the_client_used_https(
        app_with: Any, setting: str, peer: str, base_url: str, headers: dict[str, str], secure: bool) -> None:
    response = sign_in(client(app_with(cookie_secure=setting), peer=peer, base_url=base_url), **headers)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("naltrack_session=") and "HttpOnly" in cookie
    assert ("; Secure" in cookie) is secure, cookie


def test_the_bind_address_does_not_decide_the_secure_flag(app_with: Any) -> None:
    cookie = sign_in(client(app_with(host="0.0.0.0"))).headers["set-cookie"]
    assert "; Secure" not in cookie
    cookie = sign_in(client(app_with(host="127.0.0.1"), base_url="https://clinic.example")).headers["set-cookie"]
    assert "; Secure" in cookie


# --- the form's inline errors ------------------------------------------------------------------------

def test_the_sign_in_form_says_how_long_to_wait_and_keeps_the_name(app_with: Any) -> None:
    web = client(app_with())
    assert [sign_in(web, "not the password").status_code for _ in range(5)] == [401] * 5
    waiting = sign_in(web)
    assert waiting.status_code == 429
    assert "too many failed sign-ins: try again in 15 seconds" in waiting.text
    assert 'value="nurse.kim"' in waiting.text and PASSWORD not in waiting.text


# --- the admin's accounts page ---------------------------------------------------------------------

@pytest.fixture()
def admin(app_with: Any, seeded: Path) -> TestClient:
    app = app_with()
    with app.state.storage.engine.connect() as connection:
        known = set(connection.execute(sa.text("SELECT username FROM users")).scalars())
    if "admin.ana" not in known:
        seed(app.state.storage.uow, clinics=[Clinic(id="c2", name="Bay Clinic")])
        add_user(app.state.secure_uow, "admin.ana", PASSWORD, "admin", "c1", datetime.now(UTC))
        add_user(app.state.secure_uow, "nurse.bay", PASSWORD, "nurse", "c2", datetime.now(UTC))
    web = client(app)
    assert web.post("/sign-in", data={"username": "admin.ana", "password": PASSWORD},
                    follow_redirects=False).status_code == 303
    return web


def create_account(web: TestClient, username: str, password: str) -> Any:
    page = web.get("/users")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return web.post("/users", data={"csrf_token": token, "username": username, "role": "nurse",
                                    "password": password}, follow_redirects=False)


@pytest.mark.parametrize(("password", "error"), [
    ("password1234", "Password: is too easy to guess (This is a very common password.)"),
    (" " * 12, "Password: must not be only spaces"),
    ("short one", "Password: must be at least 12 characters"),
    ("Nurse.New.Kim", "Password: must not be the user name"),
    ("", "Password: is required"),
])
def test_a_weak_password_is_refused_inline_naming_the_rule(admin: TestClient, password: str, error: str) -> None:
    response = create_account(admin, "nurse.new.kim", password)
    assert response.status_code == 422
    assert f'<p class="error" id="e-password">{error}' in response.text
    assert 'aria-invalid="true"' in response.text and 'value="nurse.new.kim"' in response.text
    assert (password.strip() == "" or password not in response.text) and "nurse.new.kim</td>" not in response.text


def test_a_name_held_in_another_clinic_is_refused_inline_in_neutral_words(admin: TestClient) -> None:
    elsewhere, here = create_account(admin, "nurse.bay", PASSWORD), create_account(admin, "nurse.kim", PASSWORD)
    assert elsewhere.status_code == here.status_code == 422
    assert "Username: &#39;nurse.bay&#39; cannot be used; choose another user name" in elsewhere.text
    assert "Username: &#39;nurse.kim&#39; cannot be used; choose another user name" in here.text
    assert "taken" not in elsewhere.text and "Bay Clinic" not in elsewhere.text


def test_an_admin_creates_an_account_that_can_sign_in(admin: TestClient) -> None:
    created = create_account(admin, "nurse.lin", "quiet harbor lantern moss")
    assert created.status_code == 303 and created.headers["location"] == "/users"
    assert "<td>nurse.lin</td><td>nurse</td><td>yes</td>" in admin.get("/users").text
    signed_in = client(admin.app).post("/sign-in", follow_redirects=False,
                                       data={"username": "nurse.lin", "password": "quiet harbor lantern moss"})
    assert signed_in.status_code == 303


def test_only_an_admin_sees_the_accounts_page(app_with: Any) -> None:
    web = client(app_with())
    assert sign_in(web).status_code == 303
    assert web.get("/users").status_code == 403
