"""The program manager in a real browser: signs in and lands on the program outcomes, narrows them to one clinic,
opens a figure's definition and downloads the monthly report as CSV. Screenshots of each step."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import PASSWORD, TZ_NAME, LiveServer

MANAGER = "manager.ames"
#: Bay Street Clinic: 16 patients on XR-naltrexone, 8 of whom stopped after their first injection.
BAY = [(f"p-bay{n}", 150, 6 if n % 2 else 1) for n in range(16)]


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def manager(live_server: LiveServer) -> str:
    """A manager account, and a second clinic whose patients make figures of 11 or more."""
    from tests.seeding import seed

    from naltrack.domain.administrations import Injection
    from naltrack.domain.episodes import Episode
    from naltrack.domain.patients import Clinic, Patient
    from naltrack.domain.regimens import Regimen
    from naltrack.services.security import add_user

    app, today, now = live_server.app, live_server.today, datetime.now(UTC)
    tz = ZoneInfo(TZ_NAME)
    add_user(app.state.secure_uow, MANAGER, PASSWORD, "manager", "c1", now)
    seed(app.state.storage.uow, clinics=[Clinic(id="c-bay", name="Bay Street Clinic", timezone=TZ_NAME)])
    for pid, started, injections in BAY:
        start = today - timedelta(days=started)
        seed(app.state.storage.uow, patients=[Patient(id=pid, clinic_id="c-bay", given_name="Bay", family_name=pid,
                                                      birth_date=date(1984, 2, 2), sex_at_birth="female")])
        seed(app.state.storage.uow, records=[
            Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP", start=start),
            Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=start),
            *[Injection(id=f"{pid}-i{n}", patient_id=pid, regimen_id=f"{pid}-r", side="left" if n % 2 else "right",
                        given_at=datetime.combine(start + timedelta(days=28 * n), time(10), tz).astimezone(UTC),
                        lot="LOT-77", expiry=today + timedelta(days=300), needle_length_in=1.5, given_by="nurse.kim")
              for n in range(injections)]], now=now)
    return MANAGER


def test_the_manager_lands_on_the_outcomes_narrows_to_a_clinic_and_downloads_the_report(
        page, live_server, manager, screenshots):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("User name").fill(manager)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/outcomes$"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(["Program outcomes"])
    expect(page.locator("#retention-form-plot")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#table-quality")).to_be_visible()  # POD and IET load after the page
    shoot(page, screenshots, "outcomes")

    page.get_by_label("Clinic").select_option(label="Bay Street Clinic")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"/outcomes\?clinic=c-bay"))
    expect(page.locator("#outcomes-scope")).to_contain_text("Bay Street Clinic: 16 patients")
    cascade = page.locator("#table-cascade")
    expect(cascade.get_by_role("row", name=re.compile("^First dose"))).to_contain_text("16")
    expect(page.locator("#cascade-plot")).to_have_attribute("data-drawn", "true")

    card = page.locator("#sec-cascade")
    expect(card.get_by_text("A retained-N stage counts only")).not_to_be_visible()
    card.get_by_text("How this is counted").click()
    expect(card.get_by_text("A retained-N stage counts only")).to_be_visible()
    expect(page.locator("#table-quality")).to_contain_text("HEDIS POD")
    shoot(page, screenshots, "outcomes-clinic-definition")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"program-report-\d{4}-\d{2}\.csv", download.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    patients = next(r for r in rows if r["section"] == "program")
    assert patients["numerator"] == "16"
    assert not [r for r in rows if r["numerator"] and int(r["numerator"]) < 11]
    assert not any("p-bay" in value for r in rows for value in r.values())
