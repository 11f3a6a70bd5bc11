"""Repositories and the unit of work on SQLite and PostgreSQL: round trips, atomicity, corrections."""

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
from tests.factories import NOW, make_clinic, make_injection, make_lab, make_one_of_each, make_patient

from naltrack.adapters.db.migrate import alembic_config, migrate
from naltrack.adapters.db.tables import metadata
from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.observations import LabResult
from naltrack.services import records as cases
from naltrack.services.stats import count_records
from naltrack.services.unit_of_work import KIND_OF, RECORD_TYPES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def seeded(storage: Storage) -> Storage:
    cases.register_clinic(storage.uow(), make_clinic())
    cases.register_patient(storage.uow(), make_patient())
    return storage


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
    cases.add_records(seeded.uow(), records, now=NOW)
    with seeded.uow() as uow:
        for record in records:
            stored = uow.records.get(type(record), record.id)
            assert stored == replace(record, recorded_at=NOW)


def test_patient_round_trips_with_contacts_and_pregnancy_status(seeded: Storage) -> None:
    with seeded.uow() as uow:
        assert uow.patients.get("p-test-1") == make_patient()
        assert uow.clinics.get("c-test") == make_clinic()


def test_times_come_back_aware_at_the_offset_they_were_recorded_with(seeded: Storage) -> None:
    given = datetime(2026, 2, 2, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    shot = make_injection(given_at=given)
    cases.add_record(seeded.uow(), shot, now=NOW)
    with seeded.uow() as uow:
        stored = uow.records.get(Injection, shot.id)
    assert stored.given_at == given
    assert stored.given_at.utcoffset() == timedelta(hours=-5)


def test_a_batch_with_one_bad_record_writes_nothing(seeded: Storage) -> None:
    good = [make_lab(), make_lab(value=40.0)]
    dangling = make_injection(regimen_id="no-such-regimen")
    with pytest.raises(NotFound, match="regimen 'no-such-regimen' not found"):
        cases.add_records(seeded.uow(), [*good, dangling], now=NOW)
    assert count_records(seeded.uow())["records"] == 0


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
        cases.add_record(seeded.uow(), future, now=NOW)
    assert count_records(seeded.uow())["injections"] == 0


def test_correction_keeps_the_old_version_entered_in_error(seeded: Storage) -> None:
    old = make_lab(value=310.0)
    cases.add_record(seeded.uow(), old, now=NOW)
    fixed = cases.correct_record(seeded.uow(), old.id, make_lab(value=31.0), now=NOW)
    chart = cases.load_chart(seeded.uow(), "p-test-1")
    by_id = {lab.id: lab for lab in chart.labs}
    assert by_id[old.id].status == "entered-in-error"
    assert by_id[old.id].version == 2
    assert by_id[fixed.id].supersedes == old.id
    assert [lab.value for lab in chart.labs_for("1742-6")] == [31.0]


def test_correcting_twice_the_same_version_conflicts(seeded: Storage) -> None:
    old = make_lab()
    cases.add_record(seeded.uow(), old, now=NOW)
    cases.correct_record(seeded.uow(), old.id, make_lab(value=32.0), now=NOW)
    with pytest.raises(Conflict, match="already entered-in-error"):
        cases.correct_record(seeded.uow(), old.id, make_lab(value=33.0), now=NOW)


def test_stale_update_conflicts(seeded: Storage) -> None:
    lab = make_lab()
    cases.add_record(seeded.uow(), lab, now=NOW)
    with pytest.raises(Conflict, match="changed by someone else"), seeded.uow() as uow:
        uow.records.update(replace(lab, version=5, status="entered-in-error"))


def test_load_chart_of_unknown_patient_is_not_found(seeded: Storage) -> None:
    with pytest.raises(NotFound, match="patient 'nobody' not found"):
        cases.load_chart(seeded.uow(), "nobody")


def test_list_patients_pages_in_name_order_and_searches(storage: Storage) -> None:
    cases.register_clinic(storage.uow(), make_clinic())
    names = ["Cedar", "Alder", "Birch", "Dogwood", "Elm"]
    for k, family in enumerate(names):
        cases.register_patient(storage.uow(), make_patient(id=f"p{k}", family_name=family, mrn=f"M{k}"))
    first = cases.list_patients(storage.uow(), limit=2)
    second = cases.list_patients(storage.uow(), limit=2, offset=2)
    assert first.total == 5
    assert [p.family_name for p in first.items] == ["Alder", "Birch"]
    assert [p.family_name for p in second.items] == ["Cedar", "Dogwood"]
    found = cases.list_patients(storage.uow(), text="DOG")
    assert [p.id for p in found.items] == ["p3"]


@pytest.mark.parametrize(("limit", "offset", "field"), [(0, 0, "limit"), (501, 0, "limit"), (10, -1, "offset")])
def test_list_patients_rejects_page_bounds(storage: Storage, limit: int, offset: int, field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}: "):
        cases.list_patients(storage.uow(), limit=limit, offset=offset)


def test_register_patient_in_unknown_clinic_is_not_found(storage: Storage) -> None:
    with pytest.raises(NotFound, match="clinic 'c-test' not found"):
        cases.register_patient(storage.uow(), make_patient())


def test_stats_count_each_kind(seeded: Storage) -> None:
    records: list[Any] = make_one_of_each()
    cases.add_records(seeded.uow(), records, now=NOW)
    counts = count_records(seeded.uow())
    assert counts["patients"] == 1 and counts["clinics"] == 1
    assert counts["regimens"] == 2
    assert counts["administrations"] == 4  # injection, oral dose, implant, removal
    assert counts["records"] == len(records)


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
    cases.add_record(seeded.uow(), shot, now=NOW)
    with seeded.uow() as uow:
        stored = uow.records.get(Injection, shot.id)
    assert stored.given_at == evening
    assert stored.given_at.date() == date(2026, 1, 31)
    assert stored.given_at.utcoffset() == timedelta(hours=-5)
