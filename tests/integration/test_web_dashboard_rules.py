"""The dashboard's set-based queries agree with the per-patient monitoring rules.

For random small programs (XR-NTX patients at any day since their last injection, oral
patients with doses of 25 to 150 mg at any hour, corrections, stopped regimens), the
injections due and overdue and the ends of protection that the dashboard's read model
(``adapters/db/read_models/``) computes in SQL are exactly those that :func:`run_monitoring`
(rule MON-INJECTION-DUE) and :func:`estimate_protection_end` (rule MON-PROTECTION-END, the
coverage engine) give chart by chart; and for patients in care with random PHQ-9s,
injection-site reactions and ALT results, the urgent alerts are the rules' MON-PHQ9-ITEM9,
MON-INJECTION-SITE and MON-LIVER-RISING above 3x ULN, with the same severities.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests import seeding

from naltrack.adapters.db.security_repository import SqlSecureUnitOfWork
from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection, OralDose
from naltrack.domain.coverage import estimate_protection_end
from naltrack.domain.due_dates import next_dose_scheduled
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.protection import announces_protection_end
from naltrack.domain.records import supersede
from naltrack.domain.regimens import Regimen
from naltrack.domain.rules.monitoring import run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT
from naltrack.services.read_models import Dashboard

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
_clinics = itertools.count()


@lru_cache(maxsize=1)
def storage() -> Storage:
    """One in-memory database for every example; each example is a clinic of its own."""
    store = Storage("sqlite://")
    store.ensure_schema()
    return store


def _seed(*items) -> None:
    """Store clinics, patients and records as they are, in one unit of work (tests/seeding.py)."""
    seeding.seed(_uow, clinics=[i for i in items if isinstance(i, Clinic)],
                 patients=[i for i in items if isinstance(i, Patient)],
                 records=[i for i in items if not isinstance(i, Clinic | Patient)], now=NOW)


def _uow() -> SqlSecureUnitOfWork:
    return SqlSecureUnitOfWork(storage().engine)


def _correct(old_id: str, new) -> None:
    """Replace a record by its correction (the old one stays, entered-in-error)."""
    with _uow() as uow:
        old = uow.records.get(type(new), old_id)
        retired, linked = supersede(old, new)
        uow.records.update(replace(retired, version=old.version + 1))
        uow.records.add(linked)
        uow.commit()


def _dashboard(clinic_id: str) -> Dashboard:
    """The read model's dashboard of the clinic on TODAY (the clinic runs on UTC)."""
    with _uow() as uow:
        return uow.read_models.dashboard(clinic_id, TODAY, UTC_ZONE, DEFAULT)


xr_patient = st.fixed_dictionaries({
    "form": st.just("xr"), "days_ago": st.integers(0, 70), "hour": st.integers(0, 23),
    "interval": st.sampled_from([None, 21, 28, 35]), "stopped": st.booleans(), "corrected": st.booleans(),
})
oral_patient = st.fixed_dictionaries({
    "form": st.just("oral"), "days_ago": st.integers(0, 40), "hour": st.integers(0, 23),
    "dose": st.sampled_from([25.0, 50.0, 100.0, 150.0]), "stopped": st.booleans(), "corrected": st.booleans(),
})


def _at(days_ago: int, hour: int) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _records(pid: str, spec: dict) -> list:
    start = TODAY - timedelta(days=120)
    end = TODAY - timedelta(days=1) if spec["stopped"] else None
    if spec["form"] == "xr":
        regimen = Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=start, end=end,
                          interval_days=spec["interval"])
        dose = Injection(id=f"{pid}-d", patient_id=pid, given_at=_at(spec["days_ago"], spec["hour"]), side="left",
                         lot="L1", expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="nurse")
    else:
        regimen = Regimen(id=f"{pid}-r", patient_id=pid, kind="oral-daily", start=start, end=end)
        dose = OralDose(id=f"{pid}-d", patient_id=pid, taken_at=_at(spec["days_ago"], spec["hour"]),
                        dose_mg=spec["dose"])
    return [regimen, dose]


def _load(specs: list[dict]) -> str:
    clinic_id = f"c{next(_clinics)}"
    _seed(Clinic(id=clinic_id, name=clinic_id, timezone="UTC"))
    for n, spec in enumerate(specs):
        pid = f"{clinic_id}-p{n}"
        batch = _records(pid, spec)
        _seed(Patient(id=pid, clinic_id=clinic_id, given_name="Syn", family_name=f"P{n}",
                      birth_date=date(1980, 1, 1), sex_at_birth="unknown"), *batch)
        if spec["corrected"]:  # the correction, one day earlier, replaces the dose
            dose = batch[1]
            moved = {"given_at": dose.given_at - timedelta(days=1)} if spec["form"] == "xr" else \
                {"taken_at": dose.taken_at - timedelta(days=1)}
            _correct(dose.id, replace(dose, id=f"{pid}-d2", **moved))
    return clinic_id


def _charts(clinic_id: str, count: int) -> dict:
    return {f"{clinic_id}-p{n}": seeding.stored_chart(_uow, f"{clinic_id}-p{n}") for n in range(count)}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(xr_patient, oral_patient), min_size=1, max_size=6))
