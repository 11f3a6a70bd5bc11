"""Monitoring alerts: a table of cases per rule with the boundaries (clinical.md §1.2, §2.6, §2.7, §3, §5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta

import pytest
from tests.factories import (
    DAY,
    ago,
    at,
    make_adverse_event,
    make_document,
    make_dx,
    make_episode,
    make_implant,
    make_injection,
    make_man,
    make_med,
    make_oral_dose,
    make_oral_regimen,
    make_patient,
    make_procedure,
    make_regimen,
    make_report,
    make_response,
    recent_lab,
)

from naltrack.domain.administrations import ImplantRemoval
from naltrack.domain.care import InjectionSiteDetails
from naltrack.domain.chart import PatientChart
from naltrack.domain.patients import ReproductiveStatus
from naltrack.domain.protection import medication_supply_protection_end, protection_end
from naltrack.domain.rules.monitoring import protection_end_alerts, run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT


def xr_chart(days_since_injection: int, **overrides: object) -> PatientChart:
    """On XR-NTX, last injection ``days_since_injection`` days ago, pain guidance on file."""
    chart = PatientChart(
        patient=make_man(),
        regimens=(make_regimen(start=ago(120)),),
        injections=(make_injection(given_at=at(ago(days_since_injection))),),
        documents=(make_document(),),
        medications=(make_med("1725059", ago(100)),),
    )
    return replace(chart, **overrides)  # type: ignore[arg-type]


def alerts_of(chart: PatientChart, rule: str, today: date = DAY, **kw: object) -> list:  # type: ignore[type-arg]
    return [a for a in run_monitoring(chart, today, UTC, **kw) if a.rule == rule]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days", "severity"),
    [(20, None), (25, None), (26, "info"), (28, "info"), (29, "warning"), (34, "warning"), (35, "critical"),
     (55, "critical"), (56, "critical")],
)
def test_injection_due_and_overdue_by_days_since_the_last(days: int, severity: str | None) -> None:
    found = alerts_of(xr_chart(days), "MON-INJECTION-DUE")
    assert [a.severity for a in found] == ([severity] if severity else [])
    if days == 35:
        assert "urine drug screen" in found[0].action
    if days == 56:
        assert "Consult" in found[0].action


@pytest.mark.parametrize(("days", "severity"), [(29, "warning"), (34, "warning"), (35, "critical"), (55, "critical"),
                                             (56, "critical")])
def test_late_injection_alerts_carry_the_naloxone_offer(days: int, severity: str) -> None:
    (alert,) = alerts_of(xr_chart(days), "MON-INJECTION-DUE")
    assert alert.severity == severity
    assert "Rescue naloxone is on file: confirm the patient still has it." in alert.action
    (without,) = alerts_of(xr_chart(days, medications=()), "MON-INJECTION-DUE")
    assert "No rescue naloxone on file" in without.action and "prescribe or give naloxone" in without.action


def test_an_injection_that_is_due_but_not_late_has_no_naloxone_text() -> None:
    (alert,) = alerts_of(xr_chart(28), "MON-INJECTION-DUE")
    assert alert.severity == "info" and "naloxone" not in alert.action


def test_no_injection_alert_without_an_xr_regimen() -> None:
    assert alerts_of(xr_chart(40, regimens=()), "MON-INJECTION-DUE") == []


@pytest.mark.parametrize(
    ("days", "severity"),
    [(19, None), (26, None), (28, None), (32, None), (33, "critical"), (35, "critical"), (62, "critical"),
     (63, None)],
)
def test_end_of_protection_after_an_injection(days: int, severity: str | None) -> None:
    """The blockade estimate (docs/pk.md "Opioid blockade"): the typical subject is blocked through day 32
    after an XR-NTX injection (label: about 28 days; Comer 2002: about 5 weeks). While the injection is on
    schedule nothing is announced here (MON-INJECTION-DUE gives the due window); once the blockade has
    ended the lapse is critical (overdose risk, clinical.md §3) through ``lapse_alert_days`` = 30 days
    after the end (day 62), then quiet (day 63)."""
    found = alerts_of(xr_chart(days), "MON-PROTECTION-END")
    assert [a.severity for a in found] == ([severity] if severity else [])
    if severity:
        assert f"Opioid blockade ended on {ago(days) + timedelta(days=32)}" in found[0].message


@pytest.mark.parametrize(("days", "severity"), [(26, None), (27, "warning"), (28, "warning"), (29, "critical")])
def test_a_heavy_patients_blockade_may_end_before_the_due_day_a_warning_until_it_is_late(
        days: int, severity: str | None) -> None:
    """Body weight raises clearance (pk.md §2.3): at 180 kg the typical subject is blocked through day 26. The
    label's 4-week schedule is followed, so until the injection is late it is a warning to give it now."""
    weight = recent_lab("29463-7", 180.0, unit="kg", name="Body weight", collected_at=at(ago(days)))
    found = alerts_of(xr_chart(days, labs=(weight,)), "MON-PROTECTION-END")
    assert [a.severity for a in found] == ([severity] if severity else [])
    if severity == "warning":
        assert f"before the injection due on {ago(days) + timedelta(days=28)}" in found[0].message
        assert found[0].action.startswith("Give the injection now.")


