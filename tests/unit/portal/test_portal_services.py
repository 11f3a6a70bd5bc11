"""The portal's use cases over the in-memory secure unit of work: the patient as the actor of each audited access,
their own patient only, the staff side's roles."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.factories import CLINIC_ID, NOW, PATIENT_ID, make_clinic, make_patient
from tests.unit.services.fakes import FakeSecureUnitOfWork

from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.patient_accounts import PatientPrincipal
from naltrack.domain.security.roles import AccessDenied
from naltrack.services import portal as portal_cases
from naltrack.services.context import AppContext
from naltrack.services.portal_accounts import patient_actor

OTHER = "p-test-2"


@pytest.fixture()
def uow() -> FakeSecureUnitOfWork:
    uow = FakeSecureUnitOfWork()
    with uow:
        uow.clinics.add(make_clinic())
        uow.patients.add(make_patient())
        uow.patients.add(replace(make_patient(), id=OTHER, given_name="Other", mrn="MRN-OTHER"))
        uow.commit()
    return uow


def ctx(uow: FakeSecureUnitOfWork) -> AppContext:
    return AppContext(uow=lambda: uow)


def staff(role: str) -> Actor:
    return Actor(User(id=f"u-{role}", username=f"{role}.test", role=role, clinic_id=CLINIC_ID))  # type: ignore[arg-type]


def patient(patient_id: str = PATIENT_ID) -> Actor:
    return patient_actor(PatientPrincipal(id=f"pt-{patient_id}", username="pat.test", clinic_id=CLINIC_ID,
                                          patient_id=patient_id), "198.51.100.7")


def test_a_side_effect_report_is_written_for_the_principals_patient_with_one_audit_entry(uow) -> None:
    report = portal_cases.report_side_effect(ctx(uow), patient(), "injection-site-lump", "moderate", None, NOW)
    assert report.patient_id == PATIENT_ID and report.urgent and report.other_text is None
    [entry] = uow.security_store.audit
    assert (entry.actor, entry.patient_id, entry.action, entry.category, entry.purpose, entry.outcome) == (
        f"pt-{PATIENT_ID}", PATIENT_ID, "create", "adverse-events", "patient-request", "allowed")
    assert entry.detail == "injection-site-lump, moderate, urgent"


def test_another_patients_assignment_is_not_found_and_the_attempt_audited(uow) -> None:
    assigned = portal_cases.assign_questionnaire(ctx(uow), staff("nurse"), OTHER, "phq-9", NOW)
    with pytest.raises(NotFound, match="questionnaire"):
        portal_cases.get_assignment(ctx(uow), patient(), assigned.id, NOW)
    with pytest.raises(NotFound, match="questionnaire"):
        portal_cases.complete_assignment(ctx(uow), patient(), assigned.id, [0.0] * 9, NOW)
    assert [(e.actor, e.outcome) for e in uow.security_store.audit[-2:]] == [(f"pt-{PATIENT_ID}", "not-found")] * 2


def test_a_completed_questionnaire_cannot_be_completed_twice(uow) -> None:
    assigned = portal_cases.assign_questionnaire(ctx(uow), staff("counselor"), PATIENT_ID, "phq-9", NOW)
    done = portal_cases.complete_assignment(ctx(uow), patient(), assigned.id, [0.0] * 8 + [2.0], NOW)
    assert "item-9-positive" in done.score.flags and done.response.patient_id == PATIENT_ID
    with pytest.raises(Conflict, match="completed already"):
        portal_cases.complete_assignment(ctx(uow), patient(), assigned.id, [0.0] * 9, NOW + timedelta(minutes=1))


def test_a_clinician_rated_instrument_is_not_assigned_to_the_portal(uow) -> None:
    assert "cows" not in portal_cases.portal_instrument_ids() and "phq-9" in portal_cases.portal_instrument_ids()
    with pytest.raises(InvalidInput, match="instrument"):
        portal_cases.assign_questionnaire(ctx(uow), staff("nurse"), PATIENT_ID, "cows", NOW)


@pytest.mark.parametrize("role", ["front-desk", "admin", "auditor", "manager"])
def test_roles_that_record_no_questionnaires_assign_none(uow, role: str) -> None:
    with pytest.raises(AccessDenied):
        portal_cases.assign_questionnaire(ctx(uow), staff(role), PATIENT_ID, "phq-9", NOW)


def test_only_roles_that_correct_adverse_events_mark_a_report_reviewed_once(uow) -> None:
    report = portal_cases.report_side_effect(ctx(uow), patient(), "headache", "mild", None, NOW)
    with pytest.raises(AccessDenied):
        portal_cases.review_side_effect(ctx(uow), staff("counselor"), report.id, NOW)
    reviewed = portal_cases.review_side_effect(ctx(uow), staff("nurse"), report.id, NOW)
    assert (reviewed.reviewed_by, reviewed.reviewed_at) == ("u-nurse", NOW)
    with pytest.raises(Conflict, match="reviewed already"):
        portal_cases.review_side_effect(ctx(uow), staff("prescriber"), report.id, NOW)


def test_a_patient_may_not_review_a_report(uow) -> None:
    report = portal_cases.report_side_effect(ctx(uow), patient(), "headache", "mild", None, NOW)
    with pytest.raises(AccessDenied):
        portal_cases.review_side_effect(ctx(uow), patient(), report.id, NOW)


def test_a_staff_actor_is_refused_the_patients_use_cases(uow) -> None:
    with pytest.raises(InvalidInput, match="must be a patient signed in to the portal"):
        portal_cases.report_side_effect(ctx(uow), staff("nurse"), "headache", "mild", None, NOW)
