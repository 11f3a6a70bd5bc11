"""The daily amount of a medicine, stored on SQLite and PostgreSQL: loperamide above the configured
amount comes back as opioid exposure (domain.rules.facts.loperamide_exposure); kratom by its local code."""

from __future__ import annotations

import pytest
from tests.factories import DAY, ago, make_chart, make_clinic, make_med, make_patient
from tests.seeding import value_after_upgrade

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
    amount = value_after_upgrade(
        empty_database_url, "0006_safety_assessments",
        "INSERT INTO medication_uses (id, patient_id, status, version, rxnorm, start, source) "
        "VALUES ('m1', 'p1', 'active', 1, '6468', '2026-03-01', 'reported')",
        "SELECT daily_dose_mg FROM medication_uses")
    assert amount is None
