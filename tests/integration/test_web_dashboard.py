"""The dashboard's set-based read models (adapters/db/read_models/) and the dashboard and
acknowledgement use cases (services/dashboard.py, services/acknowledgements.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests import seeding

from naltrack.adapters.db.read_models import SqlReadModels
from naltrack.adapters.db.security_repository import SqlSecureUnitOfWork, SqlSecurityRepository
from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection, OralDose
from naltrack.domain.care import AdverseEvent, InjectionSiteDetails
from naltrack.domain.episodes import Episode
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import LabResult, QuestionnaireResponse
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import supersede
from naltrack.domain.regimens import Regimen
from naltrack.domain.rules.thresholds import DEFAULT
from naltrack.domain.security.accounts import Actor
from naltrack.services.acknowledgements import acknowledge_alert, list_acknowledgements
from naltrack.services.context import AppContext
from naltrack.services.dashboard import get_dashboard
from naltrack.services.security import add_user, search_audit
from naltrack.services.security_ports import AuditQuery

TZ = ZoneInfo("America/New_York")
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def at(day: date, hour: int = 14) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture()
def storage(storage):
    """The suite's fresh database on each backend (SQLite, PostgreSQL), with two clinics."""
    seed(storage, Clinic(id="c1", name="Harbor Clinic", timezone="America/New_York"),
         Clinic(id="c2", name="Other Clinic", timezone="America/New_York"))
    return storage


def add_patient(store: Storage, pid: str, family: str, clinic: str = "c1") -> None:
    seed(store, Patient(id=pid, clinic_id=clinic, given_name="Sam", family_name=family,
                                                  birth_date=date(1985, 1, 1), sex_at_birth="male", mrn=pid.upper()))


def xr_patient(store: Storage, pid: str, family: str, last_days_ago: int, side: str = "right",
               clinic: str = "c1") -> None:
    add_patient(store, pid, family, clinic)
    start = days_ago(last_days_ago + 30)
    seed(store, *[
        Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP", start=start),
        Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=start),
        Injection(id=f"{pid}-i", patient_id=pid, given_at=at(days_ago(last_days_ago)), side=side, lot="L1",
                  expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="nurse.kim", regimen_id=f"{pid}-r"),
    ])


def seed(store: Storage, *items) -> None:
    """Store clinics, patients and records as they are, in one unit of work (tests/seeding.py)."""
    seeding.seed(lambda: SqlSecureUnitOfWork(store.engine), clinics=[i for i in items if isinstance(i, Clinic)],
                 patients=[i for i in items if isinstance(i, Patient)],
                 records=[i for i in items if not isinstance(i, Clinic | Patient)], now=NOW)


def correct(store: Storage, old_id: str, new) -> None:
    """Replace a record by its correction (the old one stays, entered-in-error)."""
    with SqlSecureUnitOfWork(store.engine) as uow:
        old = uow.records.get(type(new), old_id)
        retired, linked = supersede(old, new)
        uow.records.update(replace(retired, version=old.version + 1))
        uow.records.add(linked)
        uow.commit()


def context(store: Storage) -> AppContext:
    return AppContext(uow=lambda: SqlSecureUnitOfWork(store.engine))


def dashboard(store: Storage, clinic: str = "c1", **options):
    """The read model's dashboard of ``clinic`` on TODAY, in the unit of work's transaction."""
    with context(store).uow() as uow:
        return uow.read_models.dashboard(clinic, TODAY, TZ, DEFAULT, **options)


def user(store: Storage, username: str, role: str = "nurse", clinic: str = "c1") -> Actor:
    return Actor(add_user(context(store).uow, username, "correct horse battery", role, clinic, NOW))


def test_lists_injection_due_on_day_28_and_overdue_on_day_31_with_the_other_buttock(storage):
    xr_patient(storage, "p28", "Due", 28, side="right")
    xr_patient(storage, "p31", "Late", 31, side="left")
    xr_patient(storage, "p10", "Early", 10)
    board = dashboard(storage)
    assert [(d.patient_id, d.days_since, d.suggested_side) for d in board.due_today] == [("p28", 28, "left")]
    assert [(d.patient_id, d.days_since, d.due_on) for d in board.overdue] == [("p31", 31, days_ago(3))]


def test_due_window_opens_two_days_before_day_28_and_not_sooner(storage):
    xr_patient(storage, "p26", "Window", 26)
    xr_patient(storage, "p25", "Before", 25)
    board = dashboard(storage)
    assert [d.patient_id for d in board.due_today] == ["p26"]


def test_another_clinic_and_a_corrected_injection_are_left_out(storage):
    xr_patient(storage, "px", "Elsewhere", 30, clinic="c2")
    xr_patient(storage, "pc", "Corrected", 30)
    correction = Injection(id="pc-i2", patient_id="pc", given_at=at(days_ago(2)), side="left", lot="L2",
                           expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="nurse.kim")
    correct(storage, "pc-i", correction)
    board = dashboard(storage)
    assert board.overdue == () and board.due_today == ()
    assert dashboard(storage, "c2").overdue[0].patient_id == "px"