def test_protection_alert_offers_naloxone_when_none_is_on_file() -> None:
    chart = xr_chart(34, medications=(make_med("1010604", ago(5)),))  # buprenorphine/naloxone is not rescue
    (alert,) = alerts_of(chart, "MON-PROTECTION-END")
    assert "No rescue naloxone on file" in alert.action
    (with_naloxone,) = alerts_of(xr_chart(35), "MON-PROTECTION-END")
    assert "Rescue naloxone is on file" in with_naloxone.action
    assert "overdose risk is high" in with_naloxone.message


@pytest.mark.parametrize(("schedule", "warned"), [("oral-daily", False), ("targeted", True), (None, True)])
def test_an_ending_blockade_is_announced_unless_the_next_dose_is_scheduled(schedule: str | None,
                                                                           warned: bool) -> None:
    regimens = () if schedule is None else (make_oral_regimen(kind=schedule, schedule=(), start=ago(30)),)
    chart = xr_chart(5, regimens=regimens, injections=(), oral_doses=(make_oral_dose(taken_at=at(DAY)),))
    found = alerts_of(chart, "MON-PROTECTION-END")
    assert [a.severity for a in found] == (["warning"] if warned else [])
    if warned:
        assert found[0].message == f"Opioid blockade is expected to end on {DAY + timedelta(days=1)} (blocked " \
                                   f"through {DAY + timedelta(days=1)})."


@pytest.mark.parametrize(
    ("records", "severity"),
    [
        ({"episodes": (make_episode("AUD"),)}, "warning"),
        ({"diagnoses": (make_dx("F10.20", "Alcohol dependence"),)}, "warning"),
        ({"episodes": (make_episode("OUD+AUD"),)}, "critical"),
        ({"episodes": (make_episode("OUD"),)}, "critical"),
        ({"episodes": (make_episode("AUD"),), "diagnoses": (make_dx("F11.20", "Opioid dependence"),)}, "critical"),
        ({"episodes": (make_episode("AUD"),), "substance_use": (make_report("heroin", ago(200)),)}, "critical"),
        ({}, "critical"),  # no indication on file: treated as OUD
    ],
)
def test_lapse_severity_and_overdose_wording_follow_oud(records: dict, severity: str) -> None:  # type: ignore[type-arg]
    (alert,) = alerts_of(xr_chart(40, **records), "MON-PROTECTION-END")
    assert alert.severity == severity
    assert ("overdose risk" in alert.message) == (severity == "critical")
    assert "naloxone" in alert.action
    if severity == "warning":
        assert "missed" in alert.message


def test_the_protection_rule_reads_the_end_it_is_given() -> None:
    chart = xr_chart(10)
    assert alerts_of(chart, "MON-PROTECTION-END") == []
    two_days_ago = DAY - timedelta(days=2)
    found = protection_end_alerts(chart, DAY, two_days_ago, UTC, DEFAULT)
    assert [a.severity for a in found] == ["warning"]  # injection not yet late on day 10
    assert f"before the injection due on {ago(10) + timedelta(days=28)}" in found[0].message
    overdue = protection_end_alerts(xr_chart(35), DAY, two_days_ago, UTC, DEFAULT)
    assert [a.severity for a in overdue] == ["critical"]
    assert protection_end_alerts(chart, DAY, None, UTC, DEFAULT) == []


