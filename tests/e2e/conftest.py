"""Browser tests: the real server (uvicorn on a loopback port, in a thread) against a temporary
SQLite database with a small seeded program, driven by Playwright through Debian's Chromium.

Chromium is launched from ``/usr/bin/chromium`` with the flags of the platform notes (no
``playwright install``: there is no download host). Without Chromium the tests skip, unless
``NALTRACK_REQUIRE_BROWSER=1`` (CI), where they fail. Screenshots of the main pages go to
``test-artifacts/screenshots/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

CHROMIUM = Path(os.environ.get("NALTRACK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "synthetic-demo-pass"
TZ_NAME = "America/New_York"
USERS = {"nurse": "nurse.kim", "prescriber": "dr.okafor", "counselor": "couns.ray", "front-desk": "desk.lee",
         "auditor": "audit.max"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives a browser; skip (or fail in CI) when Chromium is missing."""
    for item in items:
        if "tests/e2e/" not in str(item.fspath).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists() and os.environ.get("NALTRACK_REQUIRE_BROWSER") != "1":
            item.add_marker(pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright's launch arguments: Debian's Chromium, headless, no network chatter."""
    if not CHROMIUM.exists():
        pytest.fail(f"NALTRACK_REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM}")
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@dataclass(frozen=True)
class LiveServer:
    url: str
    today: date
    app: Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_program(app: Any) -> date:
    """A small synthetic program: one clinic, one user per role, patients the tests look for."""
    from tests.seeding import seed

    from naltrack.domain.administrations import Injection
    from naltrack.domain.episodes import Episode
    from naltrack.domain.observations import AnalyteResult, LabResult, QuestionnaireResponse, UrineDrugScreen
    from naltrack.domain.patients import Clinic, Patient
    from naltrack.domain.regimens import Regimen
    from naltrack.services.security import add_user

    storage, now = app.state.storage, datetime.now(UTC)
    tz = ZoneInfo(TZ_NAME)
    today = now.astimezone(tz).date()
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Street Clinic", timezone=TZ_NAME)])
    for role, name in USERS.items():
        add_user(app.state.secure_uow, name, PASSWORD, role, "c1", now)

    def at(days_ago: int, hour: int = 10) -> datetime:
        day = today - timedelta(days=days_ago)
        return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)

    people = [("p-due", "Dana", "Reyes", "female", 28, "right"), ("p-late", "Omar", "Quinn", "male", 33, "left"),
              ("p-ok", "Lena", "Moss", "female", 9, "left")]
    for pid, given, family, sex, last, side in people:
        seed(storage.uow, patients=[Patient(
            id=pid, clinic_id="c1", given_name=given, family_name=family, birth_date=date(1986, 3, 14),
            sex_at_birth=sex, mrn=f"MRN-{pid[2:].upper()}")])
        seed(storage.uow, records=[
            Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP",
                    start=today - timedelta(days=last + 40)),
            Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=today - timedelta(days=last + 30)),
            Injection(id=f"{pid}-i1", patient_id=pid, given_at=at(last + 28), side="left" if side == "right"
                      else "right", lot="LOT-2231", expiry=today + timedelta(days=200), needle_length_in=1.5,
                      given_by="nurse.kim", regimen_id=f"{pid}-r"),
            Injection(id=f"{pid}-i2", patient_id=pid, given_at=at(last), side=side, lot="LOT-2290",
                      expiry=today + timedelta(days=220), needle_length_in=1.5, given_by="nurse.kim",
                      regimen_id=f"{pid}-r"),
            LabResult(id=f"{pid}-alt", patient_id=pid, loinc="1742-6", name="ALT", value=34.0, unit="U/L",
                      reference_high=40.0, collected_at=at(last + 30)),
            UrineDrugScreen(id=f"{pid}-uds", patient_id=pid, collected_at=at(last + 29), results=(
                AnalyteResult("opiates", "negative"), AnalyteResult("fentanyl", "negative"),
                AnalyteResult("buprenorphine", "negative"))),
        ], now=now)
    seed(storage.uow, records=[QuestionnaireResponse(
        id="p-ok-phq9", patient_id="p-ok", instrument="phq-9", answers=(1, 1, 1, 1, 1, 0, 0, 0, 1),
        completed_at=now - timedelta(hours=12), total=6, band="mild", flags=("item-9-positive",))], now=now)
    seed(storage.uow, patients=[Patient(
        id="p-new", clinic_id="c1", given_name="Theo", family_name="Vance", birth_date=date(1992, 7, 1),
        sex_at_birth="male", mrn="MRN-NEW")])
    seed(storage.uow, records=[
        Episode(id="p-new-e", patient_id="p-new", indication="OUD", level_of_care="IOP",
                start=today - timedelta(days=3)),
        UrineDrugScreen(id="p-new-uds", patient_id="p-new", collected_at=at(1), results=(
            AnalyteResult("fentanyl", "positive"), AnalyteResult("opiates", "negative"))),
    ], now=now)
    seed_point_of_care(storage, today, at, now)
    seed(storage.uow, patients=[Patient(id="p-ready", clinic_id="c1", given_name="Ivy", family_name="Marsh",
                                        birth_date=date(1990, 5, 6), sex_at_birth="male", mrn="MRN-READY")])
    seed(storage.uow, records=ready_records("p-ready", today), now=now)
    seed(storage.uow, patients=[Patient(  # the program-records tests open her first episode
        id="p-prog", clinic_id="c1", given_name="Rosa", family_name="Lind", birth_date=date(1979, 9, 9),
        sex_at_birth="female", mrn="MRN-PROG")])
    return today


def ready_records(pid: str, today: date) -> list[Any]:
    """A patient ready to start XR-NTX on ``today`` with no order yet: an OUD episode, heroin last used twelve days
    ago, an opioid-negative screen and COWS 0 yesterday, liver tests within the normal range five days ago."""
    from dataclasses import replace

    from tests.factories import at, liver_labs, make_cows, make_episode, make_report, make_screen

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    records = [make_episode("OUD", start=ago(20)), make_report("heroin", ago(12), ago(1)),
               make_screen(collected_at=at(ago(1))), make_cows(0, ago(1)), *liver_labs(day=ago(5))]
    return [replace(r, patient_id=pid) for r in records]


#: The eight men due today whose injections the morning-round test records (test_point_of_care.py).
ROUND = [(f"p-r{n}", f"Round{n}", 27 + n % 2) for n in range(1, 9)]


def seed_point_of_care(storage: Any, today: date, at: Any, now: datetime) -> None:
    """Patients of the pre-dose tests: p-stop (an XR-NTX order, never given, opioid-positive screen two days ago),
    p-cont (day 27 after the last injection, fentanyl-positive screen yesterday) and the morning round's eight,
    each on XR-NTX with liver tests from ten days ago, so nothing needs confirming before their continuation."""
    from tests.seeding import seed

    from naltrack.domain.administrations import Injection
    from naltrack.domain.episodes import Episode
    from naltrack.domain.observations import AnalyteResult, LabResult, UrineDrugScreen
    from naltrack.domain.patients import Patient
    from naltrack.domain.regimens import Regimen

    def on_xr(pid: str, family: str, last: int | None) -> list[Any]:
        records: list[Any] = [
            Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP",
                    start=today - timedelta(days=90)),
            Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=today - timedelta(days=80)),
            LabResult(id=f"{pid}-alt", patient_id=pid, loinc="1742-6", name="ALT", value=30.0, unit="U/L",
                      reference_high=40.0, collected_at=at(10)),
            LabResult(id=f"{pid}-ast", patient_id=pid, loinc="1920-8", name="AST", value=28.0, unit="U/L",
                      reference_high=40.0, collected_at=at(10))]
        if last is not None:
            records.append(Injection(id=f"{pid}-i", patient_id=pid, given_at=at(last), side="left", lot="LOT-1990",
                                     expiry=today + timedelta(days=200), needle_length_in=2.0, given_by="nurse.kim",
                                     regimen_id=f"{pid}-r"))
        seed(storage.uow, patients=[Patient(id=pid, clinic_id="c1", given_name="Alex", family_name=family,
                                            birth_date=date(1980, 1, 1), sex_at_birth="male", mrn=f"MRN-{pid}")])
        return records

    positive = (AnalyteResult("opiates", "positive"), AnalyteResult("fentanyl", "positive"))
    records = [*on_xr("p-stop", "Stone", None), *on_xr("p-cont", "Carver", 27),
               UrineDrugScreen(id="p-stop-uds", patient_id="p-stop", collected_at=at(2), results=positive),
               UrineDrugScreen(id="p-cont-uds", patient_id="p-cont", collected_at=at(1), results=positive[1:])]
    for pid, family, last in ROUND:
        records += on_xr(pid, family, last)
    seed(storage.uow, records=records, now=now)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from naltrack.api.app import create_app
    from naltrack.config import Settings

    data = tmp_path_factory.mktemp("e2e")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'e2e.db'}", secret_key="e2e-secret",
                        timezone=TZ_NAME, host="127.0.0.1")
    app = create_app(settings)
    today = seed_program(app)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", today, app)
    server.should_exit = True
    thread.join(timeout=10)
    app.state.storage.close()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Replaces pytest-base-url's fixture (deprecated shape under pytest 9): the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture()
def sign_in(page: Any, live_server: LiveServer) -> Any:
    """``sign_in("nurse")`` signs that role's user in on ``page`` and returns the page."""

    def go(role: str) -> Any:
        page.goto(f"{live_server.url}/sign-in")
        page.get_by_label("User name").fill(USERS[role])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        return page

    return go