def test_protection_ended_three_days_ago_is_listed_and_an_on_time_injection_is_not(storage):
    """The typical subject is blocked through day 32 after an XR-NTX injection (docs/pk.md "Opioid
    blockade"): 35 days ago ended 3 days ago; 27 days ago ends in 5, but the next injection is on its
    4-week schedule (the due list shows it), so that patient is not losing protection; 30 days ago
    ends in 2, and is overdue, listed under the injections instead."""
    xr_patient(storage, "pend", "Ended", 35)
    xr_patient(storage, "psoon", "Soon", 27)
    xr_patient(storage, "plate", "Late", 30)
    xr_patient(storage, "pfine", "Fine", 5)
    xr_patient(storage, "plong", "Long", 66)  # ended 34 days ago: past lapse_alert_days (30)
    board = dashboard(storage)
    assert {(p.patient_id, p.days_left) for p in board.protection} == {("pend", -3)}
    assert {d.patient_id for d in (*board.due_today, *board.overdue)} >= {"psoon", "plate"}


def test_oral_dose_blocks_the_whole_days_after_it(storage):
    """100 mg at 14:00 blocks about 72 h (label >= 48 h, docs/pk.md "Opioid blockade"): the next two whole
    days, so through today. Targeted dosing (clinical.md §1.4) schedules no next tablet, so the end is told."""
    add_patient(storage, "po", "Oral")
    seed(storage, *[
        Regimen(id="po-r", patient_id="po", kind="targeted", start=days_ago(20)),
        OralDose(id="po-d", patient_id="po", taken_at=at(days_ago(2), hour=14), dose_mg=100.0),
    ])
    (item,) = dashboard(storage).protection
    assert (item.form, item.last_dose_on, item.protection_ends_on, item.days_left) == \
        ("oral", days_ago(2), days_ago(0), 0)


def test_urgent_alerts_phq9_item9_liver_above_3x_uln_and_open_site_reaction(storage):
    for pid, name in (("pq", "Phq"), ("pl", "Liver"), ("ps", "Site"), ("pn", "Normal")):
        xr_patient(storage, pid, name, 5)
    seed(storage, *[
        QuestionnaireResponse(id="q1", patient_id="pq", instrument="phq-9", answers=(1,) * 9,
                              completed_at=at(days_ago(1)), total=9, band="mild", flags=("item-9-positive",)),
        LabResult(id="l1", patient_id="pl", loinc="1742-6", name="ALT", value=130.0, unit="U/L",
                  reference_high=40.0, collected_at=at(days_ago(3))),
        LabResult(id="l2", patient_id="pn", loinc="1742-6", name="ALT", value=150.0, unit="U/L",
                  reference_high=40.0, collected_at=at(days_ago(20))),
        LabResult(id="l3", patient_id="pn", loinc="1742-6", name="ALT", value=41.0, unit="U/L",
                  reference_high=40.0, collected_at=at(days_ago(2))),
        AdverseEvent(id="a1", patient_id="ps", kind="injection-site-reaction", onset=days_ago(15), ctcae_grade=2,
                     site=InjectionSiteDetails(side="left", induration_cm=3.0)),
        AdverseEvent(id="a2", patient_id="pn", kind="injection-site-reaction", onset=days_ago(2), ctcae_grade=2,
                     site=InjectionSiteDetails(side="right", induration_cm=2.0, necrosis=True)),
    ])
    alerts = {(a.patient_id, a.kind, a.severity) for a in dashboard(storage).alerts}
    # Not improving after two weeks: a warning (report it); necrosis: critical (clinical.md §3).
    assert alerts == {("pq", "phq9-item9", "critical"), ("pl", "liver", "warning"),
                      ("ps", "injection-site", "warning"), ("pn", "injection-site", "critical")}


def test_acknowledged_alert_is_left_out_but_never_a_phq9_item9_one(storage):
    xr_patient(storage, "pl", "Liver", 5)
    xr_patient(storage, "pq", "Phq", 5)
    seed(storage, *[
        LabResult(id="l1", patient_id="pl", loinc="1742-6", name="ALT", value=130.0, unit="U/L",
                  reference_high=40.0, collected_at=at(days_ago(3))),
        QuestionnaireResponse(id="q1", patient_id="pq", instrument="phq-9", answers=(1,) * 9,
                              completed_at=at(days_ago(1)), total=9, band="mild", flags=("item-9-positive",)),
    ])
    assert {a.rule for a in dashboard(storage).alerts} == {"MON-LIVER-RISING", "MON-PHQ9-ITEM9"}
    board = dashboard(storage, acknowledged=[("MON-LIVER-RISING", "l1"), ("MON-PHQ9-ITEM9", "q1")])
    assert [(a.patient_id, a.rule) for a in board.alerts] == [("pq", "MON-PHQ9-ITEM9")]


def test_induction_in_progress_is_an_open_episode_without_any_dose(storage):
    add_patient(storage, "pi", "Induct")
    seed(storage, *[
        Episode(id="pi-e", patient_id="pi", indication="OUD", level_of_care="OP", start=days_ago(4)),
    ])
    xr_patient(storage, "pg", "Given", 5)
    board = dashboard(storage)
    assert [(i.patient_id, i.started_on) for i in board.inductions] == [("pi", days_ago(4))]
    assert board.induction_total == 1


