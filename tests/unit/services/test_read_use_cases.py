"""The dashboard, schedule and acknowledgement use cases over an in-memory secure unit of work:
the clinic's own day, the role's lists, one audit entry with the read, and an acknowledgement
stored in the transaction of its audit entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from tests.factories import NOW, PATIENT_ID, make_clinic, make_patient
from tests.unit.services.fakes import FakeSecureUnitOfWork, FakeSecurityRepository

from naltrack.analytics.courses import PatientCourse
from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.thresholds import Thresholds
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.audit import AuditEntry, AuditEvent
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.acknowledgements import acknowledge_alert, list_acknowledgements
from naltrack.services.context import AppContext
from naltrack.services.dashboard import dashboard_sections, get_dashboard, list_inductions
from naltrack.services.read_models import (
    INDUCTION_LIST_LIMIT,
    Acknowledgement,
    Dashboard,
    InductionInProgress,
    PatientRef,
    ProgramClinic,
    ReadModels,
    ScheduledVisit,
)
from naltrack.services.schedule import get_schedule

AUCKLAND = ZoneInfo("Pacific/Auckland")
#: 12:00 UTC on 2 March is 01:00 on 3 March in Auckland (NZDT, UTC+13).
NOON_UTC = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeReadModels(ReadModels):
    """Records what it was asked; acknowledgements live in the unit of work's working copy."""

    def __init__(self, acks: dict[tuple[str, str, str], Acknowledgement], calls: list[tuple[object, ...]]) -> None:
        self.acks = acks
        self.calls = calls

    def dashboard(self, clinic_id: str, today: date, tz: ZoneInfo, thresholds: Thresholds, *,
                  sections: Mapping[str, bool] | None = None,
                  acknowledged: Iterable[tuple[str, str]] = ()) -> Dashboard:
        self.calls.append(("dashboard", clinic_id, today, tz, dict(sections or {}), set(acknowledged)))
        return Dashboard(today, 0, (), (), (), (), (), 0)

    def inductions(self, clinic_id: str, today: date,
                   limit: int = INDUCTION_LIST_LIMIT) -> tuple[list[InductionInProgress], int]:
        self.calls.append(("inductions", clinic_id, today, limit))
        return [], 0

    def in_care(self, clinic_id: str, today: date) -> list[PatientRef]:
        self.calls.append(("in_care", clinic_id, today))
        return [PatientRef("p2", "Ana Bell", None), PatientRef("p1", "Cy Dunn", "MRN-1")]

    def appointments(self, clinic_id: str, day: date, tz: ZoneInfo) -> list[ScheduledVisit]:
        self.calls.append(("appointments", clinic_id, day, tz))
        return []

    def acknowledgements(self, patient_id: str) -> dict[tuple[str, str], Acknowledgement]:
        return {(a.rule, a.subject): a for (pid, _, _), a in self.acks.items() if pid == patient_id}

    def acknowledged_since(self, clinic_id: str, since: datetime) -> set[tuple[str, str]]:
        return {(a.rule, a.subject) for a in self.acks.values() if a.acknowledged_at >= since}

    def acknowledge(self, clinic_id: str, acknowledgement: Acknowledgement, note: str | None = None) -> None:
        a = acknowledgement
        self.acks.setdefault((a.patient_id, a.rule, a.subject), a)

    def program_courses(self, clinics: Sequence[ProgramClinic]) -> list[PatientCourse]:
        self.calls.append(("program_courses", *clinics))
        return []


class ReadingUnitOfWork(FakeSecureUnitOfWork):
    """The secure fake plus read models whose acknowledgements commit and roll back with it."""

    def __init__(self) -> None:
        super().__init__()
        self.acks: dict[tuple[str, str, str], Acknowledgement] = {}
        self.calls: list[tuple[object, ...]] = []

    def __enter__(self) -> ReadingUnitOfWork:
        super().__enter__()
        self._acks_work = dict(self.acks)
        self.read_models = FakeReadModels(self._acks_work, self.calls)
        return self

    def commit(self) -> None:
        super().commit()
        self.acks = dict(self._acks_work)


@pytest.fixture()
def uow() -> ReadingUnitOfWork:
    uow = ReadingUnitOfWork()
    with uow:
        uow.clinics.add(make_clinic(timezone="Pacific/Auckland"))
        uow.patients.add(make_patient())
        uow.commit()
    return uow


def context(uow: ReadingUnitOfWork) -> AppContext:
    return AppContext(uow=lambda: uow)


def actor(role: str) -> Actor:
    return Actor(User(id=f"u-{role}", username=f"{role}.test", role=role, clinic_id="c-test"))  # type: ignore[arg-type]


