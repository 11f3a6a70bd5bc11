"""The synthetic program: reproducible, valid, realistic in the numbers it claims."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from tests.seeding import stored_chart

from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection
from naltrack.domain.care import AdverseEvent, Appointment
from naltrack.domain.episodes import Episode
from naltrack.domain.errors import Conflict
from naltrack.domain.observations import QuestionnaireResponse
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import Regimen
from naltrack.services.stats import count_records
from naltrack.services.unit_of_work import KIND_OF
from naltrack.synthetic import ProgramParams, generate_patients, load_program
from naltrack.synthetic.treatment import Course

END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def program() -> list[tuple[object, list[ClinicalRecord]]]:
    return list(generate_patients(2000, seed=11, end=END))


def _of(program: list[tuple[object, list[ClinicalRecord]]], cls: type) -> list:
    return [r for _, records in program for r in records if isinstance(r, cls)]


def test_same_seed_gives_the_same_program() -> None:
    first = list(generate_patients(60, seed=3, end=END))
    again = list(generate_patients(60, seed=3, end=END))
    assert first == again


def test_another_seed_gives_another_program() -> None:
    a = Counter(KIND_OF[type(r)] for _, rs in generate_patients(60, seed=3, end=END) for r in rs)
    b = Counter(KIND_OF[type(r)] for _, rs in generate_patients(60, seed=4, end=END) for r in rs)
    assert a != b


def test_about_28_percent_of_opioid_patients_assigned_xr_ntx_never_start(program: list) -> None:
    episodes = {e.patient_id: e for e in _of(program, Episode)}
    injected = {i.patient_id for i in _of(program, Injection)}
    assigned = [r for r in _of(program, Regimen)
                if r.form == "xr-ntx" and episodes[r.patient_id].indication in ("OUD", "OUD+AUD")]
    never = [r for r in assigned if r.patient_id not in injected]
    assert len(assigned) > 400
    assert abs(len(never) / len(assigned) - ProgramParams().xr_ntx_non_start_oud) < 0.05
    assert all(r.note and r.note.startswith("not started") for r in never)


def test_every_kind_of_regimen_and_indication_occurs(program: list) -> None:
    assert {r.kind for r in _of(program, Regimen)} == {
        "oral-daily", "oral-schedule", "xr-ntx-q4w", "implant", "targeted", "xr-ntx-bupropion"}
    assert {e.indication for e in _of(program, Episode)} == {"OUD", "AUD", "OUD+AUD", "stimulant"}


def test_injections_alternate_buttocks_and_come_about_every_four_weeks(program: list) -> None:
    shots: dict[str, list[Injection]] = {}
    for shot in _of(program, Injection):
        if shot.is_active:
            shots.setdefault(shot.patient_id, []).append(shot)
    gaps = []
    for series in shots.values():
        series.sort(key=lambda s: s.given_at)
        assert all(a.side != b.side for a, b in zip(series, series[1:], strict=False))
        gaps += [(b.given_at.date() - a.given_at.date()).days for a, b in zip(series, series[1:], strict=False)]
    assert min(gaps) >= 26 and max(gaps) <= 50
    assert 27 <= sorted(gaps)[len(gaps) // 2] <= 31


def test_retention_falls_along_a_curve(program: list) -> None:
    regimens = [r for r in _of(program, Regimen) if r.form == "xr-ntx" and r.start <= date(2026, 3, 1)]
    started = {i.regimen_id for i in _of(program, Injection)}
    cohort = [r for r in regimens if r.id in started]
    still_on_at_24_weeks = [r for r in cohort if r.end is None or (r.end - r.start).days >= 168]
    assert 0.3 < len(still_on_at_24_weeks) / len(cohort) < 0.6


def test_no_past_event_is_dated_on_or_after_the_end_date(program: list) -> None:
    for _, records in program:
        for record in records:
            if isinstance(record, Appointment):
                continue
            for value in vars(record).values():
                if isinstance(value, datetime):
                    assert value.date() < END, record
    assert any(a.starts_at.date() >= END for a in _of(program, Appointment))


def test_injections_are_due_today_and_overdue_at_the_end_date(program: list) -> None:
    booked = [a for a in _of(program, Appointment) if a.kind == "injection"]
    assert any(a.starts_at.date() == END and a.appointment_status == "booked" for a in booked)
    assert any(a.appointment_status == "noshow" and a.starts_at.date() < END for a in booked)


def test_safety_signals_occur_at_low_rates(program: list) -> None:
    events = _of(program, AdverseEvent)
    shots = _of(program, Injection)
    site = [e for e in events if e.kind == "injection-site-reaction"]
    assert all(e.site is not None and e.injection_id for e in site)
    assert 0.04 < len(site) / len(shots) < 0.12
    assert 0 < sum(e.kind == "hepatotoxicity" for e in events) < 0.01 * len(program)
    phq = [q for q in _of(program, QuestionnaireResponse) if q.instrument == "phq-9"]
    flagged = [q for q in phq if q.answers[8] > 0]
    assert 0.01 < len(flagged) / len(phq) < 0.06
    assert all("item-9-positive" in q.flags for q in flagged)


def test_some_records_are_corrected_with_the_old_version_kept(program: list) -> None:
    retired = [r for _, rs in program for r in rs if r.status == "entered-in-error"]
    ids = {r.supersedes for _, rs in program for r in rs if r.supersedes}
    assert retired and {r.id for r in retired} == ids


def test_course_defaults_are_empty() -> None:
    course = Course(start=END, stop=END, active_at_end=True)
    assert course.visits == [] and course.injections == [] and course.next_due is None


def test_load_program_writes_what_it_reports_and_charts_read_back(storage: Storage) -> None:
    counts = load_program(storage.uow, n_patients=120, seed=5, end=END, batch_patients=50)
    stored = count_records(storage.uow())
    assert counts["patients"] == stored["patients"] == 120
    for kind, n in counts.items():
        assert stored[kind] == n, kind
    chart = stored_chart(storage.uow, "s5-p000001")
    assert chart.patient.mrn == "S5-000001"
    assert len(chart.episodes) == 1


def test_loading_the_same_seed_twice_conflicts_and_adds_nothing(storage: Storage) -> None:
    load_program(storage.uow, n_patients=5, seed=9, end=END)
    with pytest.raises(Conflict, match="seed 9 is already loaded"):
        load_program(storage.uow, n_patients=5, seed=9, end=END)
    assert count_records(storage.uow())["patients"] == 5


def test_every_generated_record_reads_back_equal(storage: Storage) -> None:
    generated = list(generate_patients(40, seed=6, end=END))
    load_program(storage.uow, n_patients=40, seed=6, end=END)
    for patient, records in generated:
        chart = stored_chart(storage.uow, patient.id)
        assert chart.patient == patient
        stored = [r for kind in KIND_OF.values() for r in getattr(chart, kind)]
        assert sorted(stored, key=lambda r: r.id) == sorted(records, key=lambda r: r.id)
        for back, original in zip(sorted(stored, key=lambda r: r.id), sorted(records, key=lambda r: r.id),
                                  strict=True):
            for name, value in vars(original).items():
                if isinstance(value, datetime):
                    assert getattr(back, name).date() == value.date(), (back.id, name)
