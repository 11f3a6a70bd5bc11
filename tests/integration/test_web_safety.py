"""The safety-assessment form (web/routes/safety.py): from a PHQ-9 with item 9 above 0, the alert on the
chart and the dashboard, to a recorded assessment that closes it; who may record it; errors kept inline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.observations import QuestionnaireResponse

ITEM9 = "PHQ-9 item 9"


def phq9(app, hours_ago: int = 2, rid: str = "q9") -> None:  # noqa: F811
    now = datetime.now(UTC)
    seed(app.state.storage.uow, records=[QuestionnaireResponse(
        id=rid, patient_id="p1", instrument="phq-9", answers=(1,) * 8 + (2,),
        completed_at=now - timedelta(hours=hours_ago), total=10, band="moderate", flags=("item-9-positive",))], now=now)


def local_now() -> str:
    return datetime.now(UTC).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def urgent(client) -> str:
    return client.get("/").text.split('id="alerts-title"')[1].split("</section>")[0]


def test_a_phq9_with_item9_shows_danger_with_a_link_not_a_green_box(app):  # noqa: F811
    client = signed_in(app, "couns.ray")
    form = client.get("/patients/p1/questionnaires/phq-9").text
    answers = {f"phq-9-{n}": "1" for n in range(1, 9)} | {"phq-9-9": "2"}
    page = client.post("/patients/p1/questionnaires/phq-9", data={"csrf_token": csrf(form), **answers}).text
    danger = page.split('id="flag-item-9-positive"')[1].split("</div>")[0]
    ok_box = page.split('id="score-result"')[1].split("</div>")[0]
    assert 'class="notice danger" role="alert"' in page.split('id="flag-item-9-positive"')[0][-60:]
    assert "Record safety assessment" in danger and "item-9-positive" not in ok_box
    link = unquote(re.search(r'id="record-safety-assessment"\s+href="([^"]+)"', page).group(1))
    assert link.startswith("/patients/p1/safety-assessments/new?response=") and link.endswith("next=/patients/p1")


def test_a_nurse_is_told_to_call_a_prescriber_or_counselor(app):  # noqa: F811
    client = signed_in(app, "nurse.kim")
    form = client.get("/patients/p1/questionnaires/phq-9").text
    answers = {f"phq-9-{n}": "0" for n in range(1, 9)} | {"phq-9-9": "1"}
    page = client.post("/patients/p1/questionnaires/phq-9", data={"csrf_token": csrf(form), **answers}).text
    assert "Tell a prescriber or counselor today" in page and "record-safety-assessment" not in page
    assert client.get("/patients/p1/safety-assessments/new").status_code == 403


def test_the_chart_alert_links_to_the_form_and_cannot_be_acknowledged(app):  # noqa: F811
    phq9(app)
    client = signed_in(app, "dr.okafor")
    chart = client.get("/patients/p1").text
    alerts = chart.split('id="alert-list"')[1].split("</ul>")[0]
    assert "Record safety assessment" in alerts and 'name="subject" value="q9"' not in alerts
    assert "/patients/p1/safety-assessments/new?response=q9" in alerts
    refused = client.post("/patients/p1/alerts/acknowledge", data={"csrf_token": csrf(chart),
                                                                   "rule": "MON-PHQ9-ITEM9", "subject": "q9"})
    assert refused.status_code == 422 and "closed by recording a safety assessment" in refused.text
    assert ITEM9 in urgent(client)


def test_a_counselor_records_the_assessment_and_the_alert_closes(app):  # noqa: F811
    phq9(app)
    nurse = signed_in(app, "nurse.kim")
    assert ITEM9 in urgent(nurse)
    counselor = signed_in(app, "couns.ray")
    chart = counselor.get("/patients/p1").text
    assert "no safety assessment recorded since" in chart.split('id="safety"')[1]
    form = counselor.get("/patients/p1/safety-assessments/new?response=q9&next=/patients/p1%23safety").text
    assert 'value="q9" selected' in form and 'name="next" value="/patients/p1#safety"' in form
    saved = counselor.post("/patients/p1/safety-assessments/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "next": "/patients/p1#safety", "response_id": "q9", "assessed_at": local_now(),
        "risk_level": "moderate", "action_safety-plan": "yes", "action_crisis-line-988": "yes",
        "follow_up_on": (datetime.now(TZ).date() + timedelta(days=3)).isoformat(), "assessed_by": "Ray Counselor",
        "note": "plan reviewed with the patient and her sister"})
    assert saved.status_code == 303 and saved.headers["location"] == "/patients/p1#safety"
    section = counselor.get("/patients/p1").text.split('id="safety"')[1].split("</section>")[0]
    assert "Moderate" in section and "Safety plan made or reviewed; Crisis line given (988)" in section
    assert "Ray Counselor (counselor)" in section and "no safety assessment recorded since" not in section
    assert "No urgent alerts" in urgent(nurse) and "Dana Reyes" not in urgent(nurse)
    assert "MON-PHQ9-ITEM9" not in nurse.get("/patients/p1").text.split('id="alert-list"')[-1].split("</ul>")[0]


def test_errors_stay_next_to_their_fields_with_the_values_kept(app):  # noqa: F811
    phq9(app)
    client = signed_in(app, "dr.okafor")
    form = client.get("/patients/p1/safety-assessments/new?next=/").text
    assert 'name="next" value="/"' in form
    bad = client.post("/patients/p1/safety-assessments/new", data={
        "csrf_token": csrf(form), "next": "/", "response_id": "q9", "assessed_at": local_now(), "risk_level": "high",
        "assessed_by": "Dr Okafor", "note": "kept text"})
    assert bad.status_code == 422
    assert 'id="e-actions"' in bad.text and "choose at least one action taken" in bad.text
    assert 'value="high" checked' in bad.text and "kept text" in bad.text
    domain = client.post("/patients/p1/safety-assessments/new", data={
        "csrf_token": csrf(form), "next": "/", "response_id": "q9", "assessed_at": local_now(), "risk_level": "high",
        "action_safety-plan": "yes", "assessed_by": "Dr Okafor"})
    assert domain.status_code == 422 and 'id="e-follow_up_on"' in domain.text
    assert "None is required at high risk (or arrange an emergency evaluation)" in domain.text
    assert 'name="action_safety-plan" value="yes" checked' in domain.text
    done = client.post("/patients/p1/safety-assessments/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "next": "/", "response_id": "q9", "assessed_at": local_now(), "risk_level": "high",
        "action_safety-plan": "yes", "action_emergency-evaluation": "yes", "assessed_by": "Dr Okafor"})
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_the_dashboard_alert_links_to_the_form_and_next_stays_on_this_site(app):  # noqa: F811
    phq9(app)
    client = signed_in(app, "dr.okafor")
    assert 'href="/patients/p1/safety-assessments/new?next=/"' in urgent(client)
    form = client.get("/patients/p1/safety-assessments/new?next=https://evil.example/").text
    assert 'name="next" value="/patients/p1#alerts"' in form
    assert 'value="q9" selected' in form  # the open PHQ-9 is chosen by default
