"""What the readiness check reads, entered in a real browser and then seen on the chart: the last use of a substance
(kratom), a naloxone challenge with an equivocal result and its signs, an allergy to a kit component, a
support-group meeting; and a second injection on the same day stopped before it is recorded."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

PID = "p-hist"
SAME_DAY = "p-twice"


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def patients(live_server: Any) -> tuple[str, str]:
    """p-hist: in an OUD episode, nothing recorded before naltrexone; p-twice: on XR-NTX, injected an hour ago."""
    from tests.seeding import seed

    from naltrack.domain.administrations import Injection
    from naltrack.domain.episodes import Episode
    from naltrack.domain.patients import Patient
    from naltrack.domain.regimens import Regimen

    storage, today, now = live_server.app.state.storage, live_server.today, datetime.now(UTC)
    seed(storage.uow, patients=[
        Patient(id=PID, clinic_id="c1", given_name="Noor", family_name="Haddad", birth_date=date(1987, 3, 4),
                sex_at_birth="male", mrn="MRN-HIST"),
        Patient(id=SAME_DAY, clinic_id="c1", given_name="Eli", family_name="Twice", birth_date=date(1983, 6, 7),
                sex_at_birth="male", mrn="MRN-TWICE")])
    seed(storage.uow, records=[
        Episode(id=f"{PID}-e", patient_id=PID, indication="OUD", level_of_care="OP", start=today - timedelta(days=400)),
        Episode(id=f"{SAME_DAY}-e", patient_id=SAME_DAY, indication="OUD", level_of_care="OP",
                start=today - timedelta(days=90)),
        Regimen(id=f"{SAME_DAY}-r", patient_id=SAME_DAY, kind="xr-ntx-q4w", start=today - timedelta(days=80)),
        Injection(id=f"{SAME_DAY}-i", patient_id=SAME_DAY, given_at=now - timedelta(hours=1), side="left",
                  lot="LOT-2201", expiry=today + timedelta(days=200), needle_length_in=1.5, given_by="nurse.kim",
                  regimen_id=f"{SAME_DAY}-r")], now=now)
    return PID, SAME_DAY


def card(page: Any, key: str) -> Any:
    return page.locator(f"section[aria-labelledby={key}-title]")


def test_last_use_a_naloxone_challenge_and_an_allergy_are_entered_and_shown_on_the_chart(
        page, live_server, sign_in, screenshots, patients):
    pid, today = patients[0], live_server.today
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/{pid}/readiness")
    page.get_by_role("link", name="Record last use").click()
    page.get_by_label("Substance", exact=True).select_option("kratom")
    page.get_by_label("Last used on").fill((today + timedelta(days=2)).isoformat())
    page.get_by_role("button", name=re.compile("Record|Save")).click()
    expect(page.locator("#e-last_use")).to_be_visible()  # a last use after the report: refused inline
    shoot(page, screenshots, "last-use-error")
    page.get_by_label("Last used on").fill((today - timedelta(days=4)).isoformat())
    page.get_by_role("button", name=re.compile("Record|Save")).click()
    expect(page).to_have_url(re.compile(rf"/patients/{pid}/readiness$"))

    page.goto(f"{live_server.url}/patients/{pid}/naloxone-challenges/new")
    page.get_by_label("Equivocal").check()
    page.get_by_label("yawning").check()
    page.get_by_label("rhinorrhea").check()
    shoot(page, screenshots, "naloxone-challenge-form")
    page.get_by_role("button", name=re.compile("Record|Save")).click()
    expect(page).to_have_url(re.compile(rf"/patients/{pid}/readiness$"))

    page.goto(f"{live_server.url}/patients/{pid}/allergies/new")
    page.get_by_label("Substance", exact=True).select_option("carboxymethylcellulose")
    page.get_by_label("Reaction").fill("Hives after the diluent in 2024")
    page.get_by_role("button", name=re.compile("Record|Save")).click()
    expect(page).to_have_url(re.compile(rf"/patients/{pid}/readiness$"))

    page.goto(f"{live_server.url}/patients/{pid}")
    expect(card(page, "lastuse").locator("tr", has_text="Kratom")).to_contain_text(
        (today - timedelta(days=4)).isoformat())
    challenge = card(page, "nlx")
    expect(challenge).to_contain_text("equivocal")
    expect(challenge).to_contain_text("signs: yawning, rhinorrhea")
    expect(card(page, "allergy")).to_contain_text(
        "Carboxymethylcellulose (the XR-NTX diluent): Hives after the diluent")
    shoot(page, screenshots, "chart-readiness-records")


def test_a_counselor_records_a_support_group_meeting_and_sees_it_on_the_chart(
        page, live_server, sign_in, screenshots, patients):
    pid = patients[0]
    sign_in("counselor")
    page.goto(f"{live_server.url}/patients/{pid}/counseling/new")
    page.get_by_label(re.compile("meeting", re.I)).first.check()
    page.get_by_label("Fellowship").select_option("SMART")
    page.get_by_role("button", name=re.compile("Record|Save")).click()
    expect(page).to_have_url(re.compile(rf"/patients/{pid}\?recorded=support_groups$"))
    expect(page.get_by_text("SMART meeting")).to_be_visible()
    shoot(page, screenshots, "chart-support-group")


def test_a_second_injection_on_the_same_day_is_stopped(page, live_server, sign_in, screenshots, patients):
    pid, today = patients[1], live_server.today
    sign_in("prescriber")  # even a prescriber: a stop is not overridable
    page.goto(f"{live_server.url}/patients/{pid}/injections/new")
    page.get_by_label("Kit lot number").fill("LOT-2202")
    page.get_by_label("Kit expiry date").fill((today + timedelta(days=180)).isoformat())
    page.get_by_role("button", name="Record injection").click()
    expect(page.locator("#form-notice")).to_contain_text("Not recorded: the dose was not given.")
    expect(page.get_by_text(re.compile("already recorded on"))).to_be_visible()
    expect(page.get_by_label(re.compile("Override as the prescriber"))).to_have_count(0)
    expect(page.locator("#pre-dose-confirms")).to_have_count(0)  # nothing to tick when nothing can be given
    shoot(page, screenshots, "pre-dose-same-day-stopped-prescriber")
    with live_server.app.state.storage.uow() as uow:
        assert [i.lot for i in uow.records.for_patient(pid)["injections"]] == ["LOT-2201"]
