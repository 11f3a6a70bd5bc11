"""A served app with a real local SMTP server (aiosmtpd) and a real local HTTP SMS gateway, one clinic whose
real name gives the care away, front-desk staff, and a patient on XR-NTX whose next injection is due in 3 days
and who has an appointment booked in 2 days; on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from tests.seeding import seed

from naltrack.adapters.delivery import senders_from_settings
from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.administrations import Injection
from naltrack.domain.care import Appointment
from naltrack.domain.episodes import Episode
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.regimens import Regimen
from naltrack.domain.security.accounts import Actor
from naltrack.services import reminders as cases
from naltrack.services import security as security_cases
from naltrack.services.context import AppContext
from naltrack.services.security import add_user
from naltrack.services.security_ports import AuditQuery

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TZ = "America/New_York"
PASSWORD = "amber kettle orbit violin"
REAL_NAME = "Harbor Street Addiction Recovery Clinic"
DISPLAY_NAME = "Harbor Street Health"
INBOUND_SECRET = "s3cret-gateway-shared-key"
GATEWAY_TOKEN = "gw-bearer-token-123"
PATIENT = "p-rem-0001"
PHONE = "+16175550100"
EMAIL = "avery.stone@example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailBox:
    """aiosmtpd handler: keeps each message received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@dataclass
class Gateway:
    """A local HTTP SMS gateway: records each POST; answers 500 while ``fail_next`` is above 0."""

    url: str = ""
    received: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    fail_next: int = 0


def _gateway_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            if gateway.fail_next > 0:
                gateway.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            gateway.received.append((body, self.headers.get("Authorization", "")))
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"accepted": true}')

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@dataclass
class ReminderWorld:
    app: FastAPI
    ctx: AppContext
    settings: Settings
    now: datetime
    today: date
    mailbox: MailBox
    gateway: Gateway
    appointment_at: datetime
    due_on: date

    def actor(self, username: str = "desk.lee") -> Actor:
        with self.ctx.uow() as uow:
            found = uow.security.find_credentials(username)
        assert found is not None
        return Actor(found[0], "test")

    def options(self) -> cases.ReminderOptions:
        return cases.ReminderOptions(days_ahead=self.settings.reminder_days_ahead,
                                     default_display_name=self.settings.reminder_display_name,
                                     display_names=dict(self.settings.reminder_clinic_names))

    def queue(self, day: date | None = None) -> cases.QueueReport:
        return cases.queue_reminders(self.ctx, self.actor(), day or self.today, self.options(), self.now)

    def send(self, now: datetime | None = None) -> cases.SendReport:
        return cases.send_reminders(self.ctx, self.actor(), senders_from_settings(self.settings), self.options(),
                                    now or self.now)

    def consent(self, channel: str, address: str) -> None:
        cases.record_contact_consent(self.ctx, self.actor(), PATIENT, channel, address, self.now)

    def audit(self, patient_id: str = PATIENT) -> list[Any]:
        with self.ctx.uow() as uow:
            return uow.security.search_audit(AuditQuery(patient_id=patient_id, limit=1000))

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://clinic.example", raise_server_exceptions=False)

    def staff_client(self, username: str = "desk.lee") -> TestClient:
        web = self.client()
        answer = web.post("/sign-in", data={"username": username, "password": PASSWORD}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return web


@pytest.fixture()
def reminder_world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReminderWorld]:
    from argon2 import PasswordHasher

    monkeypatch.setattr(security_cases, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    mailbox = MailBox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _gateway_handler(gateway))
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/messages"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret", timezone=TZ,
                        smtp_host="127.0.0.1", smtp_port=controller.port, smtp_tls="none",
                        smtp_from="reminders@clinic.example", sms_gateway_url=gateway.url,
                        sms_gateway_token=GATEWAY_TOKEN, sms_inbound_secret=INBOUND_SECRET,
                        reminder_days_ahead=3, reminder_clinic_names={"c1": DISPLAY_NAME})
    app = create_app(settings)
    zone = ZoneInfo(TZ)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(zone).date()
    storage = app.state.storage
    seed(storage.uow, clinics=[Clinic(id="c1", name=REAL_NAME, timezone=TZ), Clinic(id="c2", name="Other",
                                                                                    timezone=TZ)])
    add_user(app.state.secure_uow, "desk.lee", PASSWORD, "front-desk", "c1", now)
    add_user(app.state.secure_uow, "couns.ray", PASSWORD, "counselor", "c1", now)
    add_user(app.state.secure_uow, "desk.two", PASSWORD, "front-desk", "c2", now)
    appointment_at = datetime.combine(today + timedelta(days=2), time(10, 30), zone)
    # given at noon local 25 days ago: due 28 days after that local day, i.e. today + 3
    given_at = datetime.combine(today - timedelta(days=25), time(12, 0), zone)
    seed(storage.uow, patients=[Patient(id=PATIENT, clinic_id="c1", given_name="Avery", family_name="Stone",
                                        birth_date=date(1988, 4, 2), sex_at_birth="female")])
    seed(storage.uow, records=[
        Episode(id="e1", patient_id=PATIENT, indication="OUD", level_of_care="OP", start=today - timedelta(days=60)),
        Regimen(id="r1", patient_id=PATIENT, kind="xr-ntx-q4w", start=today - timedelta(days=40)),
        Injection(id="i1", patient_id=PATIENT, given_at=given_at, side="left", lot="LOT-77",
                  expiry=today + timedelta(days=300), needle_length_in=1.5, given_by="nurse.kim", regimen_id="r1"),
        Appointment(id="a1", patient_id=PATIENT, kind="injection", starts_at=appointment_at),
    ], now=now)
    try:
        yield ReminderWorld(app, app.state.application.ctx, settings, now, today, mailbox, gateway, appointment_at,
                            today + timedelta(days=3))
    finally:
        server.shutdown()
        server.server_close()
        controller.stop()
        storage.close()
