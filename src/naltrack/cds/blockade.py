"""Is naltrexone on board, and until when? What the CDS services tell another EHR.

* Oral: a dose taken within :data:`ORAL_BLOCKADE_HOURS`, or an active oral order or statement
  (the EHR rarely sees doses). 72 h is the interval ASAM gives for stopping oral naltrexone
  before elective surgery (clinical.md §3, "Emergency pain management"); a configurable default.
* XR-NTX: the coverage engine's estimate of the end of protection for recorded injections
  (:func:`coverage_estimator`, pk.md); else the label's ~28 days of blockade after the last
  injection (clinical.md §1.2, §3 "Vulnerability to opioid overdose"), a configurable default.
* Implant: in place (inserted, not removed) until its expected duration ends (clinical.md §1.3);
  an implant with no expected duration blocks with an unknown end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from naltrack.domain.catalog import find_medication, is_naltrexone_therapy
from naltrack.domain.chart import PatientChart
from naltrack.domain.records import current

#: Hours an oral dose is taken to block opioids (clinical.md §3, ASAM 72 h before surgery). Configurable default.
ORAL_BLOCKADE_HOURS = 72
#: Days of blockade after an XR-NTX injection when no coverage estimate is available (clinical.md §3). Default.
XR_BLOCKADE_DAYS = 28
#: Days after the end of protection during which a lapse is reported as overdose risk. Configurable default;
#: no reference fixes it (UNCONFIRMED): after detox tolerance stays low for weeks (clinical.md §3).
LAPSE_WINDOW_DAYS = 90

ProtectionEstimator = Callable[[PatientChart, date], "date | None"]


@dataclass(frozen=True)
class Blockade:
    """Naltrexone on board: the form, since when, the expected end (``None``: unknown), and why we think so."""

    form: str
    since: date
    until: date | None
    basis: str
    source: str

    def is_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


def _oral(chart: PatientChart, today: date) -> Blockade | None:
    taken = [d for d in current(chart.oral_doses) if d.was_taken and d.taken_at.date() <= today]
    if taken:
        last = max(taken, key=lambda d: d.taken_at)
        until = (last.taken_at + timedelta(hours=ORAL_BLOCKADE_HOURS)).date()
        if until >= today:
            return Blockade("oral", last.taken_at.date(), until, f"oral dose {last.dose_mg:g} mg on "
                            f"{last.taken_at.date()}", "clinical.md §3 (ASAM: 72 h)")
    for regimen in chart.active_regimens_on(today):
        if regimen.form == "oral":
            return Blockade("oral", regimen.start, today + timedelta(days=ORAL_BLOCKADE_HOURS // 24),
                            "active oral naltrexone order", "clinical.md §3 (ASAM: 72 h)")
    for use in current(chart.medications):
        med = find_medication(use.rxnorm)
        if med is None or med.medication_class != "naltrexone-oral" or use.start > today:
            continue
        if use.last_dose is not None:  # a last dose known (an administration): 72 h from it
            until = use.last_dose + timedelta(days=ORAL_BLOCKADE_HOURS // 24)
            if until >= today:
                return Blockade("oral", use.start, until, f"oral naltrexone, last dose {use.last_dose}",
                                "clinical.md §3 (ASAM: 72 h)")
        elif use.is_active_on(today):
            return Blockade("oral", use.start, today + timedelta(days=ORAL_BLOCKADE_HOURS // 24),
                            "oral naltrexone on the medication list", "clinical.md §3 (ASAM: 72 h)")
    return None


def xr_protection_end(chart: PatientChart, today: date) -> date | None:
    """End of XR-NTX protection: last injection + :data:`XR_BLOCKADE_DAYS` (label, clinical.md §1.2)."""
    last = chart.last_injection(on_or_before=today)
    if last is None:
        return _xr_from_medications(chart, today)
    return last.given_at.date() + timedelta(days=XR_BLOCKADE_DAYS)


def coverage_estimator(cache_size: int = 4096) -> ProtectionEstimator:
    """The coverage engine's end of protection (pk.md) for charts with recorded injections, cached.

    A chart without injections (what an outside EHR usually sends) falls back to
    :func:`xr_protection_end`. Answers are cached by patient, day and the injections recorded
    (the same :func:`~naltrack.domain.coverage.estimate_protection_end` the chart and the
    monitoring rules read, docs/pk.md "End of protection").
    """
    from naltrack.domain.coverage import estimate_protection_end

    cache: OrderedDict[tuple[object, ...], date | None] = OrderedDict()
    lock = threading.Lock()

    def estimate(chart: PatientChart, today: date) -> date | None:
        shots = tuple(s for s in chart.active_injections() if s.given_at.date() <= today)
        if not shots:
            return xr_protection_end(chart, today)
        key = (chart.patient.id, today, tuple((s.id, s.given_at) for s in shots))
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = estimate_protection_end(PatientChart(patient=chart.patient, injections=shots), today)
        with lock:
            cache[key] = value
            while len(cache) > cache_size:
                cache.popitem(last=False)
        return value

    return estimate


def _xr_from_medications(chart: PatientChart, today: date) -> date | None:
    """An EHR may only send an XR-NTX statement or order: its last day counts as the injection day."""
    ends: list[date] = []
    for use in current(chart.medications):
        med = find_medication(use.rxnorm)
        if med is not None and med.medication_class == "naltrexone-xr" and use.start <= today:
            ends.append((use.last_dose or use.start) + timedelta(days=XR_BLOCKADE_DAYS))
    return max(ends) if ends else None


def _xr(chart: PatientChart, today: date, estimate: ProtectionEstimator) -> Blockade | None:
    last = chart.last_injection(on_or_before=today)
    until = estimate(chart, today)
    if until is None:
        return None
    since = last.given_at.date() if last is not None else until - timedelta(days=XR_BLOCKADE_DAYS)
    basis = f"XR-NTX injection on {since}" if last is not None else "XR-NTX on the medication list"
    return Blockade("xr-ntx", since, until, basis, "clinical.md §1.2, §3 (Vivitrol label)")


def _implant(chart: PatientChart, today: date) -> Blockade | None:
    for implant in chart.implants_in_place(today):
        until = None
        if implant.expected_duration_days is not None:
            until = implant.inserted_at.date() + timedelta(days=implant.expected_duration_days)
        return Blockade("implant", implant.inserted_at.date(), until,
                        f"{implant.dose_mg:g} mg implant inserted {implant.inserted_at.date()}", "clinical.md §1.3")
    return None


def naltrexone_on_board(chart: PatientChart, today: date,
                        estimate: ProtectionEstimator = xr_protection_end) -> Blockade | None:
    """The blockade in force today (the one lasting longest), or ``None``."""
    found = [b for b in (_xr(chart, today, estimate), _implant(chart, today), _oral(chart, today))
             if b is not None and b.is_on(today)]
    if not found:
        return None
    return max(found, key=lambda b: b.until or date.max)


def last_protection_end(chart: PatientChart, today: date,
                        estimate: ProtectionEstimator = xr_protection_end) -> date | None:
    """When the most recent naltrexone protection ended (or ends), any form; ``None`` if never treated."""
    ends = [b.until for b in (_xr(chart, today, estimate), _implant(chart, today)) if b and b.until]
    taken = [d.taken_at for d in current(chart.oral_doses) if d.was_taken and d.taken_at.date() <= today]
    if taken:
        ends.append((max(taken) + timedelta(hours=ORAL_BLOCKADE_HOURS)).date())
    ends += [r.end or today for r in chart.regimens if r.is_active and r.form == "oral" and r.start <= today]
    return max(ends) if ends else None


def has_naltrexone_treatment(chart: PatientChart, today: date, window_days: int = LAPSE_WINDOW_DAYS) -> bool:
    """Any naltrexone therapy (not Contrave or Embeda) ordered, given or listed in the window."""
    since = today - timedelta(days=window_days)
    if any(i.given_at.date() >= since for i in current(chart.injections)):
        return True
    if chart.implants_in_place(today) or any(d.taken_at.date() >= since for d in current(chart.oral_doses)):
        return True
    if any(r.is_active and (r.end is None or r.end >= since) for r in chart.regimens):
        return True
    return any(_is_ntx(u.rxnorm) and (u.end is None or u.end >= since) for u in current(chart.medications))


def _is_ntx(code: str) -> bool:
    med = find_medication(code)
    return med is not None and is_naltrexone_therapy(med)
