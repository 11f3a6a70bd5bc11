"""The program around the medication, entered on the web: a drinking-diary week (one batch), an episode of care
opened, changed and closed (a correction), a DAP counseling note, a group session of several patients at once and a
mutual-help meeting; each shown on the chart, bad input inline with nothing written."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.limits import FREE_TEXT_MAX_LENGTH
from naltrack.domain.patients import Patient
from naltrack.domain.rules.thresholds import DEFAULT


def records(app, kind: str, patient_id: str = "p1") -> list:  # noqa: F811
    with app.state.storage.uow() as uow:
        return list(uow.records.for_patient(patient_id).get(kind, ()))


def created_entries(app, ids: set[str]) -> list:  # noqa: F811
    with app.state.secure_uow() as uow:
        return [e for e in uow.security.iter_audit() if e.record_id in ids and e.action == "create"]


def today() -> date:
    return datetime.now(TZ).date()


def add_patients(app) -> None:  # noqa: F811
    """p6 and p7, patients of the clinic without an episode (p6 is a man: his heavy-day count differs)."""
    for pid, given, family, sex in (("p6", "Ivan", "Petrov", "male"), ("p7", "Mira", "Sol", "female")):
        seed(app.state.storage.uow, patients=[Patient(id=pid, clinic_id="c1", given_name=given, family_name=family,
                                                      birth_date=date(1990, 1, 1), sex_at_birth=sex)])


def week(ending: date, drinks: list[str]) -> dict[str, str]:
    """The diary fields of the week ending on ``ending``, oldest day first."""
    return {f"drinks_{(ending - timedelta(days=6 - n)).isoformat()}": value for n, value in enumerate(drinks)}


def test_a_drinking_week_is_recorded_as_one_batch_and_the_chart_counts_heavy_days(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/drinking-diary/new").text
    ending = today() - timedelta(days=1)
    assert f'name="ending" value="{ending.isoformat()}"' in form and "4 or more standard drinks" in form
    heavy = DEFAULT.heavy_drinking_drinks_female
    saved = nurse.post("/patients/p1/drinking-diary/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "ending": ending.isoformat(),
        **week(ending, ["", "0", "2", f"{heavy:g}", f"{heavy - 0.5:g}", "12", ""])})
    assert saved.status_code == 303 and saved.headers["location"] == "/patients/p1?recorded=drinking_days"
    days = records(app, "drinking_days")
    assert sorted((d.day, d.standard_drinks) for d in days) == [
        (ending - timedelta(days=5), 0.0), (ending - timedelta(days=4), 2.0), (ending - timedelta(days=3), heavy),
        (ending - timedelta(days=2), heavy - 0.5), (ending - timedelta(days=1), 12.0)]
    assert len(created_entries(app, {d.id for d in days})) == 5
    chart = nurse.get("/patients/p1").text.split('id="drinking-weeks"')[1].split("</table>")[0]
    # The newest week ends on the newest day reported: five days reported, four drinking days, two heavy (>= 4).
    assert "<td>5</td><td>4</td>" in chart and '<span class="pos">2</span>' in chart and "<td>21.5</td>" in chart


def test_a_diary_week_with_one_bad_day_writes_no_day(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/drinking-diary/new").text
    ending = today()
    bad = nurse.post("/patients/p1/drinking-diary/new", data={
        "csrf_token": csrf(form), "ending": ending.isoformat(), **week(ending, ["1", "0", "61", "2", "", "", "x"])})
    assert bad.status_code == 422
    first_bad, second_bad = (f"drinks_{(ending - timedelta(days=n)).isoformat()}" for n in (4, 0))
    assert f'id="e-{first_bad}"' in bad.text and "61 must be between 0 and 60 standard drinks" in bad.text
    assert f'id="e-{second_bad}"' in bad.text and "&#39;x&#39; is not a number of standard drinks" in bad.text
    assert 'value="61"' in bad.text  # the entered values come back
    assert records(app, "drinking_days") == []
    empty = nurse.post("/patients/p1/drinking-diary/new", data={"csrf_token": csrf(form),
                                                                 "ending": ending.isoformat()})
    assert empty.status_code == 422 and "no day has a number" in empty.text
    future = nurse.get(f"/patients/p1/drinking-diary/new?ending={(ending + timedelta(days=1)).isoformat()}")
    assert future.status_code == 422 and f"is after today ({ending.isoformat()})" in future.text
    assert records(app, "drinking_days") == []


def test_an_episode_is_opened_changed_to_another_level_and_closed_as_corrections(app):  # noqa: F811
    add_patients(app)
    assert signed_in(app, "nurse.kim").get("/patients/p6/episodes/new").status_code == 403  # nurses read episodes
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p6/episodes/new").text
    opened = doctor.post("/patients/p6/episodes/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "indication": "AUD", "level_of_care": "IOP", "start": today().isoformat(),
        "referral_source": "emergency department"})
    assert opened.status_code == 303
    [episode] = records(app, "episodes", "p6")
    assert (episode.indication, episode.level_of_care, episode.referral_source) == ("AUD", "IOP",
                                                                                    "emergency department")
    assert ">IOP</span> AUD since" in doctor.get("/patients/p6").text
    edit = doctor.get(f"/patients/p6/episodes/{episode.id}/edit").text
    assert 'value="IOP" selected' in edit and 'name="version" value="1"' in edit
    fields = {"csrf_token": csrf(edit), "version": "1", "indication": "AUD", "start": today().isoformat()}
    stepped = doctor.post(f"/patients/p6/episodes/{episode.id}/edit", follow_redirects=False,
                          data={**fields, "level_of_care": "OP"})
    assert stepped.status_code == 303
    [now_op] = [e for e in records(app, "episodes", "p6") if e.is_active]
    assert (now_op.level_of_care, now_op.supersedes) == ("OP", episode.id)
    assert ">OP</span> AUD since" in doctor.get("/patients/p6").text
    edit = doctor.get(f"/patients/p6/episodes/{now_op.id}/edit").text
    fields = {**fields, "csrf_token": csrf(edit), "level_of_care": "OP", "end": today().isoformat()}
    no_reason = doctor.post(f"/patients/p6/episodes/{now_op.id}/edit", data=fields)
    assert no_reason.status_code == 422 and 'id="e-discharge_reason"' in no_reason.text
    assert "is required when the episode ends" in no_reason.text
    assert [e.id for e in records(app, "episodes", "p6") if e.is_active] == [now_op.id]
    closed = doctor.post(f"/patients/p6/episodes/{now_op.id}/edit", follow_redirects=False,
                         data={**fields, "discharge_reason": "completed"})
    assert closed.status_code == 303
    chart = doctor.get("/patients/p6").text  # discharged today: the episode ends with the day
    assert f"discharged {today().isoformat()} (completed)" in chart


def dap(**sections: str) -> dict[str, str]:
    return {"record": "session", "kind": "individual", "held_on": today().isoformat(), "duration_min": "50",
            "counselor": "couns.ray", "attended": "yes", "note_format": "dap", **sections}


def test_a_dap_note_needs_each_section_within_its_limit_and_shows_on_the_chart(app):  # noqa: F811
    counselor = signed_in(app, "couns.ray")
    form = counselor.get("/patients/p1/counseling/new?format=dap").text
    for section in ("data", "assessment", "plan"):
        assert f'id="f-{section}"' in form
    assert 'id="f-behavior"' not in form
    missing = counselor.post("/patients/p1/counseling/new", data={
        "csrf_token": csrf(form), **dap(data="Reports two cravings", assessment="Engaged")})
    assert missing.status_code == 422 and 'id="e-plan"' in missing.text and "Plan: is required" in missing.text
    long = "x" * (FREE_TEXT_MAX_LENGTH + 1)
    too_long = counselor.post("/patients/p1/counseling/new", data={
        "csrf_token": csrf(form), **dap(data=long, assessment="Engaged", plan="Weekly")})
    assert too_long.status_code == 422 and 'id="e-data"' in too_long.text
    assert f"is {FREE_TEXT_MAX_LENGTH + 1} characters; the limit is {FREE_TEXT_MAX_LENGTH}" in too_long.text
    assert records(app, "counseling") == []
    saved = counselor.post("/patients/p1/counseling/new", follow_redirects=False, data={
        "csrf_token": csrf(form), **dap(data="Reports two cravings", assessment="Engaged, low risk",
                                        plan="Weekly CBT; naloxone kit reviewed")})
    assert saved.status_code == 303
    [session] = records(app, "counseling")
    assert session.note_format == "dap"
    assert [(s.section, s.text) for s in session.note_sections] == [
        ("data", "Reports two cravings"), ("assessment", "Engaged, low risk"),
        ("plan", "Weekly CBT; naloxone kit reviewed")]
    chart = counselor.get("/patients/p1").text
    assert "DAP note" in chart and "<strong>Assessment:</strong> Engaged, low risk" in chart


def test_a_group_session_of_three_writes_three_sessions_sharing_the_group(app):  # noqa: F811
    add_patients(app)
    counselor = signed_in(app, "couns.ray")
    form = counselor.get("/groups/new").text  # without a search: the patients in an open episode
    assert "Dana Reyes" in form and "Petrov" not in form and "1 patient in an open episode today" in form
    found = counselor.post("/groups/new", data={"csrf_token": csrf(form), "action": "search", "q": "Petrov",
                                               "p_p1": "yes"})
    assert found.status_code == 200 and "Petrov" in found.text and "Sol" not in found.text
    assert 'name="p_p1" value="yes" checked' in found.text  # the roster keeps who is on it
    fields = {"csrf_token": csrf(form), "group_id": "Tuesday relapse prevention", "held_on": today().isoformat(),
              "duration_min": "90", "counselor": "couns.ray", "p_p1": "yes", "p_p6": "yes", "p_p7": "no"}
    bad = counselor.post("/groups/new", data={**fields, "duration_min": "500"})
    assert bad.status_code == 422 and "500 must be between 5 and 480 minutes" in bad.text
    none = counselor.post("/groups/new", data={**fields, "p_p1": "", "p_p6": "", "p_p7": ""})
    assert none.status_code == 422 and "no patient is on the roster" in none.text
    assert all(records(app, "counseling", pid) == [] for pid in ("p1", "p6", "p7"))
    saved = counselor.post("/groups/new", follow_redirects=False, data=fields)
    assert saved.status_code == 303 and saved.headers["location"] == "/groups/new?recorded=3"
    sessions = [s for pid in ("p1", "p6", "p7") for s in records(app, "counseling", pid)]
    assert {s.group_id for s in sessions} == {"Tuesday relapse prevention"}
    assert sorted((s.patient_id, s.attended, s.kind) for s in sessions) == [
        ("p1", True, "group"), ("p6", True, "group"), ("p7", False, "group")]
    assert len(created_entries(app, {s.id for s in sessions})) == 3
    assert "Recorded the group session for 3 patients" in counselor.get(saved.headers["location"]).text
    assert "group Tuesday relapse prevention" in counselor.get("/patients/p6").text


def test_roles_that_may_not_write_counseling_are_refused_the_group_session(app):  # noqa: F811
    for name in ("nurse.kim", "desk.lee", "audit.max"):
        client = signed_in(app, name)
        assert client.get("/groups/new").status_code == 403
        assert "Group session" not in client.get("/patients").text
    assert 'href="/groups/new"' in signed_in(app, "couns.ray").get("/patients").text


def test_a_mutual_help_meeting_shows_on_the_chart(app):  # noqa: F811
    counselor = signed_in(app, "couns.ray")
    form = counselor.get("/patients/p1/counseling/new").text
    saved = counselor.post("/patients/p1/counseling/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "record": "meeting", "fellowship": "SMART", "attended_on": today().isoformat()})
    assert saved.status_code == 303
    assert "SMART meeting" in counselor.get("/patients/p1").text
    assert records(app, "support_groups")[0].fellowship == "SMART"


def test_the_chart_shows_the_open_episode_and_a_counselor_sees_the_diary(app):  # noqa: F811
    chart = signed_in(app, "couns.ray").get("/patients/p1").text
    assert ">OP</span> OUD since" in chart and 'id="drinking-title"' in chart
