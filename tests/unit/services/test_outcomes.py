"""The program's measures use cases (services/outcomes.py) over an in-memory secure unit of work: the whole
program read up to each clinic's own day, one audit entry naming no patient, the filters checked, pseudonyms
in every patient-level list; the manager reads these and nothing else."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.factories import make_clinic, make_patient
from tests.unit.services.fakes import FakeSecureUnitOfWork

from naltrack.analytics.courses import Dose, Interval, PatientCourse
from naltrack.analytics.definitions import MeasureDefinitions
from naltrack.analytics.dispensing import write_dispensing_csv
from naltrack.analytics.pod import measure_pod
from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.roles import ROLES, AccessDenied
from naltrack.services.clinical_views import patient_chart
from naltrack.services.context import AppContext
from naltrack.services.dashboard import get_dashboard
from naltrack.services.outcomes import OutcomeQuery, program_measure, program_outcomes, program_quality, pseudonym
from naltrack.services.patients import list_patients
from naltrack.services.read_models import ProgramClinic
from naltrack.services.records import RecordFilter, list_records

#: 12:00 UTC on 2 March 2026 is 07:00 on 2 March in New York and 01:00 on 3 March in Auckland.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def course(n: int, clinic: str = "c-ny", form: str = "xr-ntx", indication: str = "OUD") -> PatientCourse:
    """A patient who started 100 - n days before NOW with a dose each 28 days, treated for 40 + n days."""
    start = date(2025, 11, 22) + timedelta(days=n)
    doses = tuple(Dose(start + timedelta(days=28 * k), form, "637213" if form == "xr-ntx" else "1483744",  # type: ignore[arg-type]
                       None if form == "xr-ntx" else 28) for k in range(1 + (40 + n) // 28))
    return PatientCourse(patient_id=f"p{n:02d}", clinic_id=clinic, sex_at_birth="male", birth_date=date(1980, 1, 1),
                         indication=indication, assessed_on=start, ready_on=start, first_dose_on=start,
                         first_form=form, doses=doses,  # type: ignore[arg-type]
                         treated=(Interval(start, start + timedelta(days=40 + n)),),
                         treatment_contacts=tuple(d.on for d in doses))


PROGRAM = [course(n) for n in range(12)] + [course(n, "c-akl", "oral", "AUD") for n in range(12, 16)]


class ProgramReadModels:
    """The read model's program courses, recording which clinics were asked for."""

    def __init__(self, calls: list[tuple[ProgramClinic, ...]]) -> None:
        self.calls = calls

    def program_courses(self, clinics: Sequence[ProgramClinic]) -> list[PatientCourse]:
        self.calls.append(tuple(clinics))
        asked = {c.clinic_id for c in clinics}
        return [c for c in PROGRAM if c.clinic_id in asked]


class ProgramUnitOfWork(FakeSecureUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[ProgramClinic, ...]] = []

    def __enter__(self) -> ProgramUnitOfWork:
        super().__enter__()
        self.read_models = ProgramReadModels(self.calls)  # type: ignore[assignment]
        return self


@pytest.fixture()
def uow() -> ProgramUnitOfWork:
    uow = ProgramUnitOfWork()
    with uow:
        uow.clinics.add(make_clinic(id="c-ny", name="Harbor", timezone="America/New_York"))
        uow.clinics.add(make_clinic(id="c-akl", name="Bay", timezone="Pacific/Auckland"))
        uow.patients.add(make_patient(clinic_id="c-ny"))
        uow.commit()
    return uow


def context(uow: ProgramUnitOfWork, key: bytes | None = KEY, min_cell: int = 1) -> AppContext:
    return AppContext(uow=lambda: uow, definitions=MeasureDefinitions(min_cell=min_cell), pseudonym_key=key)


def actor(role: str, clinic: str = "c-ny") -> Actor:
    return Actor(User(id=f"u-{role}", username=f"{role}.test", role=role, clinic_id=clinic))  # type: ignore[arg-type]


