"""Chart import over the in-memory secure unit of work: all or nothing, idempotent, one audit entry
per patient and per record written."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.factories import CLINIC_ID, DAY, at, make_chart, make_clinic, make_lab, make_patient
from tests.unit.services.fakes import FakeSecureUnitOfWork

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.context import AppContext
from naltrack.services.imports import chart_records, import_charts
from naltrack.services.stats import count_records

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
