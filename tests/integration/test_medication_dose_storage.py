"""The daily amount of a medicine, stored on SQLite and PostgreSQL: loperamide above the configured
amount comes back as opioid exposure (domain.rules.facts.loperamide_exposure); kratom by its local code."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.factories import DAY, ago, make_chart, make_clinic, make_med, make_patient

from naltrack.adapters.db.migrate import migrate
from naltrack.bootstrap import Storage
from naltrack.domain.observations import MedicationUse
from naltrack.domain.rules import facts
from naltrack.domain.rules.readiness import assess_readiness


@pytest.mark.parametrize(("mg_per_day", "verdict"), [(None, "review"), (16.0, "review"), (64.0, "not-ready")])
def test_a_daily_amount_round_trips_and_keeps_its_meaning(storage: Storage, mg_per_day: float | None,
                                                         verdict: str) -> None:
    recorded = make_med("6468", ago(30), patient_id=make_patient().id, source="reported", daily_dose_mg=mg_per_day)
    kratom = make_med("KRATOM", ago(30), end=ago(20), patient_id=make_patient().id, source="reported")
    with storage.uow() as uow:
        uow.clinics.add(make_clinic())
        uow.patients.add(make_patient())
        uow.records.add(recorded)
        uow.records.add(kratom)
        uow.commit()
    with storage.uow() as uow:
        stored = uow.records.find(MedicationUse, recorded.id)
        stored_kratom = uow.records.find(MedicationUse, kratom.id)
    assert stored == recorded and stored_kratom == kratom
    assert assess_readiness(make_chart(medications=(stored,)), "xr-ntx", DAY).verdict == verdict
    assert facts.last_opioid_use(make_chart(medications=(stored_kratom,)), DAY)["kratom"].day == ago(20)


def test_medicines_stored_before_the_dose_column_read_without_an_amount(empty_database_url: str) -> None:
    migrate(empty_database_url, "0006_safety_assessments")
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO clinics (id, name, timezone) VALUES ('c1', 'C', 'UTC')"))
            connection.execute(sa.text(
                "INSERT INTO patients (id, clinic_id, given_name, family_name, birth_date, sex_at_birth, contacts, "
                "version) VALUES ('p1', 'c1', 'A', 'B', '1990-01-01', 'male', '[]', 1)"))
            connection.execute(sa.text(
                "INSERT INTO medication_uses (id, patient_id, status, version, rxnorm, start, source) "
                "VALUES ('m1', 'p1', 'active', 1, '6468', '2026-03-01', 'reported')"))
        migrate(empty_database_url)
        with engine.connect() as connection:
            amount = connection.execute(sa.text("SELECT daily_dose_mg FROM medication_uses")).scalar_one()
    finally:
        engine.dispose()
    assert amount is None
