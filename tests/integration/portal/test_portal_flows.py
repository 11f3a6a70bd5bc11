"""The portal's main flows over HTTP, on SQLite and PostgreSQL: sign-in, the home page's dates as the domain
computes them, the diary, a side-effect report reaching the nurse's dashboard as urgent, a PHQ-9 with item 9
above 0 showing crisis resources and raising the staff alert, every access audited with the patient as actor."""

from __future__ import annotations

import re

import sqlalchemy as sa
from tests.integration.portal.portal_world import PortalWorld, csrf, staff_actor

from naltrack.adapters.db import portal_tables as pt
from naltrack.adapters.db.security_tables import audit_log
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.protection import protection_end
from naltrack.services.records import load_chart
from naltrack.web.routes.portal_auth import plain_day


def _audit_rows(world: PortalWorld, actor: str) -> list[dict[str, object]]:
    with world.app.state.storage.engine.connect() as connection:
        rows = connection.execute(sa.select(audit_log).where(audit_log.c.actor == actor)).mappings()
        return [dict(r) for r in rows]


def test_home_shows_the_domains_blocked_through_and_next_due_dates(world: PortalWorld) -> None:
    web = world.patient_client("a")
    page = web.get("/portal")
    assert page.status_code == 200
    ctx = world.app.state.application.ctx
    with ctx.uow() as uow:
        clinic = uow.clinics.get("c1")
    chart = load_chart(ctx, staff_actor(world.app, "nurse"), world.ids["a"]["patient"], world.now)
    blocked = protection_end(chart, world.today, clinic.zone, ctx.thresholds)
    due = next_injection_due(chart, world.today, clinic.zone, ctx.thresholds)
    assert blocked is not None and due is not None
    assert f'id="blocked-through">{plain_day(blocked)}<' in page.text
    assert f'id="next-injection">{plain_day(due)}<' in page.text
    assert "Hello, Avery" in page.text and "Blake" not in page.text
    reads = [r for r in _audit_rows(world, world.ids["a"]["account"]) if r["record_type"] == "portal-home"]
    assert len(reads) == 1 and reads[0]["patient_id"] == world.ids["a"]["patient"]
    assert reads[0]["purpose"] == "patient-request" and reads[0]["outcome"] == "allowed"


