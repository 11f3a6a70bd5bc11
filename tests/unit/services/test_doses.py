"""The pre-dose check inside the record use cases (services/doses.py): a nurse is stopped, a prescriber
overrides with a reason, stops stay stops, review items are confirmed one by one, and whatever stops a
dose writes nothing but its audited refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.factories import (
    CLINIC_ID,
    PATIENT_ID,
    add,
    make_chart,
    make_clinic,
    make_injection,
    make_oral_dose,
    make_regimen,
    make_screen,
    opioid_panel,
)
from tests.seeding import seed
from tests.unit.services.fakes import FakeSecureUnitOfWork

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import DoseStopped, InvalidInput
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.roles import AccessDenied
from naltrack.services import records as cases
from naltrack.services.context import AppContext
from naltrack.services.doses import UNCONFIRMED, DoseAuthorisation, check_before_dose, record_dose_not_given
from naltrack.services.unit_of_work import chart_in

NURSE = Actor(User(id="u-nurse", username="nurse.test", role="nurse", clinic_id=CLINIC_ID), source="unit")
PRESCRIBER = Actor(User(id="u-rx", username="rx.test", role="prescriber", clinic_id=CLINIC_ID), source="unit")
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 17, tzinfo=UTC)
GIVEN = datetime(2026, 3, 10, 15, tzinfo=UTC)  # 10:00 in the clinic (America/New_York)
NOT_READY = (make_screen(collected_at=GIVEN - timedelta(days=2),
                         results=opioid_panel(opiates="positive", fentanyl="positive")),)


class Program:
    def __init__(self, chart: PatientChart) -> None:
        self.uow = FakeSecureUnitOfWork()
        self.ctx = AppContext(uow=lambda: self.uow)
        records = [r for kind in ("episodes", "regimens", "injections", "screens", "labs", "substance_use",
                                  "questionnaires") for r in getattr(chart, kind)]
        seed(lambda: self.uow, clinics=[make_clinic(timezone="America/New_York")], patients=[chart.patient],
             records=records, now=NOW - timedelta(days=40))

    def give(self, actor: Actor, authorisation: DoseAuthorisation = UNCONFIRMED, **shot: object) -> object:
        dose = make_injection(**{"given_at": GIVEN, **shot})
        return cases.create_record(self.ctx, actor, "injections", PATIENT_ID,
                                   lambda new: replace(dose, **new.fields), NOW, authorisation)

    def chart(self) -> PatientChart:
        with self.uow:
            return chart_in(self.uow, self.uow.patients.get(PATIENT_ID))

    def refusals(self) -> list[tuple[str, str]]:
        return [(e.outcome, e.detail or "") for e in self.uow.security_store.audit if e.outcome != "allowed"]


def ordered(**fields: object) -> PatientChart:
    """A patient ready for XR-NTX on ``DAY`` with an XR-NTX order since 40 days before; ``fields`` replace."""
    chart = add(make_chart(), regimens=[make_regimen(start=DAY - timedelta(days=40))])
    return replace(chart, **fields) if fields else chart


def test_a_nurse_is_stopped_before_injecting_a_not_ready_patient_and_nothing_is_written() -> None:
    program = Program(add(ordered(), screens=NOT_READY))
    with pytest.raises(DoseStopped) as stopped:
        program.give(NURSE)
    assert stopped.value.dose_class == "first"
    assert [f["rule"] for f in stopped.value.findings] == ["RDY-OPIOID-FREE", "RDY-OPIOID-FREE"]
    assert all(f["level"] == "override" for f in stopped.value.findings)
    assert program.chart().injections == () and program.chart().dose_decisions == ()
    assert program.refusals()[0][0] == "conflict" and "RDY-OPIOID-FREE" in program.refusals()[0][1]


def test_only_a_prescriber_overrides_and_the_override_is_kept_with_its_reason() -> None:
    program = Program(add(ordered(), screens=NOT_READY))
    with pytest.raises(AccessDenied, match="nurse"):
        program.give(NURSE, DoseAuthorisation(override_reason="patient insists"))
    shot = program.give(PRESCRIBER, DoseAuthorisation(override_reason="screen was poppy-seed; challenge passed"))
    decision = program.chart().dose_decisions[0]
    assert (decision.dose_id, decision.outcome, decision.dose_class) == (shot.id, "given", "first")  # type: ignore[attr-defined]
    assert decision.overridden == ("RDY-OPIOID-FREE", "RDY-OPIOID-FREE/2")
    assert decision.override_reason == "screen was poppy-seed; challenge passed"
    assert decision.decided_by == "rx.test"


def test_a_second_injection_the_same_clinic_day_is_stopped_even_for_a_prescriber_overriding() -> None:
    program = Program(ordered())
    program.give(NURSE)
    with pytest.raises(DoseStopped, match="DOSE-SAME-DAY") as stopped:
        program.give(PRESCRIBER, DoseAuthorisation(override_reason="again"), given_at=GIVEN + timedelta(hours=1))
    assert [f["level"] for f in stopped.value.findings] == ["stop"]
    assert len(program.chart().injections) == 1


def test_without_an_order_nobody_injects() -> None:
    program = Program(make_chart())
    with pytest.raises(DoseStopped, match="DOSE-NO-ORDER"):
        program.give(PRESCRIBER, DoseAuthorisation(override_reason="verbal order"))


def test_review_items_must_each_be_confirmed_and_the_confirmations_are_kept() -> None:
    program = Program(ordered(labs=()))
    with pytest.raises(DoseStopped) as stopped:
        program.give(NURSE)
    keys = [f["key"] for f in stopped.value.findings]
    assert keys == ["RDY-LIVER-ULN", "RDY-LIVER-ULN/2"] and {f["level"] for f in stopped.value.findings} == {"confirm"}
    with pytest.raises(DoseStopped, match="AST"):
        program.give(NURSE, DoseAuthorisation(confirmed=frozenset({"RDY-LIVER-ULN"})))
    program.give(NURSE, DoseAuthorisation(confirmed=frozenset(keys)))
    assert program.chart().dose_decisions[0].confirmed == ("RDY-LIVER-ULN", "RDY-LIVER-ULN/2")


def test_a_day_27_continuation_is_given_by_a_nurse_without_the_induction_checks() -> None:
    last = GIVEN - timedelta(days=27)
    chart = add(ordered(), injections=[make_injection(given_at=last)], screens=NOT_READY)
    program = Program(chart)
    program.give(NURSE)
    decision = program.chart().dose_decisions[0]
    assert (decision.dose_class, decision.overridden, decision.confirmed) == ("continuation", (), ())


def test_the_check_can_be_read_before_the_dose_and_a_self_reported_oral_dose_is_not_checked() -> None:
    program = Program(add(ordered(), screens=NOT_READY))
    check = check_before_dose(program.ctx, NURSE, PATIENT_ID, "xr-ntx", GIVEN, NOW)
    assert [f.rule for f in check.at_level("override")] == ["RDY-OPIOID-FREE", "RDY-OPIOID-FREE"]
    taken = make_oral_dose(taken_at=GIVEN, dose_status="taken", observed_by=None)
    cases.create_records(program.ctx, NURSE, [taken], NOW)
    assert len(program.chart().oral_doses) == 1 and program.chart().dose_decisions == ()


def test_two_injections_on_one_day_in_one_batch_are_stopped() -> None:
    program = Program(ordered())
    shots = [make_injection(given_at=GIVEN), make_injection(given_at=GIVEN + timedelta(hours=1))]
    with pytest.raises(DoseStopped, match="DOSE-SAME-DAY"):
        cases.create_records(program.ctx, PRESCRIBER, shots, NOW)
    assert program.chart().injections == ()


def test_a_dose_held_or_refused_is_recorded_with_its_reason() -> None:
    program = Program(add(ordered(), screens=NOT_READY))
    held = record_dose_not_given(program.ctx, NURSE, PATIENT_ID, "xr-ntx", GIVEN, "held",
                                 "opioid-positive screen; prescriber to review", NOW)
    assert (held.outcome, held.dose_id, held.dose_class) == ("held", None, "first")
    with pytest.raises(InvalidInput, match="dose_decision.reason: None is required for a dose refused"):
        record_dose_not_given(program.ctx, NURSE, PATIENT_ID, "xr-ntx", GIVEN, "refused", None, NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="must be held or refused"):
        record_dose_not_given(program.ctx, NURSE, PATIENT_ID, "xr-ntx", GIVEN, "given", "x", NOW)  # type: ignore[arg-type]
    assert [d.outcome for d in program.chart().dose_decisions] == ["held"]
