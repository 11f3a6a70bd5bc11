"""The access path binds a patient principal to their own patient: any access naming another patient, or
none (a list, the dashboard), is refused whatever the role matrix says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.patient_accounts import PatientPrincipal
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.access import Access, authorize

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
PATIENT = Actor(PatientPrincipal(id="pt-1", username="avery.stone", clinic_id="c1", patient_id="p-a"))


def _access(actor: Actor, patient_id: str | None) -> Access:
    access = Access(actor=actor, action="read", category="clinical-views", now=NOW)
    access.patient_id = patient_id
    return access


def test_a_patient_may_read_their_own_clinical_views() -> None:
    authorize(None, _access(PATIENT, "p-a"))  # type: ignore[arg-type]  (no grant is looked up)


@pytest.mark.parametrize("other", ["p-b", None])
def test_a_patient_is_refused_another_patient_or_no_patient(other: str | None) -> None:
    with pytest.raises(AccessDenied, match="role 'patient' may not read clinical-views"):
        authorize(None, _access(PATIENT, other))  # type: ignore[arg-type]


def test_staff_are_not_bound() -> None:
    nurse = Actor(User(id="u", username="nurse.kim", role="nurse", clinic_id="c1"))
    authorize(None, _access(nurse, None))  # type: ignore[arg-type]
    authorize(None, _access(nurse, "p-b"))  # type: ignore[arg-type]
