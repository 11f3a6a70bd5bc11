"""Security headers, caching of PHI, the API documentation pages and SQLite durability, over the real app."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from tests.seeding import seed

from naltrack.adapters.db.engine import create_engine
from naltrack.api.app import create_app
from naltrack.api.security_headers import PAGE_POLICY
from naltrack.config import Settings
from naltrack.domain.patients import Clinic
from naltrack.services.security import add_user

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
FRAME_ONLY = "frame-ancestors 'none'"


def make_app(folder, *, demo: bool = False):
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'h.db'}", secret_key="test-secret",
                        timezone="America/New_York", demo=demo)
    return create_app(settings)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    application = make_app(tmp_path_factory.mktemp("headers"))
    seed(application.state.storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic")])
    add_user(application.state.secure_uow, "nurse.kim", PASSWORD, "nurse", "c1", datetime.now(UTC))
    yield application
    application.state.storage.close()


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app, base_url="http://127.0.0.1")


def assert_always(headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_a_web_page_gets_the_page_policy_and_is_not_stored(client):
    signed_in = client.post("/sign-in", data={"username": "nurse.kim", "password": PASSWORD}, follow_redirects=False)
    assert signed_in.status_code == 303
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert_always(response.headers)
    assert response.headers["content-security-policy"] == PAGE_POLICY
    directives = dict(d.strip().split(" ", 1) for d in PAGE_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["cache-control"] == "no-store"


def test_an_api_answer_is_not_stored_and_may_not_be_framed(client):
    token = client.post("/api/v1/auth/token", json={"username": "nurse.kim", "password": PASSWORD}).json()
    response = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 200
    assert_always(response.headers)
    assert response.headers["content-security-policy"] == FRAME_ONLY
    assert response.headers["cache-control"] == "no-store"
    refused = client.get("/api/v1/patients", headers={"Authorization": "Bearer nothing-known"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/fhir/R4/metadata", "/cds-services"])
def test_interoperability_answers_are_not_stored(client, path):
    response = client.get(path)
    assert_always(response.headers)
    assert response.headers["cache-control"] == "no-store"


def test_a_static_file_keeps_its_caching(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert_always(response.headers)
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == FRAME_ONLY


def test_the_sign_in_page_has_the_page_policy_and_may_be_cached(app):
    response = TestClient(app, base_url="http://127.0.0.1").get("/sign-in")
    assert response.status_code == 200
    assert_always(response.headers)
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert "no-store" not in response.headers.get("cache-control", "")


def test_api_documentation_pages_are_off_outside_the_demo_and_the_schema_stays(client):
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "naltrack"


def test_the_demo_serves_swagger_ui_without_the_page_policy(tmp_path):
    application = make_app(tmp_path, demo=True)
    try:
        response = TestClient(application).get("/docs")
        assert response.status_code == 200 and "swagger-ui" in response.text
        assert response.headers["content-security-policy"] == FRAME_ONLY
        assert response.headers["x-frame-options"] == "DENY"
    finally:
        application.state.storage.close()


def test_sqlite_commits_are_synced_to_disk(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA synchronous")).scalar_one() == 2  # FULL
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        engine.dispose()
