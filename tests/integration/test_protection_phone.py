"""The dashboard's protection list carries the patient's phone to call, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.integration.test_web_dashboard import at, dashboard, days_ago, seed, storage  # noqa: F401  (fixture)

from naltrack.domain.administrations import OralDose
from naltrack.domain.patients import Patient
from naltrack.domain.person_data import ContactPoint
from naltrack.domain.regimens import Regimen


def _targeted(store, pid: str, telecom: tuple[ContactPoint, ...]) -> None:
    """On targeted dosing (no next tablet scheduled) with 100 mg two days ago: protection ends today."""
    seed(store, Patient(id=pid, clinic_id="c1", given_name="Olive", family_name=pid, birth_date=days_ago(12000),
                        sex_at_birth="female", telecom=telecom),
         Regimen(id=f"{pid}-r", patient_id=pid, kind="targeted", start=days_ago(20)),
         OralDose(id=f"{pid}-d", patient_id=pid, taken_at=at(days_ago(2)), dose_mg=100.0))


def test_the_first_phone_on_record_is_the_one_to_call(storage):  # noqa: F811
    _targeted(storage, "p-phone", (ContactPoint("email", "o@example.org"), ContactPoint("phone", "555-0100", "home"),
                                   ContactPoint("phone", "555-0199", "mobile")))
    _targeted(storage, "p-mail", (ContactPoint("email", "o@example.org"),))
    _targeted(storage, "p-none", ())
    phones = {item.patient_id: item.phone for item in dashboard(storage).protection}
    assert phones == {"p-phone": "555-0100", "p-mail": None, "p-none": None}
