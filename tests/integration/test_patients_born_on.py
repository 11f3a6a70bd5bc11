"""The candidates of a possible duplicate at intake, on SQLite and PostgreSQL: one clinic's patients born on a day."""

from __future__ import annotations

from datetime import date

from tests.factories import make_clinic, make_patient
from tests.people import HOSPITAL_MRN, make_identified_patient

from naltrack.bootstrap import Storage
from naltrack.domain.patients import Clinic

OTHER_CLINIC = Clinic("c-other", "Other clinic")
BORN = date(1990, 5, 1)


def test_born_on_lists_the_clinics_patients_of_that_day_by_name_with_their_identifiers(storage: Storage) -> None:
    ada = make_identified_patient()  # Ada Testwell, born 1990-05-01
    bea = make_patient(id="p-bea", given_name="Bea", family_name="Adams", mrn="MRN-2")
    next_day = make_patient(id="p-next", birth_date=date(1990, 5, 2), mrn="MRN-3")
    elsewhere = make_patient(id="p-else", clinic_id=OTHER_CLINIC.id, mrn="MRN-4")
    with storage.uow() as uow:
        uow.clinics.add(make_clinic())
        uow.clinics.add(OTHER_CLINIC)
        uow.patients.add_many([ada, bea, next_day, elsewhere])
        uow.commit()
    with storage.uow() as uow:
        found = uow.patients.born_on(ada.clinic_id, BORN)
        assert [p.id for p in found] == ["p-bea", ada.id]
        assert found[1] == ada and HOSPITAL_MRN in found[1].identifiers
        assert [p.id for p in uow.patients.born_on(OTHER_CLINIC.id, BORN)] == ["p-else"]
        assert uow.patients.born_on(ada.clinic_id, date(1990, 4, 30)) == []
