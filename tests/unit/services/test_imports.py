"""Chart import over the in-memory secure unit of work: all or nothing, idempotent, one audit entry
per patient and per record written."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from tests.factories import (
    CLINIC_ID,
    DAY,
    PATIENT_ID,
    at,
    make_chart,
    make_clinic,
    make_dx,
    make_lab,
    make_man,
    make_med,
    make_patient,
)
from tests.unit.services.fakes import FakeSecureUnitOfWork

from naltrack.domain.episodes import Diagnosis
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import LabResult, MedicationUse
from naltrack.domain.person_data import Identifier
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.context import AppContext
from naltrack.services.imports import chart_records, import_charts
from naltrack.services.stats import count_records
from naltrack.services.unit_of_work import KIND_OF

NOW = at(DAY, 18)  # the evening of the day make_chart is built for
IMPORTER = Actor(User(id="u-imp", username="dr.import", role="prescriber", clinic_id=CLINIC_ID), source="cli")


@pytest.fixture()
def ctx() -> AppContext:
    uow = FakeSecureUnitOfWork()
    with uow:
        uow.clinics.add(make_clinic())
        uow.commit()
    return AppContext(uow=lambda: uow)


def _entries(ctx: AppContext) -> list[tuple[str | None, str | None, str]]:
    with ctx.uow() as uow:
        return [(e.record_type, e.record_id, e.actor) for e in uow.security.iter_audit() if e.record_id]


def test_import_writes_each_patient_and_record_with_one_entry_and_a_second_import_nothing(ctx: AppContext) -> None:
    chart = make_chart(labs=(make_lab(),))
    records = chart_records(chart)
    outcome = import_charts(ctx, IMPORTER, [chart], NOW)
    assert (outcome.patients_created, sum(outcome.records_created.values())) == (1, len(records))
    entries = _entries(ctx)
    assert len(entries) == 1 + len(records)
    assert {actor for *_, actor in entries} == {"u-imp"}
    with ctx.uow() as uow:
        assert count_records(uow)["records"] == len(records)
    again = import_charts(ctx, IMPORTER, [chart], NOW)
    assert (again.patients_created, again.patients_unchanged, again.records_unchanged) == (0, 1, len(records))
    assert len(_entries(ctx)) == 1 + len(records)


def test_a_future_record_anywhere_imports_nothing(ctx: AppContext) -> None:
    chart = make_chart(labs=(make_lab(), make_lab(collected_at=NOW + timedelta(days=1))))
    with pytest.raises(InvalidInput, match=r"lab\.collected_at: .* is in the future"):
        import_charts(ctx, IMPORTER, [chart], NOW)
    with ctx.uow() as uow:
        assert (count_records(uow)["records"], uow.patients.count()) == (0, 0)
    assert _entries(ctx) == []


def test_a_patient_of_another_clinic_is_refused(ctx: AppContext) -> None:
    theirs = make_patient(clinic_id="c-far")
    with ctx.uow() as uow:
        uow.patients.add(theirs)
        uow.commit()
    with pytest.raises(InvalidInput, match=f"Patient/{theirs.id}: .* is a patient of another clinic"):
        import_charts(ctx, IMPORTER, [replace(make_chart(), patient=make_patient())], NOW)


def test_a_role_that_may_not_register_patients_is_refused_even_with_nothing_new(ctx: AppContext) -> None:
    auditor = Actor(replace(IMPORTER.user, id="u-aud", role="auditor"))
    with pytest.raises(AccessDenied, match="role 'auditor' may not create demographics"):
        import_charts(ctx, auditor, [], NOW)


def test_a_dry_run_writes_nothing(ctx: AppContext) -> None:
    outcome = import_charts(ctx, IMPORTER, [make_chart(labs=(make_lab(),))], NOW, dry_run=True)
    assert outcome.patients_created == 1
    with ctx.uow() as uow:
        assert (count_records(uow)["records"], uow.patients.count()) == (0, 0)


# Status changes at the source are corrections -----------------------------------------------------------

BASE = make_chart()  # one set of record ids, as a source sends the same resources again


def _stored(ctx: AppContext, cls: type, record_id: str) -> Any:
    with ctx.uow() as uow:
        return uow.records.find(cls, record_id)


def _active(ctx: AppContext, cls: type) -> list[Any]:
    with ctx.uow() as uow:
        return [r for r in uow.records.for_patient(PATIENT_ID).get(KIND_OF[cls], []) if r.is_active]


def test_a_condition_now_resolved_is_corrected_and_reported_so(ctx: AppContext) -> None:
    active = make_dx("F11.20", "Opioid dependence", id="dx-src", clinical_status="active")
    import_charts(ctx, IMPORTER, [replace(BASE, diagnoses=(active,))], NOW)
    resolved = replace(active, clinical_status="resolved")
    outcome = import_charts(ctx, IMPORTER, [replace(BASE, diagnoses=(resolved,))], NOW + timedelta(hours=1))
    assert outcome.records_corrected == {"Diagnosis": 1}
    old = _stored(ctx, Diagnosis, "dx-src")
    (new,) = _active(ctx, Diagnosis)
    assert (old.status, old.version) == ("entered-in-error", 2)
    assert (new.supersedes, new.clinical_status, new.recorded_by) == ("dx-src", "resolved", "u-imp")
    assert ("diagnoses", new.id, "u-imp") in _entries(ctx)
    again = import_charts(ctx, IMPORTER, [replace(BASE, diagnoses=(resolved,))], NOW + timedelta(hours=2))
    assert (again.records_corrected, again.records_created) == ({}, {})
    assert again.records_unchanged == len(chart_records(replace(BASE, diagnoses=(resolved,))))


def test_a_medicine_stopped_at_the_source_is_corrected(ctx: AppContext) -> None:
    taking = make_med("1049621", DAY - timedelta(days=30), id="rx-src")
    import_charts(ctx, IMPORTER, [replace(BASE, medications=(taking,))], NOW)
    stopped = replace(taking, end=DAY - timedelta(days=2))
    outcome = import_charts(ctx, IMPORTER, [replace(BASE, medications=(stopped,))], NOW)
    assert outcome.records_corrected == {"MedicationUse": 1}
    assert [m.end for m in _active(ctx, MedicationUse)] == [DAY - timedelta(days=2)]


def test_a_record_entered_in_error_at_the_source_is_retracted_once(ctx: AppContext) -> None:
    lab = make_lab(id="lab-src")
    import_charts(ctx, IMPORTER, [replace(BASE, labs=(lab,))], NOW)
    gone = {PATIENT_ID: frozenset({"lab-src"})}
    outcome = import_charts(ctx, IMPORTER, [replace(BASE, labs=())], NOW, retracted=gone)
    assert outcome.records_corrected == {"LabResult": 1}
    assert (_stored(ctx, LabResult, "lab-src").status, _active(ctx, LabResult)) == ("entered-in-error", [])
    again = import_charts(ctx, IMPORTER, [replace(BASE, labs=())], NOW, retracted=gone)
    assert again.records_corrected == {}


def test_a_retracted_version_sent_beside_its_correction_leaves_the_correction(ctx: AppContext) -> None:
    active = make_dx("F11.20", "Opioid dependence", id="dx-src")
    import_charts(ctx, IMPORTER, [replace(BASE, diagnoses=(active,))], NOW)
    import_charts(ctx, IMPORTER, [replace(BASE, diagnoses=(replace(active, clinical_status="resolved"),))], NOW)
    (current,) = _active(ctx, Diagnosis)  # naltrack's own export: the old version entered-in-error, the new one
    outcome = import_charts(ctx, IMPORTER, [replace(BASE, diagnoses=(current,))], NOW,
                            retracted={PATIENT_ID: frozenset({"dx-src"})})
    assert outcome.records_corrected == {} and [d.id for d in _active(ctx, Diagnosis)] == [current.id]


# Two people under one source id never merge ---------------------------------------------------------------

OTHER_MRN = Identifier("http://hospital.example.org/mrn", "H-77")


def _counts(ctx: AppContext) -> tuple[int, int, int]:
    with ctx.uow() as uow:
        return count_records(uow)["records"], uow.patients.count(), len(_entries(ctx))


def test_another_person_under_a_known_source_id_is_refused_and_nothing_written(ctx: AppContext) -> None:
    import_charts(ctx, IMPORTER, [BASE], NOW)
    before = _counts(ctx)
    stranger = make_man(given_name="Tom", birth_date=date(1971, 2, 3))
    with pytest.raises(InvalidInput, match=rf"Patient/{PATIENT_ID}: '{PATIENT_ID}' is already the source id of "
                                           r"another person in naltrack \(the given name differs; the birth date "
                                           r"differs\): two people are never merged"):
        import_charts(ctx, IMPORTER, [replace(BASE, patient=stranger, labs=(make_lab(id="lab-new"),))], NOW)
    assert _counts(ctx) == before


def test_another_person_under_a_known_identifier_is_refused(ctx: AppContext) -> None:
    import_charts(ctx, IMPORTER, [replace(BASE, patient=make_man(identifiers=(OTHER_MRN,)))], NOW)
    other = make_man(id="p-other", family_name="Okafor", identifiers=(OTHER_MRN,))
    with pytest.raises(InvalidInput, match=r"Patient/p-other.identifier: 'http://hospital.example.org/mrn\|H-77' "
                                           r"already identifies another person in naltrack \(the family name "
                                           r"differs\)"):
        import_charts(ctx, IMPORTER, [replace(BASE, patient=other)], NOW)


def test_the_same_person_under_a_known_identifier_and_id_imports(ctx: AppContext) -> None:
    import_charts(ctx, IMPORTER, [replace(BASE, patient=make_man(identifiers=(OTHER_MRN,)))], NOW)
    same = make_man(given_name="SAM", identifiers=(OTHER_MRN,))
    outcome = import_charts(ctx, IMPORTER, [replace(BASE, patient=same, labs=(make_lab(id="lab-new"),))], NOW)
    assert (outcome.patients_unchanged, outcome.records_created) == (1, {"LabResult": 1})


def test_a_source_id_links_even_when_neither_side_has_identifiers(ctx: AppContext) -> None:
    import_charts(ctx, IMPORTER, [replace(BASE, patient=make_man(mrn=None))], NOW)
    with pytest.raises(InvalidInput, match=r"the family name differs\): two people are never merged"):
        import_charts(ctx, IMPORTER, [replace(BASE, patient=make_man(mrn=None, family_name="Okafor"))], NOW)
