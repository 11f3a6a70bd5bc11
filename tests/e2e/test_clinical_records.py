"""Pregnancy status, a medication, an adverse event with its follow-up and a diagnosis, each entered through its form
in a real browser and then seen on the chart (web/routes/clinical_records.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

PID = "p-clin"


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def patient(live_server: Any) -> str:
    """A woman in an OUD episode, injected a week ago: nothing of hers is read by the other browser tests."""
    from tests.seeding import seed

    from naltrack.domain.administrations import Injection
    from naltrack.domain.episodes import Episode
    from naltrack.domain.patients import Patient

    storage, today, now = live_server.app.state.storage, live_server.today, datetime.now(UTC)
    seed(storage.uow, patients=[Patient(id=PID, clinic_id="c1", given_name="Rosa", family_name="Lind",
                                        birth_date=date(1991, 9, 9), sex_at_birth="female", mrn="MRN-CLIN")])
    seed(storage.uow, records=[
        Episode(id=f"{PID}-e", patient_id=PID, indication="OUD", level_of_care="IOP", start=today - timedelta(days=40)),
        Injection(id=f"{PID}-i", patient_id=PID, given_at=now - timedelta(days=7), side="left", lot="LOT-7001",
                  expiry=today + timedelta(days=200), needle_length_in=1.5, given_by="nurse.kim")], now=now)
    return PID


def chart_card(page: Any, key: str) -> Any:
    return page.locator(f"section[aria-labelledby={key}-title]")


def test_a_nurse_records_pregnancy_status_with_an_hcg_result(page, live_server, sign_in, screenshots, patient):
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/{patient}")
    expect(page.locator("#pregnancy")).to_have_text("unknown · breastfeeding unknown")
    page.get_by_role("link", name="Pregnancy status").click()
    page.locator("input[name=pregnant][value=unknown]").check()
    page.locator("input[name=breastfeeding][value=no]").check()
    page.locator("input[name=hcg][value=negative]").check()
    page.get_by_label("Tested on").fill(live_server.today.isoformat())
    shoot(page, screenshots, "clinical-pregnancy-form")
    page.get_by_role("button", name="Save status").click()
    expect(page.locator("#pregnancy")).to_have_text(f"no ({live_server.today.isoformat()}) · breastfeeding no")


def test_a_nurse_finds_a_medication_by_name_and_sees_it_classed_on_the_chart(
        page, live_server, sign_in, screenshots, patient):
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/{patient}")
    page.get_by_role("link", name="Medication", exact=True).click()
    page.get_by_label("Name, brand or RxNorm code").fill("methadone")
    page.get_by_role("button", name="Search").click()
    choice = page.get_by_label("methadone (6813)")
    expect(choice).to_be_visible()
    choice.check()
    page.get_by_label("Started on").fill((live_server.today - timedelta(days=30)).isoformat())
    page.get_by_label("Daily dose (mg)").fill("80000")
    shoot(page, screenshots, "clinical-medication-search")
    page.get_by_role("button", name="Record medication").click()
    expect(page.locator("#e-daily_dose_mg")).to_contain_text("80000.0 must be between 0.001 and 10000 mg per day")
    expect(page.get_by_label("methadone (6813)")).to_be_checked()
    shoot(page, screenshots, "clinical-medication-error")
    page.get_by_label("Daily dose (mg)").fill("80")
    page.get_by_role("button", name="Record medication").click()
    row = chart_card(page, "meds").locator("tr", has_text="methadone")
    expect(row).to_contain_text("80.0 mg/day")
    expect(row.locator(".badge")).to_have_text("methadone")


def test_a_nurse_records_an_injection_site_reaction_and_follows_it_up(page, live_server, sign_in, screenshots, patient):
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/{patient}")
    page.get_by_role("link", name="Adverse event").click()
    page.get_by_label("Event", exact=True).select_option("injection-site-reaction")
    page.get_by_label("Began on").fill((live_server.today - timedelta(days=2)).isoformat())
    page.get_by_label("CTCAE grade").fill("2")
    page.get_by_label("Left buttock").check()
    page.get_by_label("Induration (cm)").fill("5")
    page.get_by_label("Description").fill("firm and warm")
    shoot(page, screenshots, "clinical-adverse-event-form")
    page.get_by_role("button", name="Record adverse event").click()
    card = chart_card(page, "ae")
    expect(card).to_contain_text("Injection site reaction (left buttock, induration 5.0 cm)")
    expect(card).to_contain_text("Not resolved")
    card.get_by_role("link", name="Follow up").click()
    page.get_by_label("Outcome").select_option("resolved")
    page.get_by_label("Resolved on").fill(live_server.today.isoformat())
    page.get_by_label("CTCAE grade now").fill("1")
    page.get_by_label("Induration (cm)").fill("1")
    shoot(page, screenshots, "clinical-adverse-event-follow-up")
    page.get_by_role("button", name="Save follow-up").click()
    card = chart_card(page, "ae")
    expect(card).to_contain_text(f"Resolved {live_server.today.isoformat()}")
    expect(card).to_contain_text("induration 1.0 cm")
    expect(card).not_to_contain_text("Not resolved")


def test_a_prescriber_picks_a_diagnosis_from_the_code_table(page, live_server, sign_in, screenshots, patient):
    sign_in("prescriber")
    page.goto(f"{live_server.url}/patients/{patient}")
    page.get_by_role("link", name="Diagnosis", exact=True).click()
    page.get_by_label("Name or code").fill("opioid dependence")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("F11.20 Opioid dependence, uncomplicated (OUD, ICD-10-CM)").check()
    page.get_by_label("Onset").fill("2025-01-15")
    shoot(page, screenshots, "clinical-diagnosis-search")
    page.get_by_role("button", name="Record diagnosis").click()
    expect(chart_card(page, "dx")).to_contain_text("F11.20 Opioid dependence, uncomplicated (active, since 2025-01-15)")
    shoot(page, screenshots, "clinical-chart")