def test_dashboard_reads_the_clinics_day_in_its_zone_with_the_roles_lists_and_one_audit_entry(uow) -> None:
    view = get_dashboard(context(uow), actor("nurse"), NOON_UTC)
    [call] = uow.calls
    assert call == ("dashboard", "c-test", date(2026, 3, 3), AUCKLAND, dashboard_sections("nurse"), set())
    assert view.board.today == date(2026, 3, 3) and view.clinic.name == "Test Street Clinic"
    [entry] = uow.security_store.audit
    assert (entry.action, entry.category, entry.record_type, entry.outcome) == (
        "read", "clinical-views", "dashboard", "allowed")


def test_a_role_without_clinical_views_sees_no_list_and_its_attempt_is_audited(uow) -> None:
    assert not any(dashboard_sections("front-desk").values())
    with pytest.raises(AccessDenied, match="front-desk"):
        get_dashboard(context(uow), actor("front-desk"), NOW)
    assert uow.calls == []
    assert [(e.record_type, e.outcome) for e in uow.security_store.audit] == [("dashboard", "denied")]


def test_counselor_sees_no_injection_list() -> None:
    assert dashboard_sections("counselor")["injections"] is False
    assert dashboard_sections("nurse") == {"injections": True, "protection": True, "alerts": True,
                                           "inductions": True}


def test_acknowledged_alerts_are_passed_to_the_dashboard_to_leave_out(uow) -> None:
    acknowledge_alert(context(uow), actor("nurse"), PATIENT_ID, "MON-LIVER-RISING", "l1", NOON_UTC)
    get_dashboard(context(uow), actor("nurse"), NOON_UTC)
    assert uow.calls[-1][-1] == {("MON-LIVER-RISING", "l1")}


@pytest.mark.parametrize("role", ["nurse", "prescriber"])
def test_a_phq9_item9_alert_cannot_be_acknowledged_only_assessed(uow, role: str) -> None:
    with pytest.raises(InvalidInput, match=r"alert\.rule: 'MON-PHQ9-ITEM9' is closed by recording a safety "
                                           r"assessment, not by an acknowledgement"):
        acknowledge_alert(context(uow), actor(role), PATIENT_ID, "MON-PHQ9-ITEM9", "q1", NOON_UTC)
    assert list_acknowledgements(context(uow), actor("nurse"), PATIENT_ID, NOON_UTC) == {}


def test_schedule_defaults_to_the_clinics_today_and_keeps_a_day_asked_for(uow) -> None:
    shown = get_schedule(context(uow), actor("front-desk"), None, NOON_UTC)
    assert (shown.day, shown.today) == (date(2026, 3, 3), date(2026, 3, 3))
    asked = get_schedule(context(uow), actor("front-desk"), date(2026, 4, 1), NOON_UTC)
    assert (asked.day, asked.today) == (date(2026, 4, 1), date(2026, 3, 3))
    assert uow.calls == [("appointments", "c-test", date(2026, 3, 3), AUCKLAND),
                         ("appointments", "c-test", date(2026, 4, 1), AUCKLAND)]


def test_inductions_are_listed_on_the_clinics_day(uow) -> None:
    listed = list_inductions(context(uow), actor("prescriber"), NOON_UTC)
    assert (listed.today, listed.items, listed.total) == (date(2026, 3, 3), (), 0)
    assert uow.calls == [("inductions", "c-test", date(2026, 3, 3), INDUCTION_LIST_LIMIT)]


def test_an_acknowledgement_is_committed_with_its_audit_entry(uow) -> None:
    ack = acknowledge_alert(context(uow), actor("nurse"), PATIENT_ID, "MON-LIVER-RISING", "l1", NOW)
    assert ack == Acknowledgement(PATIENT_ID, "MON-LIVER-RISING", "l1", "nurse.test", NOW)
    assert list(uow.acks.values()) == [ack]
    assert [(e.action, e.record_type, e.record_id, e.patient_id) for e in uow.security_store.audit] == [
        ("acknowledge", "alert MON-LIVER-RISING", "l1", PATIENT_ID)]
    assert list_acknowledgements(context(uow), actor("nurse"), PATIENT_ID, NOW) == {("MON-LIVER-RISING", "l1"): ack}


def test_a_failed_audit_append_leaves_no_acknowledgement(uow, monkeypatch) -> None:
    def failing(self: FakeSecurityRepository, event: AuditEvent) -> AuditEntry:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(FakeSecurityRepository, "append_audit", failing)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        acknowledge_alert(context(uow), actor("nurse"), PATIENT_ID, "MON-LIVER-RISING", "l1", NOW)
    assert uow.acks == {}


def test_another_clinics_patient_is_not_found_and_nothing_is_stored(uow) -> None:
    from naltrack.domain.errors import NotFound

    with pytest.raises(NotFound, match="p-elsewhere"):
        acknowledge_alert(context(uow), actor("nurse"), "p-elsewhere", "MON-LIVER-RISING", "l1", NOW)
    assert uow.acks == {}
    assert [e.outcome for e in uow.security_store.audit] == ["not-found"]