def test_default_end_of_protection_per_form() -> None:
    """The typical subject's last blocked day (docs/pk.md "Opioid blockade"): a day is blocked when every
    hour of it is.

    Oral, taken at 09:00 the day before: 50 mg blocks about 52 h (label >= 24 h), so through today;
    100 and 150 mg through tomorrow (72 and 84 h); 25 mg never blocks a whole day. XR-NTX: injection
    + 32 days. A 1 g implant recorded to last 90 days: blocked to day 89 after insertion; removed at
    09:00 two days ago, the receptor site trails plasma through the rest of that day.
    """
    base = PatientChart(patient=make_man())
    assert protection_end(base, DAY, UTC) is None
    for dose_mg, end in ((50.0, DAY), (100.0, DAY + timedelta(days=1)), (150.0, DAY + timedelta(days=1))):
        oral = replace(base, oral_doses=(make_oral_dose(taken_at=at(ago(1)), dose_mg=dose_mg),))
        assert protection_end(oral, DAY, UTC) == end
    low = replace(base, oral_doses=(make_oral_dose(taken_at=at(ago(1)), dose_mg=25.0),))
    assert protection_end(low, DAY, UTC) is None
    shot = replace(base, injections=(make_injection(given_at=at(ago(3))),))
    assert protection_end(shot, DAY, UTC) == ago(3) + timedelta(days=32)
    implant = make_implant(ago(10), duration_days=90)
    assert protection_end(replace(base, implants=(implant,)), DAY, UTC) == ago(10) + timedelta(days=89)
    removal = ImplantRemoval(id="rm", patient_id=implant.patient_id, implant_id=implant.id, removed_at=at(ago(2)),
                             reason="surgery", removed_by="Dr Ng")
    removed = replace(base, implants=(implant,), implant_removals=(removal,))
    assert protection_end(removed, DAY, UTC) == ago(2)


def test_a_missed_oral_dose_gives_no_protection() -> None:
    missed = replace(make_oral_dose(taken_at=at(ago(1))), dose_status="missed")
    assert protection_end(PatientChart(patient=make_man(), oral_doses=(missed,)), DAY, UTC) is None


@pytest.mark.parametrize(
    ("values", "severity"),
    [
        ((30.0,), None),
        ((124.0,), "warning"),            # 3.1x ULN
        ((116.0,), None),                 # 2.9x ULN, stable
        ((50.0, 80.0), "warning"),        # rising 1.6x and above the ULN
        ((20.0, 35.0), None),             # rising but under the ULN
        ((60.0, 70.0), None),             # above the ULN but not rising by 1.5x
        ((196.0,), "warning"),            # 4.9x
        ((204.0,), "critical"),           # 5.1x
    ],
)
def test_liver_tests(values: tuple[float, ...], severity: str | None) -> None:
    labs = tuple(recent_lab("1742-6", v, reference_high=40.0, collected_at=at(ago(10 - i)))
                 for i, v in enumerate(values))
    found = alerts_of(xr_chart(5, labs=labs), "MON-LIVER-RISING")
    assert [a.severity for a in found] == ([severity] if severity else [])


@pytest.mark.parametrize(("item9", "days_ago", "alert"),
                         [(0, 1, False), (1, 1, True), (3, 30, True), (1, 31, True), (1, 400, True)])
def test_phq9_item9_above_zero_is_urgent(item9: int, days_ago: int, alert: bool) -> None:
    response = make_response("phq-9", [0, 0, 0, 0, 0, 0, 0, 0, item9], ago(days_ago))
    found = alerts_of(xr_chart(5, questionnaires=(response,)), "MON-PHQ9-ITEM9")
    assert [a.severity for a in found] == (["critical"] if alert else [])


def test_phq9_a_later_negative_response_does_not_close_item9() -> None:
    """Only a safety assessment closes it (tests/unit/domain/test_safety.py)."""
    earlier = make_response("phq-9", [0] * 8 + [2], ago(10))
    later = make_response("phq-9", [0] * 9, ago(2))
    found = alerts_of(xr_chart(5, questionnaires=(earlier, later)), "MON-PHQ9-ITEM9")
    assert [a.subject for a in found] == [earlier.id]


