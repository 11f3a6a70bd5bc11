"""Repositories, the unit of work and the record use cases on SQLite and PostgreSQL: round trips,
atomicity, corrections, and one audit entry per record written in the record's transaction."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from tests.factories import (
    EVERY_FINDING_CLEARED,
    NOW,
    make_clinic,
    make_injection,
    make_lab,
    make_one_of_each,
    make_patient,
    make_regimen,
)

from naltrack.adapters.db.migrate import alembic_config, migrate
from naltrack.adapters.db.security_repository import SqlSecurityRepository
from naltrack.adapters.db.tables import metadata
from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.observations import LabResult
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.errors import StaleVersion
from naltrack.services import patients as patient_cases
from naltrack.services import records as cases
from naltrack.services.context import AppContext
from naltrack.services.security import add_user
from naltrack.services.stats import count_records
from naltrack.services.unit_of_work import KIND_OF, RECORD_TYPES

ROOT = Path(__file__).resolve().parents[2]


USER = "dr.storage"


@pytest.fixture()
def seeded(storage: Storage) -> Storage:
    ctx = context(storage)
    patient_cases.register_clinic(ctx, make_clinic())
    with storage.uow() as uow:
        uow.patients.add(make_patient())
        uow.commit()
    add_user(ctx.uow, USER, "synthetic-password-42", "prescriber", make_clinic().id, NOW)
    return storage


def context(storage: Storage) -> AppContext:
    return AppContext(uow=storage.secure_uow)


def actor(storage: Storage) -> Actor:
    with context(storage).uow() as uow:
        found = uow.security.find_credentials(USER)
    assert found is not None
    return Actor(found[0], "test")


def add(storage: Storage, records: list[Any]) -> list[ClinicalRecord]:
    return cases.create_records(context(storage), actor(storage), records, NOW, EVERY_FINDING_CLEARED)


def lab_correction(storage: Storage, old_id: str, version: int, value: float) -> ClinicalRecord:
    return cases.correct_record(context(storage), actor(storage), "labs", old_id, version,
                                lambda new: make_lab(**new.fields, value=value), NOW)


def record_entries(storage: Storage) -> list[Any]:
    with context(storage).uow() as uow:
        return [e for e in uow.security.iter_audit() if e.record_id is not None and e.outcome == "allowed"]


def test_upgrade_head_creates_every_table_on_an_empty_database(empty_database_url: str) -> None:
    migrate(empty_database_url)
    engine = sa.create_engine(empty_database_url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert set(metadata.tables) <= names
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_every_record_type_has_a_table_and_round_trips(seeded: Storage) -> None:
    records = make_one_of_each()
    assert {KIND_OF[type(r)] for r in records} == set(RECORD_TYPES)
    add(seeded, records)
    by = actor(seeded).user.id
    with seeded.uow() as uow:
        for record in records:
            stored = uow.records.get(type(record), record.id)
            assert stored == replace(record, recorded_at=NOW, recorded_by=by)


def test_patient_round_trips_with_contacts_and_pregnancy_status(seeded: Storage) -> None:
    with seeded.uow() as uow:
        assert uow.patients.get("p-test-1") == make_patient()
        assert uow.clinics.get("c-test") == make_clinic()


def test_times_come_back_aware_at_the_offset_they_were_recorded_with(seeded: Storage) -> None:
    given = datetime(2026, 2, 2, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    shot = make_injection(given_at=given)
    add(seeded, [make_regimen(), shot])
    with seeded.uow() as uow:
        stored = uow.records.get(Injection, shot.id)
    assert stored.given_at == given
    assert stored.given_at.utcoffset() == timedelta(hours=-5)


def test_a_batch_with_one_bad_record_writes_nothing(seeded: Storage) -> None:
    good = [make_lab(), make_lab(value=40.0)]
    dangling = make_injection(regimen_id="no-such-regimen")
    with pytest.raises(NotFound, match="regimen 'no-such-regimen' not found"):
        add(seeded, [*good, dangling])
    assert count_records(seeded.uow())["records"] == 0
    assert record_entries(seeded) == []


def test_each_record_written_gets_exactly_one_audit_entry_in_its_transaction(seeded: Storage) -> None:
    records = make_one_of_each()
    stored = add(seeded, records)
    entries = record_entries(seeded)
    with seeded.uow() as uow:
        decisions = [d.id for d in uow.records.for_patient("p-test-1")["dose_decisions"] if d.outcome == "given"]
    assert len(decisions) == 3  # the injection, the implant and the observed oral dose passed the pre-dose check
    assert count_records(seeded.uow())["records"] == len(entries) == len(records) + len(decisions)
    assert sorted(e.record_id for e in entries) == sorted([*(r.id for r in stored), *decisions])
    assert {(e.actor, e.action, e.patient_id) for e in entries} == {(actor(seeded).user.id, "create", "p-test-1")}


def test_a_failure_at_the_audit_append_leaves_no_record(seeded: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: SqlSecurityRepository, event: Any) -> Any:
        raise RuntimeError("audit store down")

    writer = actor(seeded)
    monkeypatch.setattr(SqlSecurityRepository, "append_audit", broken)
    monkeypatch.setattr(SqlSecurityRepository, "append_audits", broken)
    with pytest.raises(RuntimeError, match="audit store down"):
        cases.create_records(context(seeded), writer, [make_lab(), make_lab(value=40.0)], NOW)
    monkeypatch.undo()
    assert count_records(seeded.uow())["records"] == 0
    assert record_entries(seeded) == []


def test_a_database_error_midway_rolls_back_the_whole_unit_of_work(seeded: Storage) -> None:
    duplicate = make_lab()
    with pytest.raises(Conflict, match="lab_results"):
        with seeded.uow() as uow:
            uow.records.add(make_lab())
            uow.records.add_many([duplicate, duplicate])
            uow.commit()
    assert count_records(seeded.uow())["labs"] == 0


def test_leaving_without_commit_discards_the_work(seeded: Storage) -> None:
    with seeded.uow() as uow:
        uow.records.add(make_lab())
    assert count_records(seeded.uow())["labs"] == 0


def test_future_administration_is_rejected_naming_the_field_and_now(seeded: Storage) -> None:
    future = make_injection(given_at=NOW + timedelta(hours=2), expiry=NOW.date() + timedelta(days=90))
    with pytest.raises(InvalidInput, match=r"injection\.given_at: .* is in the future \(now 2026-03-02T15:00"):
        add(seeded, [future])
    assert count_records(seeded.uow())["injections"] == 0


def test_correction_keeps_the_old_version_entered_in_error(seeded: Storage) -> None:
    old = make_lab(value=310.0)
    add(seeded, [old])
    fixed = lab_correction(seeded, old.id, 1, 31.0)
    chart = cases.load_chart(context(seeded), actor(seeded), "p-test-1", NOW)
    by_id = {lab.id: lab for lab in chart.labs}
    assert by_id[old.id].status == "entered-in-error"
    assert by_id[old.id].version == 2
    assert by_id[fixed.id].supersedes == old.id
    assert [lab.value for lab in chart.labs_for("1742-6")] == [31.0]


def test_correcting_twice_the_same_version_conflicts(seeded: Storage) -> None:
    old = make_lab()
    add(seeded, [old])
    lab_correction(seeded, old.id, 1, 32.0)
    with pytest.raises(StaleVersion, match="version 1 is stale: the record is at version 2"):
        lab_correction(seeded, old.id, 1, 33.0)
    with pytest.raises(Conflict, match="already entered-in-error"):
        lab_correction(seeded, old.id, 2, 33.0)


def test_stale_update_conflicts(seeded: Storage) -> None:
    lab = make_lab()
    add(seeded, [lab])
    with pytest.raises(Conflict, match="changed by someone else"), seeded.uow() as uow:
        uow.records.update(replace(lab, version=5, status="entered-in-error"))


def test_load_chart_of_unknown_patient_is_not_found(seeded: Storage) -> None:
    with pytest.raises(NotFound, match="patient 'nobody' not found"):
        cases.load_chart(context(seeded), actor(seeded), "nobody", NOW)


def test_list_patients_pages_in_name_order_and_searches(seeded: Storage) -> None:
    names = ["Cedar", "Alder", "Birch", "Dogwood", "Elm"]
    with seeded.uow() as uow:
        uow.patients.add_many([make_patient(id=f"p{k}", family_name=family, mrn=f"M{k}")
                               for k, family in enumerate(names)])
        uow.commit()
    ctx, who = context(seeded), actor(seeded)
    first = patient_cases.list_patients(ctx, who, None, 2, 0, NOW)
    second = patient_cases.list_patients(ctx, who, None, 2, 2, NOW)
    assert first.total == 6
    assert [p.family_name for p in first.items] == ["Alder", "Birch"]
    assert [p.family_name for p in second.items] == ["Cedar", "Dogwood"]
    found = patient_cases.list_patients(ctx, who, "DOG", 50, 0, NOW)
    assert [p.id for p in found.items] == ["p3"]


@pytest.mark.parametrize(("limit", "offset", "field"), [(0, 0, "limit"), (501, 0, "limit"), (10, -1, "offset")])
def test_list_patients_rejects_page_bounds(seeded: Storage, limit: int, offset: int, field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}: "):
        patient_cases.list_patients(context(seeded), actor(seeded), None, limit, offset, NOW)


def test_registered_patient_gets_one_audit_entry_in_its_transaction(seeded: Storage) -> None:
    patient = patient_cases.register_patient(context(seeded), actor(seeded),
                                             lambda base: make_patient(**base, mrn="MRN-NEW"), NOW)
    entries = [e for e in record_entries(seeded) if e.record_type == "patients"]
    assert [(e.record_id, e.action, e.category) for e in entries] == [(patient.id, "create", "demographics")]


def test_stats_count_each_kind(seeded: Storage) -> None:
    records: list[Any] = make_one_of_each()
    add(seeded, records)
    counts = count_records(seeded.uow())
    assert counts["patients"] == 1 and counts["clinics"] == 1
    assert counts["regimens"] == 3
    assert counts["administrations"] == 4  # injection, oral dose, implant, removal
    assert counts["records"] == len(records) + 3  # and the pre-dose decisions of the three doses given


def test_lab_without_unit_is_rejected_before_storage() -> None:
    with pytest.raises(InvalidInput, match=r"lab\.unit: '' is required"):
        LabResult(id="x", patient_id="p", loinc="1742-6", name="ALT", value=1.0, unit="",
                  collected_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_alembic_command_line_upgrades_an_empty_database(empty_database_url: str) -> None:
    result = subprocess.run([str(Path(sys.executable).with_name("alembic")), "-c", str(ROOT / "alembic.ini"),
                             "-x", f"url={empty_database_url}", "upgrade", "head"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(empty_database_url)
    try:
        assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_evening_injection_on_the_expiry_day_comes_back_on_the_same_local_date(seeded: Storage) -> None:
    evening = datetime(2026, 1, 31, 20, 30, tzinfo=ZoneInfo("America/New_York"))  # 01:30 UTC on Feb 1
    shot = make_injection(given_at=evening, expiry=date(2026, 1, 31))
    add(seeded, [make_regimen(), shot])
    with seeded.uow() as uow:
        stored = uow.records.get(Injection, shot.id)
    assert stored.given_at == evening
    assert stored.given_at.date() == date(2026, 1, 31)
    assert stored.given_at.utcoffset() == timedelta(hours=-5)
