"""A patient with the full US Core identity data: identifiers, an old name, telecom, two addresses, race, ethnicity."""

from __future__ import annotations

from typing import Any

from tests.factories import make_patient

from naltrack.domain.patients import Patient
from naltrack.domain.person_data import (
    Address,
    CodeDisplay,
    ContactPoint,
    HumanName,
    Identifier,
    RaceEthnicity,
)

HOSPITAL_MRN = Identifier("http://hospital.example.org/fhir/sid/mrn", "1032702", "MR")
SSN = Identifier("http://hl7.org/fhir/sid/us-ssn", "999-47-5984", "SS")


def make_identified_patient(**overrides: Any) -> Patient:
    """:func:`tests.factories.make_patient` with identifiers, an old name, telecom, addresses, race and ethnicity."""
    values: dict[str, Any] = {
        "contacts": (),
        "identifiers": (HOSPITAL_MRN, SSN),
        "names": (HumanName("old", "Shaw", ("Ada", "V.")),),
        "telecom": (ContactPoint("phone", "555-555-5555", "home"), ContactPoint("email", "ada.t@example.com")),
        "address": (Address(("49 Meadow St",), "Mounds", "OK", "74047", "US", "home"),
                    Address(("183 Mountain View St", "Apt 2"), "Mounds", "OK", "74048", "US", "old")),
        "race": RaceEthnicity("race", (CodeDisplay("2106-3", "White"), CodeDisplay("1002-5",
                              "American Indian or Alaska Native")), (CodeDisplay("1586-7", "Shoshone"),),
                              "Mixed"),
        "ethnicity": RaceEthnicity("ethnicity", (CodeDisplay("2135-2", "Hispanic or Latino"),),
                                   (CodeDisplay("2184-0", "Dominican"),), "Hispanic or Latino"),
    }
    return make_patient(**{**values, **overrides})
