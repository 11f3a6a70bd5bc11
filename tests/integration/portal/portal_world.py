"""A served app with two patients who have portal accounts (A and B), staff of each role, and what each
patient has in the portal (an assigned PHQ-9, a side-effect report, a disclosure), on SQLite or PostgreSQL."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from tests.seeding import seed

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.administrations import Injection
from naltrack.domain.episodes import Episode
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.regimens import Regimen
from naltrack.domain.security.accounts import Actor
from naltrack.services import portal as portal_cases
from naltrack.services import portal_accounts as account_cases
from naltrack.services import security as security_cases
from naltrack.services.security import add_user
from naltrack.services.security_ports import Disclosure

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

STAFF_PASSWORD = "amber kettle orbit violin"
PASSWORDS = {"a": "cobalt walrus lantern fig", "b": "velvet quarry mango tundra"}
STAFF = {"nurse": "nurse.kim", "front-desk": "desk.lee", "counselor": "couns.ray", "admin": "admin.ada",
         "prescriber": "dr.okafor"}
TZ = "America/New_York"


@dataclass
class PortalWorld:
    app: FastAPI
    today: date
    now: datetime
    ids: dict[str, dict[str, str]]
    """Per patient ("a", "b"): patient id, login name, assignment id, side-effect report id, a used invite token,
    a given name, and a disclosure recipient (text that must never show to the other patient)."""

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://clinic.example", raise_server_exceptions=False)

    def patient_client(self, who: str) -> TestClient:
        web = self.client()
        response = web.post("/portal/sign-in", data={"login_name": self.ids[who]["login"],
                                                     "password": PASSWORDS[who]}, follow_redirects=False)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/portal"
        return web

    def staff_client(self, role: str) -> TestClient:
        web = self.client()
        response = web.post("/sign-in", data={"username": STAFF[role], "password": STAFF_PASSWORD},
                            follow_redirects=False)
        assert response.status_code == 303, response.text
        return web


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found is not None and found.group(1), "the page has no CSRF token"
    return found.group(1)


@pytest.fixture()
def world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalWorld]:
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security_cases, "_HASHER", fast)
    monkeypatch.setattr(account_cases, "_HASHER", fast)
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret",
                              timezone=TZ))
    now = datetime.now(UTC)
    today = now.astimezone(Clinic(id="x", name="x", timezone=TZ).zone).date()
    storage = app.state.storage
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Street Clinic", timezone=TZ)])
    for role, name in STAFF.items():
        add_user(app.state.secure_uow, name, STAFF_PASSWORD, role, "c1", now)
    names = {"a": ("Avery", "Stone"), "b": ("Blake", "Winter")}
    ids: dict[str, dict[str, str]] = {}
    ctx = app.state.application.ctx
    for who, (given, family) in names.items():
        pid = f"p-{who}-{who}{who}{who}"
        seed(storage.uow, patients=[Patient(id=pid, clinic_id="c1", given_name=given, family_name=family,
                                            birth_date=date(1988, 4, 2), sex_at_birth="female")])
        seed(storage.uow, records=[
            Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP",
                    start=today - timedelta(days=60)),
            Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=today - timedelta(days=40)),
            Injection(id=f"{pid}-i", patient_id=pid, given_at=now - timedelta(days=10), side="left",
                      lot="LOT-77", expiry=today + timedelta(days=300), needle_length_in=1.5, given_by="nurse.kim",
                      regimen_id=f"{pid}-r"),
        ], now=now)
        front_desk = staff_actor(app, "front-desk")
        issued = account_cases.invite_patient(ctx, front_desk, pid, f"{given}.{family}".lower(), now)
        principal = account_cases.accept_invite(ctx, issued.token, issued.login_name, PASSWORDS[who], None, now)
        assignment = portal_cases.assign_questionnaire(ctx, staff_actor(app, "nurse"), pid, "phq-9", now)
        patient = account_cases.patient_actor(principal, None)
        report = portal_cases.report_side_effect(ctx, patient, "other", "mild", f"secret itch of {given}", now)
        recipient = f"Dr {family} Referral Partner"
        with ctx.uow() as uow:
            uow.security.add_disclosure(Disclosure(
                id=f"d-{who}", patient_id=pid, recipient=recipient, purpose="referral", categories=("labs",),
                consent_id=None, break_glass_id=None, disclosed_at=now - timedelta(days=2), disclosed_by="dr.okafor",
                notice="42 CFR part 2 notice", record_count=1))
            uow.commit()
        ids[who] = {"patient": pid, "login": issued.login_name, "assignment": assignment.id, "report": report.id,
                    "token": issued.token, "given": given, "family": family, "recipient": recipient,
                    "account": principal.id, "itch": f"secret itch of {given}"}
    yield PortalWorld(app, today, now, ids)
    storage.close()


def staff_actor(app: FastAPI, role: str) -> Actor:
    with app.state.secure_uow() as uow:
        found = uow.security.find_credentials(STAFF[role])
    assert found is not None
    return Actor(found[0])
