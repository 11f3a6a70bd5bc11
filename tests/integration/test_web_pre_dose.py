"""The pre-dose check on the web forms (web/pre_dose.py): what a nurse sees before an injection, a not-ready
patient stopped for the nurse and given with a prescriber's override and reason, review items ticked one by
one, a same-day second injection stopped, and a dose recorded as held."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in, ticked  # noqa: F401
from tests.seeding import seed

from naltrack.domain.episodes import Episode
from naltrack.domain.observations import AnalyteResult, UrineDrugScreen
from naltrack.domain.patients import Patient
from naltrack.domain.regimens import Regimen
from naltrack.web.pre_dose import DOSE_CLASS_LABELS


def not_ready_patient(app) -> None:  # noqa: F811
    """p2: OUD, an XR-NTX order, urine screen positive for opiates and fentanyl two days ago, never given naltrexone."""
    now = datetime.now(UTC)
    today = now.astimezone(TZ).date()
    seed(app.state.storage.uow, patients=[Patient(id="p2", clinic_id="c1", given_name="Eli", family_name="Moss",
                                                  birth_date=date(1979, 8, 9), sex_at_birth="male", mrn="MRN-2")])
    seed(app.state.storage.uow, records=[
        Episode(id="e2", patient_id="p2", indication="OUD", level_of_care="IOP", start=today - timedelta(days=10)),
        Regimen(id="r2", patient_id="p2", kind="xr-ntx-q4w", start=today - timedelta(days=1)),
        UrineDrugScreen(id="u2", patient_id="p2", collected_at=now - timedelta(days=2), results=(
            AnalyteResult("opiates", "positive"), AnalyteResult("fentanyl", "positive")))], now=now)


def shot(form: str, **over: str) -> dict[str, str]:
    today = datetime.now(TZ).date()
    expiry = (today + timedelta(days=300)).isoformat()
    return {"csrf_token": csrf(form), "side": "left", "lot": "LOT-P", "expiry": expiry, "needle_length_in": "2",
            "given_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"), "given_by": "nurse.kim", **over}


def section(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}"')[1].split("</div>")[0]


def test_a_nurse_sees_not_ready_before_the_injection_and_is_stopped(app):  # noqa: F811
    not_ready_patient(app)
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p2/injections/new").text
    not_ready = section(form, "pre-dose-not-ready")
    assert "Not ready for this dose" in not_ready and "opiates" in not_ready
    assert "Only a prescriber can override this" in not_ready and 'name="override_reason"' not in form
    assert "First dose." in form and "Rule RDY-OPIOID-FREE" in form  # the rule one click away, not in the text
    posted = nurse.post("/patients/p2/injections/new", data={**shot(form), **ticked(form)})
    assert posted.status_code == 409
    assert "Not recorded: the dose was not given." in posted.text
    assert "only a prescriber&#39;s reason overrides that" in posted.text
    assert "LOT-P" not in nurse.get("/patients/p2").text


def test_a_prescriber_overrides_with_a_reason_and_the_chart_shows_it(app):  # noqa: F811
    not_ready_patient(app)
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p2/injections/new").text
    assert 'name="override_reason"' in form
    reasons = section(form, "pre-dose-not-ready").count("<li>")
    assert reasons >= 2  # opiates and fentanyl positive, at least
    without = doctor.post("/patients/p2/injections/new", data={**shot(form), **ticked(form)})
    assert without.status_code == 409
    reason = "positive screen from poppy seeds; naloxone challenge passed today"
    given = doctor.post("/patients/p2/injections/new", follow_redirects=False,
                        data={**shot(form), **ticked(form), "override_reason": reason})
    assert given.status_code == 303
    chart = doctor.get("/patients/p2").text
    assert "lot LOT-P" in chart
    assert f"given despite {reasons} not-ready reasons, overridden by the prescriber: {reason}" in chart


def test_review_items_are_ticked_one_by_one(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/injections/new").text
    boxes = ticked(form)
    assert len(boxes) >= 2 and "Continuation." in form  # day 28 after the last injection
    first = dict(list(boxes.items())[:1])
    partly = nurse.post("/patients/p1/injections/new", data={**shot(form), "seen": "i1", **first})
    assert partly.status_code == 409 and "Tick each item to confirm it." in partly.text
    done = nurse.post("/patients/p1/injections/new", follow_redirects=False, data={**shot(form), "seen": "i1", **boxes})
    assert done.status_code == 303


def test_a_second_injection_the_same_day_cannot_be_given(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/injections/new").text
    assert nurse.post("/patients/p1/injections/new", follow_redirects=False,
                      data={**shot(form), "seen": "i1", **ticked(form)}).status_code == 303
    again = nurse.get("/patients/p1/injections/new").text
    stops = section(again, "pre-dose-stops")
    assert "This dose cannot be given" in stops and "already recorded on" in stops
    latest = again.split('name="seen" value="')[1].split('"')[0]
    posted = nurse.post("/patients/p1/injections/new", data={**shot(again), "seen": latest, **ticked(again)})
    assert posted.status_code == 409 and "Something stops it (below)." in posted.text
    # nothing overrides a stop: no dose class, nothing to tick, no override asked for
    assert 'id="pre-dose-confirms"' not in again and "Tick each item" not in posted.text
    panel = again.split('id="pre-dose"')[1].split("</section>")[0]
    assert not any(f"<strong>{label}.</strong>" in panel for label in DOSE_CLASS_LABELS.values())


def test_a_dose_held_is_recorded_with_its_reason_and_shown_on_the_chart(app):  # noqa: F811
    not_ready_patient(app)
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p2/injections/new").text
    assert "/patients/p2/held-doses/new?form=xr-ntx" in form
    held_form = nurse.get("/patients/p2/held-doses/new?form=xr-ntx").text
    empty = nurse.post("/patients/p2/held-doses/new", data={"csrf_token": csrf(held_form), "form": "xr-ntx",
                                                             "outcome": "held", "at": shot(form)["given_at"]})
    assert empty.status_code == 422 and 'id="e-reason"' in empty.text
    saved = nurse.post("/patients/p2/held-doses/new", follow_redirects=False, data={
        "csrf_token": csrf(held_form), "form": "xr-ntx", "outcome": "held", "at": shot(form)["given_at"],
        "reason": "opioid-positive screen; prescriber to review tomorrow"})
    assert saved.status_code == 303 and saved.headers["location"] == "/patients/p2?recorded=dose-not-given"
    chart = nurse.get("/patients/p2").text
    assert "XR-naltrexone injection held by staff: opioid-positive screen; prescriber to review tomorrow" in chart
