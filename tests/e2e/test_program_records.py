"""The program around the medication in a real browser: a counselor writes a DAP note and records a group session
of three patients at once; a nurse enters a drinking-diary week (and may not open an episode); a prescriber opens an
episode of care, steps its level of care down and closes it. Each shows on the chart; screenshots of every page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_a_counselor_writes_a_dap_note_and_records_a_group_session(page, live_server, sign_in, screenshots):
    sign_in("counselor")
    page.goto(f"{live_server.url}/patients/p-due/counseling/new")
    page.get_by_role("link", name="DAP (Data, Assessment, Plan)").click()
    expect(page.get_by_label("Behavior")).to_have_count(0)
    page.get_by_label("Kind").select_option("individual")
    page.get_by_label("Data").fill("Reports two cravings this week, no use; attended work daily.")
    page.get_by_label("Assessment").fill("Engaged and motivated; relapse risk low.")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#e-plan")).to_contain_text("Plan: is required")
    page.get_by_label("Plan").fill("Weekly CBT; review the naloxone kit next session.")
    shoot(page, screenshots, "counseling-dap-note")
    page.get_by_role("button", name="Record").click()
    expect(page).to_have_url(re.compile(r"/patients/p-due\?recorded=counseling$"))
    card = page.locator("section[aria-labelledby=couns-title]")
    card.get_by_text("DAP note").click()
    expect(card.locator("details.note")).to_contain_text("Engaged and motivated; relapse risk low.")
    shoot(page, screenshots, "chart-counseling-dap")

    page.get_by_role("link", name="Group session").click()
    expect(page).to_have_url(re.compile(r"/groups/new$"))
    page.get_by_label("Group", exact=True).fill("Tuesday relapse prevention")
    page.get_by_label("Dana Reyes: attended").check()
    page.get_by_label("Lena Moss: missed").check()
    page.get_by_label("Find patients by name or MRN").fill("Quinn")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_label("Dana Reyes: attended")).to_be_checked()  # the roster keeps who is on it
    page.get_by_label("Omar Quinn: attended").check()
    shoot(page, screenshots, "group-session-roster")
    page.get_by_role("button", name="Record group session").click()
    expect(page.locator("#form-saved")).to_contain_text("Recorded the group session for 3 patients.")
    shoot(page, screenshots, "group-session-recorded")
    page.goto(f"{live_server.url}/patients/p-late")
    expect(page.locator("section[aria-labelledby=couns-title]")).to_contain_text("group Tuesday relapse prevention")


def test_a_nurse_enters_a_drinking_week_and_a_prescriber_opens_an_episode(page, live_server, sign_in, screenshots):
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/p-prog")
    expect(page.get_by_role("link", name="Episode of care")).to_have_count(0)  # nurses read episodes only
    page.get_by_role("link", name="Drinking diary").click()
    ending = live_server.today - timedelta(days=1)
    for back, drinks in enumerate(["0", "6", "2", "", "4", "0", "61"]):
        day = ending - timedelta(days=back)
        page.get_by_label(re.compile(day.isoformat())).fill(drinks)
    page.get_by_role("button", name="Record the week").click()
    expect(page.locator("#form-errors")).to_contain_text("61 must be between 0 and 60 standard drinks")
    shoot(page, screenshots, "drinking-diary-error")
    page.get_by_label(re.compile((ending - timedelta(days=6)).isoformat())).fill("1")
    page.get_by_role("button", name="Record the week").click()
    expect(page).to_have_url(re.compile(r"/patients/p-prog\?recorded=drinking_days$"))
    week = page.locator("#drinking-weeks tbody tr").first.locator("td")
    expect(week.nth(0)).to_have_text(f"{(ending - timedelta(days=6)).isoformat()} to {ending.isoformat()}")
    expect(week.nth(1)).to_have_text("6")  # days reported
    expect(week.nth(2)).to_have_text("4")  # drinking days
    expect(week.nth(3)).to_have_text("2")  # heavy: 6 and 4 drinks, from 4 for her
    shoot(page, screenshots, "chart-drinking-diary")
    page.get_by_role("button", name="Sign out").click()

    sign_in("prescriber")
    page.goto(f"{live_server.url}/patients/p-prog")
    expect(page.locator("#episode-now")).to_have_text("Not in an open episode.")
    page.get_by_role("link", name="Episode of care").click()
    page.get_by_label("Treated for").select_option("AUD")
    page.get_by_label("Level of care").select_option("IOP")
    page.get_by_label("Admitted on").fill((live_server.today - timedelta(days=7)).isoformat())
    page.get_by_label("Referred by").fill("Emergency department")
    shoot(page, screenshots, "episode-open")
    page.get_by_role("button", name="Open episode").click()
    expect(page.locator("#episode-now")).to_contain_text("IOP AUD since")
    page.get_by_role("link", name=re.compile("Change or close the episode")).click()
    page.get_by_label("Level of care").select_option("OP")
    shoot(page, screenshots, "episode-change")
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator("#episode-now")).to_contain_text("OP AUD since")
    shoot(page, screenshots, "chart-episode")
    # Discharged yesterday (transferred): no longer in care, so off the dashboard's inductions.
    page.get_by_role("link", name=re.compile("Change or close the episode")).click()
    page.get_by_label("Discharged on").fill((live_server.today - timedelta(days=1)).isoformat())
    page.get_by_label("Discharge reason").select_option("transferred")
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator("#episode-now")).to_have_text("Not in an open episode.")
    expect(page.locator("section[aria-labelledby=episode-title] tbody")).to_contain_text("(transferred)")
    shoot(page, screenshots, "chart-episode-closed")
