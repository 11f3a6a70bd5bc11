"""Clinical text on the pages reads plain first: a rule id, a fact-sheet section or an UNCONFIRMED note is only
inside the reason's "Why" (one click away), never in the sentence a clinician reads; dates read one way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.integration.test_web_pages import TZ, app, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.observations import MedicationUse, QuestionnaireResponse

PROVENANCE = re.compile(r"\b(?:RDY|MON|IX|DOSE)-[A-Z0-9-]+\b|clinical\.md|§|UNCONFIRMED")
WHY = re.compile(r'<details class="rule-source"><summary>Why</summary><span class="muted">(.*?)</span></details>',
                 re.S)


def items(html: str, list_id: str) -> list[str]:
    """The ``<li>`` items of the list with ``list_id``/``class``, as HTML."""
    body = html.split(list_id, 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li\b.*?</li>", body, re.S)


def told_and_why(item: str) -> tuple[str, list[str]]:
    """The text a clinician reads (tags and the Why details removed) and the text of each Why."""
    return re.sub(r"<[^>]+>", " ", WHY.sub("", item)), WHY.findall(item)


def test_readiness_reasons_read_plain_with_rule_source_and_caveat_under_why(app):  # noqa: F811
    today = datetime.now(TZ).date()
    seed(app.state.storage.uow, records=[MedicationUse(
        id="m-lop", patient_id="p1", rxnorm="6468", start=today - timedelta(days=30), source="reported")],
        now=datetime.now(UTC))
    page = signed_in(app, "dr.okafor").get("/patients/p1/readiness?form=xr-ntx").text
    reasons = items(page, 'class="checklist"')
    assert len(reasons) >= 5
    for reason in reasons:
        told, why = told_and_why(reason)
        assert not PROVENANCE.search(told), told
        assert len(why) == 1 and re.match(r"Rule (RDY|DOSE)-[A-Z0-9-]+ · clinical\.md §", why[0]), why
    [loperamide] = [r for r in reasons if "antidiarrheal" in r]
    told, [why] = told_and_why(loperamide)
    assert "the label does not name it." in told
    assert why.startswith("Rule RDY-OPIOID-RX · clinical.md") and why.endswith(" · UNCONFIRMED interaction")


def test_chart_alerts_read_plain_with_the_rule_under_why(app):  # noqa: F811
    page = signed_in(app, "nurse.kim").get("/patients/p1").text
    alerts = items(page, 'id="alert-list"')
    assert alerts
    for alert in alerts:
        told, why = told_and_why(alert)
        assert not PROVENANCE.search(told), told
        assert len(why) == 1 and why[0].startswith("Rule MON-"), why


def test_headings_give_the_day_as_every_other_date_is_given(app):  # noqa: F811
    client = signed_in(app, "nurse.kim")
    today = datetime.now(TZ).date()
    heading = f'{today.strftime("%A")} <span class="nowrap">{today.isoformat()}</span></h1>'
    assert heading in client.get("/").text and heading in client.get("/schedule").text


def test_the_chart_gives_a_score_s_band_and_flags_in_words_and_keeps_the_stored_ids(app):  # noqa: F811
    now = datetime.now(UTC)
    seed(app.state.storage.uow, records=[
        QuestionnaireResponse(id="q-phq1", patient_id="p1", instrument="phq-9", answers=(1, 1, 1, 0, 0, 0, 0, 0, 0),
                              completed_at=now - timedelta(days=14), total=3, band="minimal"),
        QuestionnaireResponse(id="q-phq2", patient_id="p1", instrument="phq-9", answers=(2, 2, 1, 1, 1, 1, 1, 1, 1),
                              completed_at=now - timedelta(hours=2), total=11, band="moderate",
                              flags=("item-9-positive", "further-evaluation"))], now=now)
    chart = signed_in(app, "nurse.kim").get("/patients/p1").text
    row = re.search(r"<tr><td>[^<]*</td><td[^>]*>PHQ-9</td><td>11</td><td>(.*?)</td></tr>", chart).group(1)
    assert row == ('Moderate depression<br><span class="pos">Item 9 positive</span>'
                   '<br><span class="pos">Evaluate further</span>')
    assert '"bands": ["Minimal depression", "Moderate depression"]' in chart
    with app.state.storage.uow() as uow:
        stored = uow.records.for_patient("p1")["questionnaires"]
    assert sorted(q.band for q in stored) == ["minimal", "moderate"]
