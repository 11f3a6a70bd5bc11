"""Is naltrexone on board, and until when? The one end of protection for every face.

:func:`protection_end` is the single entry point: the chart, the monitoring rules, the REST
API, the CDS services and the dashboard all read the end of protection from it.

* A chart with an administration on file (oral dose taken, XR-NTX injection, implant): the
  last clinic-local day the typical subject is blocked by the opioid-blockade model, from the
  doses given by the end of the day ("blocked through";
  :func:`naltrack.domain.coverage.estimate_protection_end`; docs/pk.md "How the domain uses
  the blockade estimate"). An implant with a recorded ``expected_duration_days`` blocks for
  that long. Plasma bands describe the chart's curve and decide nothing.
* Naltrexone known only as a medicine (what an outside EHR usually sends): there is no dose
  time to model, so the last day it was given plus the blockade of its form from
  :class:`~naltrack.domain.rules.thresholds.Thresholds`: XR-NTX ``xr_ntx_blockade_days``
  (clinical.md §1.2), oral ``oral_blockade_hours`` (clinical.md §3, ASAM 72 h), implant
  ``implant_default_days`` (clinical.md §1.3). A prescription alone is no supply.

The coverage estimate is memoised (a bounded map keyed by the doses, the weight, the day and
the zone): the CDS services ask for the same patients again and again.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from naltrack.domain.catalog import FORM_OF_CLASS, is_naltrexone_therapy
from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.coverage import BODY_WEIGHT_LOINC, estimate_protection_end
from naltrack.domain.observations import MedicationUse
from naltrack.domain.records import current
from naltrack.domain.rules import facts
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.terminology import resolve_rxnorm

#: Coverage estimates kept in memory (one per patient, day, zone and set of doses).
MEMO_SIZE = 4096
_SOURCE = {"oral": "clinical.md §1.1, §3", "xr-ntx": "clinical.md §1.2, §3 (Vivitrol label)",
           "implant": "clinical.md §1.3"}


@dataclass(frozen=True)
class Blockade:
    """Naltrexone on board: the form, since when (clinic-local day), the end of protection, and why."""

    form: str
    since: date
    until: date
    basis: str
    source: str

    def is_on(self, day: date) -> bool:
        """True from ``since`` through ``until``."""
        return self.since <= day <= self.until


def protection_end(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds = DEFAULT) -> date | None:
    """The end of protection ("blocked through"): the last clinic-local day naltrexone is expected to block opioids.

    Parameters
    ----------
    chart : PatientChart
        The patient's records; entered-in-error records are ignored.
    today : date
        The clinic-local day the chart is read on.
    tz : tzinfo
        The clinic's time zone (``Clinic.zone``): days are its days.
    thresholds : Thresholds
        Blockade of a medicine known without doses.

    Returns
    -------
    date or None
        The last day the typical subject is blocked (opioid-blockade model) when an
        administration is on file, else the days' supply of a naltrexone medicine; ``None``
        when neither gives a blocked day.
    """
    if _has_administration(chart):
        return _coverage_end(chart, today, tz)
    return medication_supply_protection_end(chart, today, thresholds)


def announces_protection_end(end: date | None, today: date, next_dose_scheduled: bool,
                             thresholds: Thresholds = DEFAULT) -> bool:
    """Whether an end of blockade is worth telling the care team today (rule MON-PROTECTION-END and
    the dashboard's "protection ending or ended" list, one decision for both).

    An end that has passed is told for ``lapse_alert_days`` (overdose risk after detox, clinical.md
    §3). An end still ahead is told ``protection_warning_days`` before it, unless the next dose is
    already scheduled (an XR-NTX injection on the 4-week schedule, announced by MON-INJECTION-DUE,
    or a scheduled oral regimen whose next tablet continues the blockade, clinical.md §1.1-§1.2):
    a patient following a label schedule is not "losing protection".

    Parameters
    ----------
    end : date or None
        The last day blocked (:func:`protection_end`); ``None`` when never blocked.
    today : date
        The clinic's local date.
    next_dose_scheduled : bool
        The patient is on a regimen whose next dose is scheduled (see above).
    thresholds : Thresholds
        ``lapse_alert_days`` and ``protection_warning_days``.

    Examples
    --------
    >>> announces_protection_end(date(2026, 3, 5), date(2026, 3, 3), next_dose_scheduled=False)
    True
    >>> announces_protection_end(date(2026, 3, 5), date(2026, 3, 3), next_dose_scheduled=True)
    False
    >>> announces_protection_end(date(2026, 3, 1), date(2026, 3, 3), next_dose_scheduled=True)
    True
    """
    if end is None:
        return False
    if end < today:
        return (today - end).days <= thresholds.lapse_alert_days
    return (end - today).days <= thresholds.protection_warning_days and not next_dose_scheduled


def medication_supply_protection_end(chart: PatientChart, today: date,
                                     thresholds: Thresholds = DEFAULT) -> date | None:
    """Naltrexone known only as a medicine, dispensed or reported (or with a last dose known): the last
    day it was given plus the blockade of its form. ``None`` when there is none."""
    days = {"xr-ntx": thresholds.xr_ntx_blockade_days, "oral": math.ceil(thresholds.oral_blockade_hours / 24),
            "implant": thresholds.implant_default_days}
    ends = [_last_given(med, form, today) + timedelta(days=days[form])
            for med, form in _naltrexone_supplies(chart, today)]
    return max(ends) if ends else None


def naltrexone_on_board(chart: PatientChart, today: date, tz: tzinfo,
                        thresholds: Thresholds = DEFAULT) -> Blockade | None:
    """The blockade in force on ``today`` (its end is :func:`protection_end`), or ``None``.

    The form and start are those of the latest administration (an implant in place, an
    injection, an oral dose taken), else of the naltrexone medicine given last.
    """
    end = protection_end(chart, today, tz, thresholds)
    if end is None or end < today:
        return None
    form, since, basis = _latest_naltrexone(chart, today, tz)
    return Blockade(form, min(since, today), end, basis, _SOURCE[form])


def last_protection_end(chart: PatientChart, today: date, tz: tzinfo,
                        thresholds: Thresholds = DEFAULT) -> date | None:
    """When the most recent protection ended, if it has (:func:`protection_end` before ``today``), else ``None``."""
    end = protection_end(chart, today, tz, thresholds)
    return end if end is not None and end < today else None


def naltrexone_given_days(chart: PatientChart, today: date, tz: tzinfo) -> list[tuple[date, str]]:
    """Every clinic-local day on or before ``today`` naltrexone was given, with its form: oral doses taken,
    injections, implants inserted, and the last day of each naltrexone medicine dispensed or reported."""
    days = [(local_day(d.taken_at, tz), "oral") for d in current(chart.oral_doses) if d.was_taken]
    days += [(local_day(i.given_at, tz), "xr-ntx") for i in current(chart.injections)]
    days += [(local_day(m.inserted_at, tz), "implant") for m in current(chart.implants)]
    days = [(day, form) for day, form in days if day <= today]
    return days + [(_last_given(med, form, today), form) for med, form in _naltrexone_supplies(chart, today)]


def has_naltrexone_treatment(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds = DEFAULT) -> bool:
    """Naltrexone therapy (not Contrave or Embeda) ordered, given or listed in the last
    ``thresholds.lapse_window_days`` days (anchors.md §3.1: naltrexone is treatment for OUD)."""
    since = today - timedelta(days=thresholds.lapse_window_days)
    if any(since <= local_day(i.given_at, tz) <= today for i in current(chart.injections)):
        return True
    if chart.implants_in_place(today, tz) or any(since <= local_day(d.taken_at, tz) <= today
                                             for d in current(chart.oral_doses)):
        return True
    if any(r.is_active and r.start <= today and (r.end is None or r.end >= since) for r in chart.regimens):
        return True
    return any(_is_naltrexone(u.rxnorm) and u.start <= today and (u.end is None or u.end >= since)
               for u in current(chart.medications))


def _has_administration(chart: PatientChart) -> bool:
    return (any(d.was_taken for d in current(chart.oral_doses)) or bool(current(chart.injections))
            or bool(current(chart.implants)))


def _naltrexone_supplies(chart: PatientChart, today: date) -> list[tuple[MedicationUse, str]]:
    """Naltrexone medicines known to have been taken by ``today``, with their form."""
    found = []
    for med in current(chart.medications):
        entry = resolve_rxnorm(med.rxnorm)
        form = FORM_OF_CLASS.get(entry.medication_class) if entry is not None else None
        if form is None or med.start > today or (med.source == "prescribed" and med.last_dose is None):
            continue
        found.append((med, form))
    return found


def _last_given(med: MedicationUse, form: str, today: date) -> date:
    """The last day a naltrexone medicine was given: for XR-NTX its last dose, else its end, else its start
    (an injection, not a daily intake); for the other forms the last day taken (:func:`facts.medication_last_day`)."""
    if form == "xr-ntx":
        return min(med.last_dose or (med.end if med.end is not None and med.end <= today else med.start), today)
    return facts.medication_last_day(med, today)


def _latest_naltrexone(chart: PatientChart, today: date, tz: tzinfo) -> tuple[str, date, str]:
    """(form, clinic-local day, basis) of the latest naltrexone given on or before ``today``."""
    given: list[tuple[date, str, str]] = []
    for implant in chart.implants_in_place(today, tz):
        day = local_day(implant.inserted_at, tz)
        given.append((day, "implant", f"{implant.dose_mg:g} mg implant inserted {day}"))
    shot = chart.last_injection(today, tz)
    if shot is not None:
        day = local_day(shot.given_at, tz)
        given.append((day, "xr-ntx", f"XR-NTX injection on {day}"))
    taken = [d for d in current(chart.oral_doses) if d.was_taken and local_day(d.taken_at, tz) <= today]
    if taken:
        last = max(taken, key=lambda d: d.taken_at)
        day = local_day(last.taken_at, tz)
        given.append((day, "oral", f"oral dose {last.dose_mg:g} mg on {day}"))
    for med, form in _naltrexone_supplies(chart, today):
        day = _last_given(med, form, today)
        given.append((day, form, f"{_FORM_NAME[form]} on the medication list, last given {day}"))
    if not given:
        return "oral", today, "naltrexone on file"
    day, form, basis = max(given, key=lambda g: g[0])
    return form, day, basis


_FORM_NAME = {"oral": "oral naltrexone", "xr-ntx": "XR-NTX", "implant": "a naltrexone implant"}


def _is_naltrexone(code: str) -> bool:
    med = resolve_rxnorm(code)
    return med is not None and is_naltrexone_therapy(med)


# The memo of coverage estimates -------------------------------------------------------------

_MEMO: OrderedDict[tuple[object, ...], date | None] = OrderedDict()
_LOCK = threading.Lock()


def _coverage_end(chart: PatientChart, today: date, tz: tzinfo) -> date | None:
    """:func:`estimate_protection_end`, memoised by everything it reads."""
    key = _memo_key(chart, today, tz)
    with _LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    value = estimate_protection_end(chart, today, tz)
    with _LOCK:
        _MEMO[key] = value
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return value


def _memo_key(chart: PatientChart, today: date, tz: tzinfo) -> tuple[object, ...]:
    """The inputs of the estimate: the doses in force, implant removals, body weight, day and zone."""
    weights = [(lab.value, lab.unit) for lab in chart.labs_for(BODY_WEIGHT_LOINC, on_or_before=today)]
    return (
        today, str(tz),
        tuple((d.taken_at, d.dose_mg) for d in current(chart.oral_doses) if d.was_taken),
        tuple((i.given_at, i.dose_mg) for i in current(chart.injections)),
        tuple((m.id, m.inserted_at, m.dose_mg, m.expected_duration_days) for m in current(chart.implants)),
        tuple((r.implant_id, r.removed_at) for r in current(chart.implant_removals)),
        weights[-1] if weights else None,
    )
