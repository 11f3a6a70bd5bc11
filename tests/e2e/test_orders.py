"""Naltrexone orders in a real browser: a prescriber orders XR-NTX from a ready patient's readiness checklist, the
chart shows the order, and the nurse's injection is no longer stopped for want of an order."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.test_point_of_care import fill_kit, shoot


def test_a_prescriber_orders_xr_ntx_from_the_checklist_and_the_nurse_then_injects(
        page: Any, live_server: Any, sign_in: Any, screenshots: Any) -> None:
    today = live_server.today.isoformat()
    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/p-ready/injections/new")
    expect(page.locator("#pre-dose-stops")).to_contain_text("No active XR-naltrexone injection order")
    page.get_by_role("button", name="Sign out").click()

    sign_in("prescriber")
    page.goto(f"{live_server.url}/patients/p-ready/readiness?form=xr-ntx")
    expect(page.locator("#verdict")).to_contain_text("Ready")
    page.get_by_role("link", name="Order naltrexone").click()
    expect(page.locator("#order-kind")).to_contain_text("XR-naltrexone 380 mg every 4 weeks")
    expect(page.get_by_label("Dose (mg)")).to_have_value("380")
    expect(page.get_by_label("Start date")).to_have_value(today)
    shoot(page, screenshots, "order-form-xr-ntx")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/patients/p-ready\?recorded=order#orders$"))
    row = page.locator("#orders-table tbody tr")
    expect(row).to_have_count(1)
    for text in ("XR-naltrexone 380 mg every 4 weeks", "380 mg", today, "dr.okafor", "active", "Change", "Stop"):
        expect(row).to_contain_text(text)
    expect(page.locator("#chart")).to_contain_text(f"on xr-ntx since {today}")
    shoot(page, screenshots, "chart-with-order")
    row.get_by_role("link", name="Stop").click()
    expect(page.get_by_label("Last day of the order")).to_have_value(today)
    shoot(page, screenshots, "order-stop-form")
    page.go_back()
    row.get_by_role("link", name="Change").click()
    expect(page.locator("#order-current")).to_contain_text("ordered by dr.okafor")
    shoot(page, screenshots, "order-change-form")
    page.goto(f"{live_server.url}/patients/p-ready/readiness?form=xr-ntx")
    expect(page.get_by_role("link", name="Order naltrexone")).to_have_count(0)
    page.goto(f"{live_server.url}/patients/p-ready/orders/new?kind=oral-schedule&preset=three-times-weekly")
    expect(page.get_by_label("Friday")).to_have_value("150")
    shoot(page, screenshots, "order-form-oral-schedule")
    page.get_by_role("button", name="Sign out").click()

    sign_in("nurse")
    page.goto(f"{live_server.url}/patients/p-ready/injections/new")
    expect(page.locator("#pre-dose-stops")).to_have_count(0)
    fill_kit(page, live_server.today)
    boxes = page.locator("#pre-dose-confirms input[type=checkbox]")
    for n in range(boxes.count()):  # the first dose's review items, each confirmed by the nurse
        boxes.nth(n).check()
    page.get_by_role("button", name="Record injection").click()
    expect(page).to_have_url(re.compile(r"/patients/p-ready\?recorded=injection$"))
    expect(page.locator("#chart")).to_contain_text("XR-NTX 380 mg IM")