def test_the_manager_reads_every_clinic_up_to_its_own_day_in_one_audit_entry_naming_no_patient(uow) -> None:
    report = program_outcomes(context(uow), actor("manager", "c-akl"), OutcomeQuery(), NOW)
    [asked] = uow.calls
    assert [(c.clinic_id, c.as_of) for c in asked] == [("c-akl", date(2026, 3, 3)), ("c-ny", date(2026, 3, 2))]
    assert report.as_of == date(2026, 3, 3) and report.clinics == (("c-akl", "Bay"), ("c-ny", "Harbor"))
    assert report.outcomes.patients == 16
    assert report.rows[0].measure == "Patients" and report.rows[0].numerator == 16
    [entry] = uow.security_store.audit
    assert (entry.action, entry.category, entry.record_type, entry.patient_id, entry.outcome) == (
        "read", "program-measures", "program-measures", None, "allowed")
    assert entry.detail == "program outcomes"


def test_filters_select_the_clinic_form_indication_and_period_and_the_audit_entry_names_them(uow) -> None:
    query = OutcomeQuery(clinic_id="c-ny", form="xr-ntx", indication="OUD", start=date(2025, 11, 25),
                         end=date(2025, 11, 30))
    report = program_outcomes(context(uow), actor("prescriber"), query, NOW)
    assert [c.clinic_id for c in uow.calls[0]] == ["c-akl", "c-ny"]  # every clinic read (and kept), one counted
    assert report.outcomes.patients == 6  # started 25 to 30 November
    assert report.as_of == date(2026, 3, 2)  # New York's day, not Auckland's
    assert program_outcomes(context(uow), actor("manager"), OutcomeQuery(form="oral"), NOW).outcomes.patients == 4
    assert uow.security_store.audit[0].detail == (
        "program outcomes (clinic c-ny, form xr-ntx, indication OUD, start 2025-11-25, end 2025-11-30)")


@pytest.mark.parametrize(("query", "field", "value"), [
    (OutcomeQuery(clinic_id="c-nowhere"), "clinic", "c-nowhere"),
    (OutcomeQuery(form="patch"), "form", "patch"),
    (OutcomeQuery(indication="cocaine"), "indication", "cocaine"),
    (OutcomeQuery(start=date(2026, 2, 1), end=date(2026, 1, 31)), "end", "2026-01-31"),
])
def test_a_bad_filter_is_refused_naming_it_and_nothing_is_read(uow, query, field, value) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}: '{value}'") as raised:
        program_measure(context(uow), actor("manager"), "retention", query, NOW)
    assert raised.value.field == field
    assert uow.calls == []


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("manager", "prescriber")])
def test_every_other_role_is_refused_and_the_attempt_audited(uow, role) -> None:
    with pytest.raises(AccessDenied, match=f"role '{role}' may not read program-measures"):
        program_outcomes(context(uow), actor(role), OutcomeQuery(), NOW)
    assert uow.calls == []
    assert [(e.category, e.outcome, e.patient_id) for e in uow.security_store.audit] == [
        ("program-measures", "denied", None)]


def test_small_cells_are_suppressed_in_the_rows(uow) -> None:
    report = program_outcomes(context(uow, min_cell=11), actor("manager"), OutcomeQuery(clinic_id="c-akl"), NOW)
    assert report.rows[0].numerator is None and report.rows[0].note == "fewer than 11"  # 4 patients
    retention = program_measure(context(uow, min_cell=11), actor("manager"), "retention", OutcomeQuery(), NOW)
    assert {r.section for r in retention.rows} == {"retention"}
    overall = [r for r in retention.rows if r.group == "all" or r.group == "All patients"]
    assert overall and all(r.denominator == 16 for r in overall)


def test_pod_and_iet_list_each_patient_under_a_pseudonym_never_the_id(uow) -> None:
    ctx = context(uow)
    pod = program_measure(ctx, actor("manager"), "pod", OutcomeQuery(), NOW)
    iet = program_measure(ctx, actor("manager"), "iet", OutcomeQuery(clinic_id="c-ny"), NOW)
    aliases = {pseudonym(KEY, c.patient_id) for c in PROGRAM}
    assert {p.pseudonym for p in pod.patients} == aliases  # one treatment event each
    assert {p.pseudonym for p in iet.patients} == {pseudonym(KEY, f"p{n:02d}") for n in range(12)}
    shown = repr((pod, iet))
    assert not any(c.patient_id in shown for c in PROGRAM)
    assert {r.section for r in pod.rows + iet.rows} == {"quality"}
    assert [r.measure for r in pod.rows] == ["HEDIS POD"]