def test_sections_a_role_may_not_see_are_not_queried(storage):
    xr_patient(storage, "p31", "Late", 31)
    board = dashboard(storage, sections={"injections": False, "protection": False})
    assert board.overdue == () and board.protection == () and board.patient_count == 1


def test_two_connections_give_the_same_dashboard_as_one(storage):
    xr_patient(storage, "p28", "Due", 28)
    xr_patient(storage, "p31", "Late", 31)
    add_patient(storage, "pi", "Induct")
    seed(storage, *[
        Episode(id="pi-e", patient_id="pi", indication="OUD", level_of_care="OP", start=days_ago(4)),
    ])
    with storage.engine.connect() as connection:
        alone = SqlReadModels(connection).dashboard("c1", TODAY, TZ, DEFAULT)
        paired = SqlReadModels(connection, storage.engine).dashboard("c1", TODAY, TZ, DEFAULT)
    assert paired == alone
    assert [d.patient_id for d in paired.overdue] == ["p31"] and paired.induction_total == 1


def test_acknowledgement_is_stored_once_audited_and_found_by_clinic_and_patient(storage):
    ctx = context(storage)
    xr_patient(storage, "pq", "Phq", 5)
    nurse = user(storage, "nurse.kim")
    for _ in range(2):  # a second acknowledgement of the same alert is one row
        acknowledge_alert(ctx, nurse, "pq", "MON-LIVER-RISING", "l1", NOW)
    with ctx.uow() as uow:
        assert uow.read_models.acknowledged_since("c1", NOW - timedelta(days=1)) == {("MON-LIVER-RISING", "l1")}
        assert uow.read_models.acknowledged_since("c2", NOW - timedelta(days=1)) == set()
    (ack,) = list_acknowledgements(ctx, nurse, "pq", NOW).values()
    assert (ack.acknowledged_by, ack.acknowledged_at) == ("nurse.kim", NOW)
    with pytest.raises(InvalidInput, match="'RDY-AGE' is not a monitoring rule"):
        acknowledge_alert(ctx, nurse, "pq", "RDY-AGE", "q1", NOW)
    auditor = user(storage, "audit.max", "auditor")
    entries = search_audit(ctx.uow, auditor, AuditQuery(patient_id="pq"), NOW)
    assert [e.action for e in entries].count("acknowledge") == 2


def test_acknowledgement_and_its_audit_entry_are_one_transaction(storage, monkeypatch):
    """A failure in the audit append leaves no acknowledgement behind."""
    ctx = context(storage)
    xr_patient(storage, "pq", "Phq", 5)
    nurse = user(storage, "nurse.kim")
    append = SqlSecurityRepository.append_audits

    def failing(self, events):
        if any(event.action == "acknowledge" for event in events):
            raise RuntimeError("audit log unavailable")
        return append(self, events)

    monkeypatch.setattr(SqlSecurityRepository, "append_audits", failing)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        acknowledge_alert(ctx, nurse, "pq", "MON-LIVER-RISING", "l1", NOW)
    monkeypatch.setattr(SqlSecurityRepository, "append_audits", append)
    assert list_acknowledgements(ctx, nurse, "pq", NOW) == {}
    with ctx.uow() as uow:
        assert uow.read_models.acknowledged_since("c1", NOW - timedelta(days=1)) == set()


def test_dashboard_use_case_reads_the_clinic_day_leaves_acknowledged_alerts_out_and_audits(storage):
    """At 03:00 UTC it is still the evening before in New York: the clinic's day, not UTC's."""
    ctx = context(storage)
    xr_patient(storage, "pq", "Phq", 5)
    seed(storage, *[
        QuestionnaireResponse(id="q1", patient_id="pq", instrument="phq-9", answers=(1,) * 9,
                              completed_at=at(days_ago(1)), total=9, band="mild", flags=("item-9-positive",)),
    ])
    nurse = user(storage, "nurse.kim")
    late_evening = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
    view = get_dashboard(ctx, nurse, late_evening)
    assert (view.clinic.name, view.board.today) == ("Harbor Clinic", TODAY)
    assert [(a.patient_id, a.rule) for a in view.board.alerts] == [("pq", "MON-PHQ9-ITEM9")]
    assert view.board == dashboard(storage)
    with pytest.raises(InvalidInput, match="is closed by recording a safety assessment"):
        acknowledge_alert(ctx, nurse, "pq", "MON-PHQ9-ITEM9", "q1", NOW)
    assert [a.rule for a in get_dashboard(ctx, nurse, late_evening).board.alerts] == ["MON-PHQ9-ITEM9"]
    auditor = user(storage, "audit.max", "auditor")
    reads = [e for e in search_audit(ctx.uow, auditor, AuditQuery(actor=nurse.user.id), NOW)
             if e.record_type == "dashboard"]
    assert [(e.action, e.outcome) for e in reads] == [("read", "allowed")] * 2
