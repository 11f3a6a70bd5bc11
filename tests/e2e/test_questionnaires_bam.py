"""The Brief Addiction Monitor in a real browser: a counselor answers the form (item 5 left out after no days of
alcohol), reads the three scores in words, and finds them on the chart, newest first, beside a line per subscale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from tests.seeding import seed

from naltrack.domain.questionnaires import score_response
from naltrack.instruments.bam import BAM_ITEMS

#: The option clicked on each item (its label on the form): no alcohol, opiates on 1-3 days, risk 13, protection 10.
CHOSEN = {"bam-1": "Fair (3)", "bam-2": "9-15 days (3)", "bam-3": "4-8 days (2)", "bam-6": "1-3 days (1)",
          "bam-7e": "1-3 days (1)", "bam-8": "Considerably (3)", "bam-9": "Moderately (2)", "bam-10": "1-3 days (1)",
          "bam-11": "1-3 days (1)", "bam-12": "Slightly (1)", "bam-13": "1-3 days (1)", "bam-14": "Yes (4)",
          "bam-15": "Slightly (1)", "bam-16": "1-3 days (1)", "bam-17": "Moderately (2)"}


def test_a_counselor_scores_a_bam_and_the_chart_shows_its_trend(page: Any, live_server: Any, sign_in: Any,
                                                                screenshots: Any) -> None:
    now = datetime.now(UTC)
    seed(live_server.app.state.storage.uow, records=[score_response(
        "female", "bam", [3, 3, 3, 4, 3, 3, 0, 0, 0, 0, 3, 0, 0, 3, 1, 0, 3, 0, 0, 0, 3, 0, 1], id="p-prog-bam-1",
        patient_id="p-prog", completed_at=now - timedelta(days=31))], now=now)
    sign_in("counselor")
    page.goto(f"{live_server.url}/patients/p-prog/questionnaires/bam")
    expect(page.locator("#f-bam-5")).to_contain_text("Leave out when item 4 is “0 days”.")
    for item in BAM_ITEMS:
        if item.link_id != "bam-5":
            page.locator(f"#f-{item.link_id}").get_by_label(CHOSEN.get(item.link_id, item.option_labels[0]
                                                                        + " (0)"), exact=True).check()
    page.screenshot(path=str(screenshots / "bam-form.png"), full_page=True)
    page.get_by_role("button", name="Score and save").click()
    expect(page.locator("#subscale-use")).to_have_text("Substance use: 1 of 12, clinically significant (BAM use "
                                                       "score 1 or more: alcohol or drug use in the past 30 days)")
    expect(page.locator("#subscale-risk")).to_contain_text("Risk factors: 13 of 24, clinically significant")
    expect(page.locator("#subscale-protective")).to_contain_text("Protective factors: 10 of 24, clinically significant")
    page.screenshot(path=str(screenshots / "bam-result.png"), full_page=True)

    page.get_by_role("link", name="Back to the chart").click()
    rows = page.locator("#bam-trend tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("1")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("18")
    expect(page.locator(".score-chart[aria-label^='BAM risk factors']")).to_have_attribute("data-drawn", "true")
    page.locator("#bam-title").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "chart-bam-trend.png"), full_page=True)