def test_a_diary_day_is_recorded_through_the_record_use_case_with_the_patient_as_actor(world: PortalWorld) -> None:
    web = world.patient_client("a")
    token = csrf(web.get("/portal/diary").text)
    day = world.today.isoformat()
    saved = web.post("/portal/diary", data={"csrf_token": token, "day": day, "standard_drinks": "3",
                                            "craving": "7"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/portal/diary?saved=1"
    listed = web.get("/portal/diary?saved=1").text
    assert f"{plain_day(world.today)}: 3.0 drinks, craving 7 of 10" in listed
    refused = web.post("/portal/diary", data={"csrf_token": token, "day": day, "standard_drinks": "2",
                                              "craving": "11"})
    assert refused.status_code == 422 and "must be a whole number from 0 to 10" in refused.text
    written = [r for r in _audit_rows(world, world.ids["a"]["account"]) if r["record_type"] == "drinking_days"
               and r["action"] == "create"]
    assert [r["outcome"] for r in written] == ["allowed", "invalid"]
    assert written[0]["patient_id"] == world.ids["a"]["patient"]
    with world.app.state.storage.engine.connect() as connection:
        rows = connection.execute(sa.text("select standard_drinks, craving, recorded_by from drinking_days "
                                          "where patient_id = :p"), {"p": world.ids["a"]["patient"]}).all()
    assert [tuple(r) for r in rows] == [(3.0, 7, world.ids["a"]["account"])]


def test_injection_site_swelling_is_urgent_on_the_nurses_dashboard_until_reviewed(world: PortalWorld) -> None:
    web = world.patient_client("a")
    token = csrf(web.get("/portal/side-effects").text)
    sent = web.post("/portal/side-effects", data={"csrf_token": token, "kind": "injection-site-swelling",
                                                  "severity": "mild"})
    assert sent.status_code == 200 and 'id="urgent-advice"' in sent.text
    with world.app.state.storage.engine.connect() as connection:
        report_id = connection.execute(sa.select(pt.side_effect_reports.c.id).where(
            pt.side_effect_reports.c.kind == "injection-site-swelling")).scalar_one()
    nurse = world.staff_client("nurse")
    board = nurse.get("/").text
    item = re.search(rf'<li class="fail" id="side-effect-{report_id}">(.*?)</li>', board, re.S)
    assert item is not None and "Urgent" in item.group(1) and "Avery Stone" in item.group(1)
    assert "Swelling at the injection site, mild" in item.group(1)
    other = re.search(rf'<li class="warn" id="side-effect-{world.ids["b"]["report"]}">', board)
    assert other is not None  # B's "other, mild" report: listed, not urgent
    reviewed = nurse.post(f"/side-effect-reports/{report_id}/review", data={"csrf_token": csrf(board)},
                          follow_redirects=False)
    assert reviewed.status_code == 303
    assert f"side-effect-{report_id}" not in nurse.get("/").text
    again = nurse.post(f"/side-effect-reports/{report_id}/review", data={"csrf_token": csrf(board)})
    assert again.status_code == 409
    desk = world.staff_client("front-desk")
    assert "side-effect-" not in desk.get("/").text


def test_phq9_item9_shows_crisis_resources_and_raises_the_staff_alert(world: PortalWorld) -> None:
    web = world.patient_client("a")
    url = f"/portal/questionnaires/{world.ids['a']['assignment']}"
    form = web.get(url).text
    answers = {m: "0" for m in re.findall(r'name="([^"]+)" value="0"', form)}
    assert len(answers) == 9
    last = list(answers)[-1]
    answers[last] = "1"
    done = web.post(url, data={"csrf_token": csrf(form), **answers})
    assert done.status_code == 200
    assert 'id="crisis-resources"' in done.text and 'href="tel:988"' in done.text and 'href="sms:988"' in done.text
    assert 'href="tel:911"' in done.text
    nurse = world.staff_client("nurse").get("/").text
    alert = re.search(r'<li class="fail"><span class="badge sev-critical">.*?</li>', nurse, re.S)
    assert alert is not None
    assert any("Avery Stone" in a and "item 9" in a for a in re.findall(r"<li class=\"fail\">.*?</li>", nurse, re.S))
    assert web.post(url, data={"csrf_token": csrf(form), **answers}).status_code == 200  # done already: no 2nd
    with world.app.state.storage.engine.connect() as connection:
        count = connection.execute(sa.text("select count(*) from questionnaire_responses where patient_id = :p"),
                                   {"p": world.ids["a"]["patient"]}).scalar_one()
    assert count == 1


def test_the_accounting_of_disclosures_lists_only_the_patients_own(world: PortalWorld) -> None:
    page = world.patient_client("a").get("/portal/disclosures")
    assert page.status_code == 200
    assert world.ids["a"]["recipient"] in page.text and "referral" in page.text and "labs" in page.text
    assert world.ids["b"]["recipient"] not in page.text


def test_the_wallet_card_is_the_documents_use_case_read_as_the_patient(world: PortalWorld) -> None:
    web = world.patient_client("a")
    assert 'href="/portal/wallet-card.pdf"' in web.get("/portal").text
    card = web.get("/portal/wallet-card.pdf")
    assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
    assert card.content.startswith(b"%PDF")
    reads = [r for r in _audit_rows(world, world.ids["a"]["account"]) if r["record_type"] == "wallet-card"]
    assert [(r["patient_id"], r["outcome"]) for r in reads] == [(world.ids["a"]["patient"], "allowed")]


def test_staff_see_the_patients_portal_account_assignments_and_reports_as_their_role_allows(world: PortalWorld) -> None:
    url = f"/patients/{world.ids['a']['patient']}/portal"
    nurse = world.staff_client("nurse").get(url).text
    assert f"Portal account: <strong>{world.ids['a']['login']}</strong>" in nurse
    assert "Patient Health Questionnaire (PHQ-9), assigned" in nurse and "not answered yet" in nurse
    assert f"Something else, mild (“{world.ids['a']['itch']}”)" in nurse and "not reviewed yet" in nurse
    assert world.ids["b"]["itch"] not in nurse
    desk = world.staff_client("front-desk").get(url).text
    assert f"Portal account: <strong>{world.ids['a']['login']}</strong>" in desk
    assert world.ids["a"]["itch"] not in desk and 'id="assignments"' not in desk