@pytest.mark.parametrize(
    ("onset_days", "site", "grade", "outcome", "severity", "text"),
    [(5, {}, 2, "not-resolved", "warning", "."),
     (13, {}, 2, "resolving", "warning", ", resolving."),
     (30, {}, 2, "resolving", "warning", ", resolving."),
     (14, {}, 2, "not-resolved", "warning", " is not improving."),
     (2, {"necrosis": True}, 2, "not-resolved", "critical", ": necrosis."),
     (2, {"necrosis": True}, 2, "resolving", "warning", ", resolving."),
     (4, {"surgical_referral": True}, 3, "resolving", "warning", ", resolving."),
     (3, {"surgical_referral": True}, 2, "not-resolved", "critical", ": referred to a surgeon."),
     (3, {}, 3, "not-resolved", "critical", ": severe (CTCAE grade 3)."),
     (20, {}, 2, "resolved", None, "")],
)
def test_injection_site_reaction_severity_follows_its_status(onset_days: int, site: dict, grade: int,  # type: ignore[type-arg]
                                                             outcome: str, severity: str | None, text: str) -> None:
    """Necrosis, a surgical referral or a severe (CTCAE grade 3) reaction is critical unless it is resolving; a
    resolving one, one not improving after 2 weeks (report it, FDA 2008) and a new one are warnings (clinical.md
    §3)."""
    event = make_adverse_event("injection-site-reaction", ago(onset_days), grade=grade, outcome=outcome,
                               site=InjectionSiteDetails(side="left", induration_cm=3.0, **site))
    found = alerts_of(xr_chart(5, adverse_events=(event,)), "MON-INJECTION-SITE")
    assert [a.severity for a in found] == ([severity] if severity else [])
    if severity:
        assert found[0].message == f"Injection-site reaction since {ago(onset_days)} ({onset_days} days){text}"


def test_a_worsening_injection_site_reaction_is_critical() -> None:
    first = make_adverse_event("injection-site-reaction", ago(6), site=InjectionSiteDetails(side="left",
                                                                                            induration_cm=2.0))
    larger = replace(first, id="ae-larger", supersedes=first.id, site=InjectionSiteDetails(side="left",
                                                                                         induration_cm=4.5))
    chart = xr_chart(5, adverse_events=(replace(first, status="entered-in-error"), larger))
    (alert,) = alerts_of(chart, "MON-INJECTION-SITE")
    assert (alert.severity, alert.subject) == ("critical", "ae-larger")
    assert "worsening (induration 2 to 4.5 cm)" in alert.message
    resolving = replace(larger, outcome="resolving")  # worsening wins over a "resolving" outcome
    (alert,) = alerts_of(replace(chart, adverse_events=(chart.adverse_events[0], resolving)), "MON-INJECTION-SITE")
    assert alert.severity == "critical"
    smaller = replace(larger, site=InjectionSiteDetails(side="left", induration_cm=1.0), outcome="resolving")
    (alert,) = alerts_of(replace(chart, adverse_events=(chart.adverse_events[0], smaller)), "MON-INJECTION-SITE")
    assert alert.severity == "warning"


@pytest.mark.parametrize(("kind", "severity"), [("eosinophilic-pneumonia", "critical"), ("dyspnea", "warning"),
                                                 ("nausea", None)])
def test_eosinophilic_pneumonia_symptoms(kind: str, severity: str | None) -> None:
    found = alerts_of(xr_chart(5, adverse_events=(make_adverse_event(kind, ago(2)),)), "MON-EOSINOPHILIC-PNEUMONIA")
    assert [a.severity for a in found] == ([severity] if severity else [])


def test_pregnancy_reported_on_naltrexone() -> None:
    pregnant = make_patient(sex_at_birth="female",
                            reproductive=ReproductiveStatus(pregnant=True, breastfeeding=False, as_of=ago(3)))
    assert [a.severity for a in alerts_of(xr_chart(5, patient=pregnant), "MON-PREGNANCY")] == ["warning"]
    assert alerts_of(xr_chart(5, patient=pregnant, regimens=()), "MON-PREGNANCY") == []


@pytest.mark.parametrize(("days_ahead", "severity"), [(61, None), (40, "warning"), (30, "warning"), (29, "critical"),
                                                      (0, "critical")])
