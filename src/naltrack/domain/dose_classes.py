"""What kind of naltrexone dose is this: the first, a continuation, a late dose or a restart.

One answer for readiness, the CDS order check and the CLI (:func:`classify_dose`). It reads the
blockade of the doses given before the day (:func:`naltrack.domain.protection.protection_end`,
the opioid-blockade estimate) and, for XR-NTX, the days since the last injection:

* **first**: no naltrexone given before (an administration, or a naltrexone medicine dispensed
  or reported): the full induction (clinical.md §2).
* **restart**: naltrexone was given, but the patient has been without blockade for
  ``restart_after_unblocked_days`` whole days or more: the full induction again, including the
  oral 25 mg test dose for OUD (clinical.md §1.1, §2).
* **continuation**: XR-NTX by the day it is due (every 4 weeks, clinical.md §1.2); another form,
  or a switch to XR-NTX, while blocked (no whole day without blockade before it). No induction
  checks: the opioid-free interval, screens, challenge and test dose are for starting (§2.1-§2.2).
* **late**: anything else. XR-NTX follows the late-dose table (clinical.md §1.2, a local
  protocol): a urine drug screen from ``injection_uds_required_from_day`` (35), the prescriber
  consulted from ``injection_consult_from_day`` (56). A late oral dose or implant needs a urine
  screen after ``late_dose_uds_from_unblocked_days`` whole days without blockade.

Days are clinic-local days of ``tz`` (``Clinic.zone``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta, tzinfo

from naltrack.domain.chart import PatientChart
from naltrack.domain.dose_decisions import DoseKind
from naltrack.domain.due_dates import injection_interval_days
from naltrack.domain.protection import naltrexone_given_days, protection_end
from naltrack.domain.regimens import FORMS, Form
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.units import require_choice

_PRECEDENCE: tuple[Form, ...] = ("xr-ntx", "implant", "oral")
LATE_TABLE = "clinical.md §1.2 (late-dose table, a local protocol)"


@dataclass(frozen=True)
class DoseClass:
    """The kind of a naltrexone dose in ``form`` on ``on``, why, and what the late-dose table asks first."""

    kind: DoseKind
    form: Form
    on: date
    reason: str
    source: str
    days_since_last: int | None = None
    """Whole days since the last naltrexone given before ``on`` (for XR-NTX, since the last injection
    when there is one); ``None`` for a first dose."""
    unblocked_days: int | None = None
    """Whole days without blockade before ``on``."""
    blocked_through: date | None = None
    """The last blocked day of the doses given before ``on``."""
    uds_required: bool = False
    """A urine drug screen comes before this late dose."""
    consult_required: bool = False
    """The prescriber is consulted before this late injection (XR-NTX only)."""

    @property
    def is_induction(self) -> bool:
        """A first dose or a restart: every induction check applies."""
        return self.kind in ("first", "restart")

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "form": self.form, "on": self.on.isoformat(), "reason": self.reason,
                "source": self.source, "days_since_last": self.days_since_last,
                "unblocked_days": self.unblocked_days,
                "blocked_through": self.blocked_through.isoformat() if self.blocked_through else None,
                "uds_required": self.uds_required, "consult_required": self.consult_required}


def classify_dose(chart: PatientChart, form: Form, on: date, tz: tzinfo,
                  thresholds: Thresholds = DEFAULT) -> DoseClass:
    """Classify a naltrexone dose (given or ordered) in ``form`` on the clinic-local day ``on``.

    Parameters
    ----------
    chart : PatientChart
        The patient's records. Doses given on ``on`` itself are not "before" it (the dose being
        classified may already be on file).
    form : {"oral", "xr-ntx", "implant"}
        The form of the dose.
    on : date
        The clinic-local day of the dose.
    tz : tzinfo
        The clinic's time zone.
    thresholds : Thresholds
        ``restart_after_unblocked_days``, ``late_dose_uds_from_unblocked_days``, the late-dose
        table's days and the injection interval.

    Raises
    ------
    InvalidInput
        For an unknown form.
    """
    require_choice("form", form, FORMS)
    before = on - timedelta(days=1)
    given = naltrexone_given_days(chart, before, tz)
    if not given:
        return DoseClass("first", form, on, "No naltrexone given before: the first dose, with the full induction.",
                         "clinical.md §2")
    last = max(day for day, _ in given)
    end = protection_end(chart, before, tz, thresholds)
    reference = last if end is None else max(end, last)
    unblocked = max(0, (on - reference).days - 1)
    known = DoseClass("late", form, on, "", LATE_TABLE, (on - last).days, unblocked, end)
    if unblocked >= thresholds.restart_after_unblocked_days:
        return replace(known, kind="restart", source="clinical.md §1.1, §1.2 ('no data on resumption after a "
                       "break'), §2", reason=f"Without blockade since {reference + timedelta(days=1)} ({unblocked} "
                       f"whole days; a restart from {thresholds.restart_after_unblocked_days}): the full induction "
                       "again, with the oral test dose for OUD.")
    shots = [day for day, kind in given if kind == "xr-ntx"]
    if form == "xr-ntx" and shots:
        return _xr_ntx(chart, replace(known, days_since_last=(on - max(shots)).days), max(shots), thresholds)
    if unblocked == 0:
        held = f"blocked through {end}" if end is not None else f"last given {last}"
        return replace(known, kind="continuation", source="clinical.md §1.1, §1.2, §2.1",
                       reason=f"Naltrexone {held}: continuing, no induction checks.")
    uds = unblocked >= thresholds.late_dose_uds_from_unblocked_days
    screen = "; a urine drug screen first" if uds else ""
    return replace(known, uds_required=uds,
                   reason=f"Late: {unblocked} whole days without blockade since {reference}{screen}.")


def _xr_ntx(chart: PatientChart, known: DoseClass, shot: date, t: Thresholds) -> DoseClass:
    """An injection after an earlier one: on time by the due day, else the late-dose table (clinical.md §1.2)."""
    day = known.days_since_last or 0
    interval = injection_interval_days(chart.active_regimens_on(known.on), t)
    if day <= interval:
        return replace(known, kind="continuation", source="clinical.md §1.2", reason=f"Injection on day {day} "
                       f"after the last one ({shot}), due by day {interval}: on time, no induction checks.")
    uds, consult = day >= t.injection_uds_required_from_day, day >= t.injection_consult_from_day
    steps = "give it as soon as possible"
    if uds:
        steps = (f"a point-of-care urine drug screen first (from day {t.injection_uds_required_from_day}); if "
                 "positive, do not inject")
    if consult:
        steps += f"; consult the prescriber (from day {t.injection_consult_from_day})"
    return replace(known, uds_required=uds, consult_required=consult,
                   reason=f"Injection on day {day} after the last one ({shot}), due on day {interval}: late, {steps}.")


def dose_on(chart: PatientChart, on: date, tz: tzinfo) -> Form | None:
    """The form of a naltrexone dose given on the clinic-local day ``on`` (an administration, or the last dose
    of a naltrexone medicine dispensed or reported), XR-NTX first, then an implant, then oral; or ``None``."""
    forms = {form for day, form in naltrexone_given_days(chart, on, tz) if day == on}
    return next((form for form in _PRECEDENCE if form in forms), None)