def test_the_quality_card_gives_pods_and_iets_rows_from_one_read_without_the_key(uow) -> None:
    query = OutcomeQuery(clinic_id="c-ny", start=date(2025, 11, 1), end=date(2025, 12, 31))
    rows = program_quality(context(uow, key=None), actor("manager"), query, NOW)
    assert len(uow.calls) == 1 and uow.security_store.audit[-1].detail.startswith("quality measures (clinic c-ny")
    measures = [program_measure(context(uow), actor("manager"), name, query, NOW).rows for name in ("pod", "iet")]
    assert rows == (*measures[0], *measures[1]) and [r.measure for r in rows][0] == "HEDIS POD"
    assert rows[0].denominator is not None and rows[0].denominator > 0


def test_pod_over_the_exported_dispensing_csv_equals_pod_from_the_program(uow, tmp_path) -> None:
    ctx = context(uow)
    query = OutcomeQuery(start=date(2025, 11, 1), end=date(2025, 12, 31))
    exported = program_measure(ctx, actor("manager"), "dispensing", OutcomeQuery(clinic_id=None), NOW)
    assert exported.rows == () and {r.patient_id for r in exported.dispensing} <= {
        pseudonym(KEY, c.patient_id) for c in PROGRAM}
    buffer = io.StringIO()
    write_dispensing_csv(exported.dispensing, buffer)
    (tmp_path / "dispensing.csv").write_text(buffer.getvalue(), encoding="utf-8")
    from_csv = measure_pod(tmp_path / "dispensing.csv", start=query.start, end=query.end)
    pod = program_measure(ctx, actor("manager"), "pod", query, NOW)
    assert pod.rows[0].denominator == from_csv.denominator == 16
    assert sum(p.numerator for p in pod.patients) == from_csv.numerator == 0  # none is 180 days on yet
    assert [(p.pseudonym, p.on) for p in pod.patients] == [(e.patient_id, e.start) for e in from_csv.episodes]


def test_patient_level_lists_need_the_pseudonym_key_and_an_unknown_measure_is_refused(uow) -> None:
    with pytest.raises(InvalidInput, match="pseudonym_key"):
        program_measure(context(uow, key=None), actor("manager"), "iet", OutcomeQuery(), NOW)
    assert program_measure(context(uow, key=None), actor("manager"), "cascade", OutcomeQuery(), NOW).rows
    with pytest.raises(InvalidInput, match="^measure: 'pdc' must be one of retention, cascade, pod, iet, dispens"):
        program_measure(context(uow), actor("manager"), "pdc", OutcomeQuery(), NOW)  # type: ignore[arg-type]


def test_the_manager_is_refused_charts_notes_patient_search_and_the_dashboards_lists(uow) -> None:
    ctx, manager = context(uow), actor("manager")
    patient = make_patient(clinic_id="c-ny").id
    with pytest.raises(AccessDenied, match="may not read clinical-views"):
        patient_chart(ctx, manager, patient, NOW)
    with pytest.raises(AccessDenied, match="may not read counseling"):
        list_records(ctx, manager, "counseling", patient, RecordFilter(), 50, 0, NOW)
    with pytest.raises(AccessDenied, match="may not read demographics"):
        list_patients(ctx, manager, "Testwell", 50, 0, NOW)
    with pytest.raises(AccessDenied, match="may not read clinical-views"):
        get_dashboard(ctx, manager, NOW)
    assert {e.outcome for e in uow.security_store.audit} == {"denied"}


def test_the_settings_set_the_definitions_and_the_pseudonym_key_comes_from_the_audit_secret(monkeypatch) -> None:
    from naltrack.bootstrap import Storage, build_application
    from naltrack.config import Settings
    from naltrack.domain.security.audit import derive_key

    monkeypatch.setenv("NALTRACK_RETENTION_GAP_DAYS", "14")
    monkeypatch.setenv("NALTRACK_MEASURE_MIN_CELL", "20")
    settings = Settings(audit_key="s" * 40)
    storage = Storage("sqlite://", migrate_schema=False)
    try:
        ctx = build_application(settings, storage=storage).ctx
    finally:
        storage.close()
    assert (ctx.definitions.retention_allowed_gap_days, ctx.definitions.min_cell) == (14, 20)
    assert ctx.definitions.naloxone_window_days == 30
    assert ctx.pseudonym_key == derive_key("s" * 40, "pseudonym") != derive_key("s" * 40, "entry")
    monkeypatch.setenv("NALTRACK_MEASURE_MIN_CELL", "5")
    with pytest.raises(ValueError, match="measure_min_cell"):
        Settings(audit_key="s" * 40)