def test_planned_surgery_on_xr_ntx(days_ahead: int, severity: str | None) -> None:
    chart = xr_chart(5, procedures=(make_procedure(DAY + timedelta(days=days_ahead)),))
    found = alerts_of(chart, "MON-SURGERY")
    assert [a.severity for a in found] == ([severity] if severity else [])


@pytest.mark.parametrize(("days_since", "alerted"), [(30, True), (31, False)])
def test_surgery_after_the_xr_regimen_ended_counts_the_injection_for_30_days(days_since: int, alerted: bool) -> None:
    chart = xr_chart(days_since, regimens=(), procedures=(make_procedure(DAY + timedelta(days=10)),))
    assert [a.severity for a in alerts_of(chart, "MON-SURGERY")] == (["critical"] if alerted else [])


def test_planned_surgery_on_oral_names_the_stop_date() -> None:
    chart = xr_chart(5, regimens=(make_oral_regimen(kind="oral-daily", schedule=(), start=ago(30)),), injections=(),
                     procedures=(make_procedure(DAY + timedelta(days=10)),))
    (alert,) = alerts_of(chart, "MON-SURGERY")
    assert alert.severity == "warning"
    assert str(DAY + timedelta(days=7)) in alert.message


def test_surgery_with_an_implant_in_place() -> None:
    chart = xr_chart(5, regimens=(), injections=(), implants=(make_implant(ago(20)),),
                     procedures=(make_procedure(DAY + timedelta(days=10)),))
    assert "implant" in alerts_of(chart, "MON-SURGERY")[0].message


def test_no_emergency_pain_guidance_on_file() -> None:
    assert [a.severity for a in alerts_of(xr_chart(5, documents=()), "MON-PAIN-GUIDANCE")] == ["warning"]
    assert alerts_of(xr_chart(5), "MON-PAIN-GUIDANCE") == []
    assert alerts_of(xr_chart(5, documents=(), regimens=()), "MON-PAIN-GUIDANCE") == []


def test_alerts_are_ordered_and_carry_source_and_action() -> None:
    chart = xr_chart(40, documents=(), questionnaires=(make_response("phq-9", [0] * 8 + [1], ago(1)),))
    alerts = run_monitoring(chart, DAY, UTC)
    order = {"critical": 0, "warning": 1, "info": 2}
    assert [order[a.severity] for a in alerts] == sorted(order[a.severity] for a in alerts)
    assert {a.rule for a in alerts} >= {"MON-INJECTION-DUE", "MON-PROTECTION-END", "MON-PHQ9-ITEM9",
                                        "MON-PAIN-GUIDANCE"}
    assert all(a.source.startswith("clinical.md") and a.action for a in alerts)
    assert set(alerts[0].as_dict()) == {"rule", "severity", "message", "source", "action", "subject"}


def test_without_administrations_the_end_is_the_days_supply_of_a_medicine() -> None:
    """Naltrexone known only as a medicine (no dose time to model): its last day + 28 days for
    XR-NTX (clinical.md §1.2); a prescription alone is no supply. With an administration on
    file, the coverage engine's estimate is used instead."""
    base = PatientChart(patient=make_man())
    reported_xr = make_med("637213", ago(40), end=ago(10), source="reported")
    assert protection_end(replace(base, medications=(reported_xr,)), DAY, UTC) == ago(10) + timedelta(days=28)
    assert medication_supply_protection_end(replace(base, medications=(reported_xr,)), DAY) == ago(10) + \
        timedelta(days=28)
    prescribed_only = make_med("1483744", ago(5), source="prescribed")
    assert protection_end(replace(base, medications=(prescribed_only,)), DAY, UTC) is None
    shot = replace(base, medications=(reported_xr,), injections=(make_injection(given_at=at(ago(3))),))
    assert protection_end(shot, DAY, UTC) == ago(3) + timedelta(days=32)


def test_monitoring_reads_the_coverage_engines_end_of_protection() -> None:
    from naltrack.domain.coverage import estimate_protection_end

    chart = xr_chart(40)
    assert protection_end(chart, DAY, UTC) == estimate_protection_end(chart, DAY, UTC) == ago(40) + timedelta(days=32)
    alerts = run_monitoring(chart, DAY, UTC)
    assert [a.severity for a in alerts if a.rule == "MON-PROTECTION-END"] == ["critical"]