def test_due_and_overdue_injections_match_the_monitoring_rule(specs):
    clinic_id = _load(specs)
    board = _dashboard(clinic_id)
    due, overdue = board.due_today, board.overdue
    expected_due, expected_overdue = set(), set()
    for pid, chart in _charts(clinic_id, len(specs)).items():
        for alert in run_monitoring(chart, TODAY, UTC_ZONE):
            if alert.rule == "MON-INJECTION-DUE":
                (expected_due if alert.severity == "info" else expected_overdue).add(pid)
    assert {d.patient_id for d in due} == expected_due
    assert {d.patient_id for d in overdue} == expected_overdue


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(xr_patient, oral_patient), min_size=1, max_size=6))
def test_protection_ending_matches_the_coverage_engine(specs):
    clinic_id = _load(specs)
    listed = {p.patient_id: p.protection_ends_on for p in _dashboard(clinic_id).protection}
    expected = {}
    for pid, chart in _charts(clinic_id, len(specs)).items():
        end = estimate_protection_end(chart, TODAY, UTC_ZONE)
        on_regimen = bool(chart.active_regimens_on(TODAY))
        if on_regimen and announces_protection_end(end, TODAY, next_dose_scheduled(chart, TODAY, UTC_ZONE), DEFAULT):
            expected[pid] = end
    assert listed == expected


care_patient = st.fixed_dictionaries({
    "phq9_days_ago": st.one_of(st.none(), st.integers(0, 45), st.just(400)), "item9": st.sampled_from([0, 1, 3]),
    "later_phq9_clear": st.booleans(),
    # A safety assessment: (role, hours after the PHQ-9, names the response, retracted).
    "assessment": st.one_of(st.none(), st.tuples(st.sampled_from(["counselor", "prescriber", "nurse"]),
                                                 st.sampled_from([-2, 0, 3]), st.booleans(), st.booleans())),
    "site_days_ago": st.one_of(st.none(), st.integers(0, 30)), "necrosis": st.booleans(),
    "site_outcome": st.sampled_from(["not-resolved", "resolving", "resolved"]),
    "alt_x_uln": st.one_of(st.none(), st.sampled_from([0.8, 2.9, 3.5, 6.0])),
})


def _care_records(pid: str, spec: dict) -> list:
    from naltrack.domain.care import AdverseEvent, InjectionSiteDetails
    from naltrack.domain.episodes import Episode
    from naltrack.domain.observations import LabResult, QuestionnaireResponse

    batch: list = [Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP",
                           start=TODAY - timedelta(days=90))]
    if spec["phq9_days_ago"] is not None:
        answers = (1,) * 8 + (spec["item9"],)
        flags = ("item-9-positive",) if spec["item9"] else ()
        batch.append(QuestionnaireResponse(id=f"{pid}-q", patient_id=pid, instrument="phq-9", answers=answers,
                                           completed_at=_at(spec["phq9_days_ago"], 10), total=sum(answers),
                                           band="mild", flags=flags))
        if spec["later_phq9_clear"] and spec["phq9_days_ago"] > 0:
            batch.append(QuestionnaireResponse(id=f"{pid}-q2", patient_id=pid, instrument="phq-9", answers=(0,) * 9,
                                               completed_at=_at(spec["phq9_days_ago"] - 1, 10), total=0,
                                               band="minimal"))
        if spec["assessment"] is not None:
            batch.append(_assessment(pid, spec["phq9_days_ago"], *spec["assessment"]))
    if spec["site_days_ago"] is not None:
        batch.append(AdverseEvent(id=f"{pid}-a", patient_id=pid, kind="injection-site-reaction",
                                  onset=TODAY - timedelta(days=spec["site_days_ago"]), ctcae_grade=2,
                                  outcome=spec["site_outcome"],
                                  resolved_on=TODAY if spec["site_outcome"] == "resolved" else None,
                                  site=InjectionSiteDetails(side="left", necrosis=spec["necrosis"])))
    if spec["alt_x_uln"] is not None:
        batch.append(LabResult(id=f"{pid}-l", patient_id=pid, loinc="1742-6", name="ALT", unit="U/L",
                               value=40.0 * spec["alt_x_uln"], reference_high=40.0, collected_at=_at(5, 9)))
    return batch


def _assessment(pid: str, days_ago: int, role: str, hours_after: int, names_it: bool, retracted: bool):
    from naltrack.domain.safety import SafetyAssessment

    at = _at(days_ago, 10) + timedelta(hours=hours_after)
    return SafetyAssessment(id=f"{pid}-sa", patient_id=pid, assessed_at=at, risk_level="low",
                            actions=("safety-plan",), assessed_by="Syn Clinician",
                            assessor_role=role, response_id=f"{pid}-q" if names_it else None,
                            status="entered-in-error" if retracted else "active")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(care_patient, min_size=1, max_size=5))
def test_urgent_alerts_match_the_monitoring_rules(specs):
    clinic_id = f"c{next(_clinics)}"
    _seed(Clinic(id=clinic_id, name=clinic_id, timezone="UTC"))
    for n, spec in enumerate(specs):
        pid = f"{clinic_id}-p{n}"
        _seed(Patient(id=pid, clinic_id=clinic_id, given_name="Syn", family_name=f"P{n}",
                      birth_date=date(1980, 1, 1), sex_at_birth="unknown"), *_care_records(pid, spec))
    alerts = _dashboard(clinic_id).alerts
    listed = {(a.patient_id, a.rule, a.severity) for a in alerts}
    expected = set()
    urgent = {"MON-PHQ9-ITEM9", "MON-INJECTION-SITE"}
    for pid, chart in _charts(clinic_id, len(specs)).items():
        for alert in run_monitoring(chart, TODAY, UTC_ZONE):
            liver_above_3x = alert.rule == "MON-LIVER-RISING" and "up from" not in alert.message
            if alert.rule in urgent or liver_above_3x:
                expected.add((pid, alert.rule, alert.severity))
    assert listed == expected
