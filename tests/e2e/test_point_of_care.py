"""The point of care in a real browser: the check before every dose, a prescriber's override, a continuation
without the induction checks, a same-day second injection stopped, and the morning round from the dashboard
(the clicks counted)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ROUND


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def fill_kit(page: Any, today: Any, lot: str = "LOT-4410") -> None:
    page.get_by_label("Kit lot number").fill(lot)
    page.get_by_label("Kit expiry date").fill((today + timedelta(days=180)).isoformat())


def test_a_not_ready_patient_is_stopped_for_the_nurse_and_given_on_a_prescribers_override(
        page, live_server, sign_in, screenshots):
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/p-stop/injections/new")
    not_ready = page.locator("#pre-dose-not-ready")
    expect(not_ready).to_contain_text("Not ready for this dose")
    expect(not_ready).to_contain_text("Only a prescriber can override this")
    expect(page.locator("#f-override_reason")).to_have_count(0)
    fill_kit(page, live_server.today)
    shoot(page, screenshots, "pre-dose-not-ready-nurse")
    page.get_by_role("button", name="Record injection").click()
    expect(page.locator("#form-notice")).to_contain_text("Not recorded: the dose was not given.")
    shoot(page, screenshots, "pre-dose-stopped-nurse")
    page.get_by_role("button", name="Sign out").click()

    sign_in("prescriber")
    page.goto(f"{live_server.url}/patients/p-stop/injections/new")
    fill_kit(page, live_server.today)
    page.locator("#pre-dose-not-ready summary").first.click()  # the rule and its source, one click away
    expect(page.locator("#pre-dose-not-ready .rule-source").first).to_contain_text("clinical.md")
    boxes = page.locator("#pre-dose-confirms input[type=checkbox]")
    for n in range(boxes.count()):  # the review items of a first dose (withdrawal score, ...), each ticked
        boxes.nth(n).check()
    page.get_by_label(re.compile("Override as the prescriber")).fill(
        "Positive screen explained by prescribed codeine stopped 9 days ago; naloxone challenge passed")
    shoot(page, screenshots, "pre-dose-override-prescriber")
    page.get_by_role("button", name="Record injection").click()
    expect(page).to_have_url(re.compile(r"/patients/p-stop\?recorded=injection$"))
    expect(page.get_by_text(re.compile("overridden by the prescriber: Positive screen explained"))).to_be_visible()
    shoot(page, screenshots, "chart-after-override")


def test_a_day_27_continuation_is_given_without_the_induction_checks(page, live_server, sign_in, screenshots):
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/p-cont/injections/new")
    expect(page.locator("#pre-dose")).to_contain_text("Continuation.")
    expect(page.locator("#pre-dose-not-ready")).to_have_count(0)  # the fentanyl-positive screen does not stop it
    expect(page.locator("#pre-dose-clear")).to_be_visible()
    fill_kit(page, live_server.today)
    shoot(page, screenshots, "pre-dose-continuation")
    page.get_by_role("button", name="Record injection").click()
    expect(page).to_have_url(re.compile(r"/patients/p-cont\?recorded=injection$"))
    page.goto(f"{live_server.url}/patients/p-cont/injections/new")
    expect(page.locator("#pre-dose-stops")).to_contain_text("already recorded on")
    fill_kit(page, live_server.today)
    page.get_by_role("button", name="Record injection").click()
    expect(page.locator("#form-notice")).to_contain_text("Something stops it")
    shoot(page, screenshots, "pre-dose-same-day-stopped")


def test_the_morning_round_of_eight_takes_at_most_three_clicks_a_patient(page, live_server, sign_in, screenshots):
    sign_in("nurse")
    clicks: list[str] = []

    def click(locator: Any, what: str) -> None:
        clicks.append(what)
        locator.click()

    page.goto(f"{live_server.url}/")
    shoot(page, screenshots, "round-worklist")
    for n, (pid, family, _) in enumerate(ROUND):
        before = len(clicks)
        row = page.locator("section[aria-labelledby=due-title] tr", has_text=family)
        click(row.get_by_role("link", name="Record"), f"{pid}: Record")
        expect(page.locator("#pre-dose-clear")).to_be_visible()
        if n == 0:
            fill_kit(page, live_server.today, lot="KIT-0801")  # typed once; every later form has it
            shoot(page, screenshots, "round-injection-form")
        else:
            expect(page.get_by_label("Kit lot number")).to_have_value("KIT-0801")
        expect(page.get_by_label("Needle length")).to_have_value("2")
        click(page.get_by_role("button", name="Record injection"), f"{pid}: Record injection")
        expect(page).to_have_url(re.compile(r"/\?recorded=injection$"))
        expect(page.locator("#recorded-notice")).to_be_visible()
        assert len(clicks) - before <= 3, clicks[before:]
    due = page.locator("section[aria-labelledby=due-title]")
    for _, family, _ in ROUND:
        expect(due.locator("tr", has_text=family)).to_have_count(0)
    assert len(clicks) == 2 * len(ROUND)
    shoot(page, screenshots, "round-done")
