"""Obviously synthetic people: clinics, patients and staff names.

Family names are invented words ("Mockridge", "Testwell") so that no demo chart can be
mistaken for a real person; phone numbers use the fictional 555-01xx range and e-mail
addresses the reserved ``example.org`` domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from naltrack.domain.patients import Clinic, Contact, Patient, ReproductiveStatus

GIVEN_FEMALE = ("Ada", "Bea", "Cora", "Dina", "Eva", "Fay", "Gwen", "Hana", "Iris", "June", "Kit", "Lena",
                "Mara", "Nell", "Opal", "Pia", "Rae", "Sage", "Tess", "Uma", "Vera", "Wren", "Yara", "Zoe")
GIVEN_MALE = ("Abe", "Ben", "Cal", "Dev", "Eli", "Finn", "Gus", "Hal", "Ike", "Jon", "Kai", "Leo",
              "Max", "Ned", "Otto", "Paz", "Rex", "Sol", "Ted", "Ugo", "Vic", "Wes", "Xan", "Zed")
FAMILY = ("Mockridge", "Testwell", "Sampleton", "Fakeley", "Dummond", "Placeholt", "Synthfield",
          "Demoway", "Stubbins", "Fixturely", "Lorembury", "Ipsumoff", "Mockford", "Testhaven",
          "Samplewood", "Dummerton", "Fakenham-Synth", "Protobeck", "Specimore", "Exampleton")
CLINICS = (("Harbor Synthetic Recovery Clinic", "America/New_York"),
           ("Prairie Demo Treatment Center", "America/Chicago"),
           ("Mesa Sample Health", "America/Denver"),
           ("Cascade Test Clinic", "America/Los_Angeles"))


@dataclass(frozen=True)
class Staff:
    """The invented clinicians of one clinic."""

    nurses: tuple[str, ...]
    prescribers: tuple[str, ...]
    counselors: tuple[str, ...]


def make_clinics(seed: int, n: int) -> list[Clinic]:
    """``n`` clinics (cycling through four invented ones)."""
    return [Clinic(id=f"s{seed}-c{k + 1}", name=CLINICS[k % len(CLINICS)][0] + ("" if k < len(CLINICS) else f" {k}"),
                   timezone=CLINICS[k % len(CLINICS)][1], phone=f"(212) 555-01{k % 100:02d}") for k in range(n)]


def make_staff(clinic_index: int) -> Staff:
    """Three nurses, two prescribers and three counselors with invented names."""
    k = clinic_index
    fam = FAMILY
    return Staff(
        nurses=tuple(f"RN {GIVEN_FEMALE[(k * 3 + i) % 24]} {fam[(k * 5 + i) % len(fam)]}" for i in range(3)),
        prescribers=tuple(f"Dr. {GIVEN_MALE[(k * 2 + i) % 24]} {fam[(k * 7 + i + 3) % len(fam)]}" for i in range(2)),
        counselors=tuple(f"{GIVEN_FEMALE[(k * 5 + i + 7) % 24]} {fam[(k * 3 + i + 11) % len(fam)]}, LCSW"
                         for i in range(3)),
    )


def make_patient(rng: np.random.Generator, patient_id: str, mrn: str, clinic: Clinic, intake: date) -> Patient:
    """A patient aged 19 to 64 at intake, with a phone, an e-mail and, for some, an emergency contact."""
    sex = str(rng.choice(("male", "female", "intersex", "unknown"), p=(0.62, 0.36, 0.01, 0.01)))
    names = GIVEN_FEMALE if sex == "female" else GIVEN_MALE if sex == "male" else GIVEN_FEMALE + GIVEN_MALE
    given = str(names[int(rng.integers(len(names)))])
    family = str(FAMILY[int(rng.integers(len(FAMILY)))])
    age_days = int(rng.integers(19 * 365, 65 * 365))
    birth = intake - timedelta(days=age_days)
    contacts = [Contact("phone", f"555-01{int(rng.integers(100)):02d}"),
                Contact("email", f"{given.lower()}.{family.lower()}.{patient_id[-4:]}@example.org")]
    if rng.random() < 0.6:
        contacts.append(Contact("emergency-contact", f"555-01{int(rng.integers(100)):02d}",
                                name=f"{GIVEN_FEMALE[int(rng.integers(24))]} {family}"))
    repro = None
    if sex == "female" and age_days < 50 * 365:
        pregnant = bool(rng.random() < 0.01)
        repro = ReproductiveStatus(pregnant=pregnant, breastfeeding=not pregnant and bool(rng.random() < 0.03),
                                   as_of=intake)
    gender = {"male": "man", "female": "woman"}.get(sex, "non-binary")
    if rng.random() < 0.02:
        gender = "non-binary"
    return Patient(id=patient_id, clinic_id=clinic.id, given_name=given, family_name=family, birth_date=birth,
                   sex_at_birth=sex, gender=gender, mrn=mrn, reproductive=repro,  # type: ignore[arg-type]
                   contacts=tuple(contacts))
