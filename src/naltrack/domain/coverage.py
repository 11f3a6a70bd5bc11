"""Coverage of one patient: plasma naltrexone hour by hour, and the protection of each day.

The patient's administrations in force become pk dosing events: oral doses taken or
observed, XR-NTX injections, implants until their removal. :mod:`naltrack.pk` gives the
concentration of a fixed-seed virtual population of :data:`VIRTUAL_SUBJECTS` subjects
(the patient's body weight when recorded, pk.md §2.3): their hourly median and 5th/95th
percentiles are the estimate and its 90% interval.

Why a small virtual population rather than fixed quantile multipliers: variability acts on
rates (clearance, absorption, release), so it changes the *shape* of the curve, not only
its scale, and a multiplier set would be wrong after a switch of form or a late dose. 99
subjects stepped by the compiled kernel cost about 3 ms for 240 days of hours, and the fixed
seed makes the interval reproducible from one page load to the next.

When the chart holds measured plasma naltrexone levels (and the caller names their LOINC
code), the estimate becomes individual: a larger virtual population is reweighted by how
well each subject predicts those levels, and 99 subjects are drawn from it.

A day's band comes from the median subject's mean concentration over the clinic-local day
(docs/pk.md "Daily bands"); thresholds are :class:`naltrack.pk.bands.BandThresholds`. The
bands describe the curve; no decision reads them.

The end of protection ("blocked through" on the screens) has one definition, for the chart,
the monitoring rules, the CDS services and the dashboard: the last clinic-local day on which
the *typical subject* is blocked by the opioid-blockade model (:mod:`naltrack.pk.blockade`,
docs/pk.md "Opioid blockade" and "How the domain uses the blockade estimate"), from the doses
given by the end of the day looked at. :func:`estimate_protection_end` gives it for one chart,
:func:`estimate_protection_ends` for the doses of many patients at once, by the same
computation; every face reads it through :func:`naltrack.domain.protection.protection_end`.
The clinic's time zone is always an input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import current
from naltrack.pk.bands import BANDS, DEFAULT_THRESHOLDS, Band, BandThresholds, band_index, count_days_in_bands
from naltrack.pk.blockade import blocked_days, last_blocked_days
from naltrack.pk.kernels import series_on_grid
from naltrack.pk.models import DoseEvent, Subjects, build_components, evaluate
from naltrack.pk.params import PkParameters
from naltrack.pk.population import sample_subjects
from naltrack.pk.protection import FORM_CODES, Dosing

FloatArray = npt.NDArray[np.float64]
#: Size and seed of the virtual population behind the 90% interval.
VIRTUAL_SUBJECTS = 99
VIRTUAL_SEED = 4_2026
#: Prior population and residual SD (log scale, an assumption) of the individual estimate.
INDIVIDUAL_PRIOR_SUBJECTS = 2000
LEVEL_RESIDUAL_SD_LOG = 0.3
#: LOINC body weight; its latest value (kg) sets the weight covariate (pk.md §2.3).
BODY_WEIGHT_LOINC = "29463-7"
#: The end of protection is looked for from this many days before today (the longest any
#: reader looks back at a lapse: the CDS lapse window, 90 days) ...
PROTECTION_LOOKBACK_DAYS = 90
#: ... to this many days ahead: beyond the longest implant (pk.md §3).
PROJECTION_HORIZON_DAYS = 400
#: Doses older than this before the window no longer contribute (> 10 half-lives of every form).
LOOKBACK_HOURS = {"oral": 7 * 24.0, "xr-ntx": 150 * 24.0, "implant": 800 * 24.0}


@dataclass(frozen=True)
class DayCoverage:
    """One clinic-local day: the median subject's mean level, its 90% interval and band."""

    day: date
    median_ng_ml: float
    p5_ng_ml: float
    p95_ng_ml: float
    band: Band
    projected: bool


@dataclass(frozen=True)
class PatientCoverage:
    """Coverage of a patient over a window of days (hourly arrays start at ``origin``)."""

    patient_id: str
    today: date
    origin: datetime
    hours: FloatArray
    median_ng_ml: FloatArray
    p5_ng_ml: FloatArray
    p95_ng_ml: FloatArray
    days: tuple[DayCoverage, ...]
    days_in_band: dict[Band, int]
    #: The end of protection (:func:`estimate_protection_end`, with the what-if doses), not the band's.
    protection_ends: date | None
    thresholds: BandThresholds = field(default=DEFAULT_THRESHOLDS)
    #: Measured levels the estimate was fitted to (0: population estimate).
    levels_used: int = 0

    def day(self, day: date) -> DayCoverage:
        """The coverage of one day of the window."""
        index = (day - self.days[0].day).days
        if not 0 <= index < len(self.days):
            raise InvalidInput("day", day.isoformat(), f"is outside {self.days[0].day} to {self.days[-1].day}")
        return self.days[index]


def calculate_coverage(chart: PatientChart, today: date, *, tz: tzinfo, days_back: int = 180, days_ahead: int = 60,
                       thresholds: BandThresholds = DEFAULT_THRESHOLDS,
                       extra_doses: Sequence[DoseEvent] = (), params: PkParameters | None = None,
                       level_loinc: str | None = None) -> PatientCoverage:
    """Hourly and daily coverage of a patient from ``today - days_back`` to ``today + days_ahead``.

    Parameters
    ----------
    chart : PatientChart
        Every record of the patient; doses and levels marked entered-in-error do not count.
    today : date
        The clinic-local date the chart is read on.
    days_back, days_ahead : int
        Window in days (``days_back`` >= 1, ``days_ahead`` >= 0; 3 years at most in all).
    tz : tzinfo
        The clinic's time zone (``Clinic.zone``): days are its days.
    extra_doses : sequence of DoseEvent
        Hypothetical doses (what-ifs), hours from the window origin.
    level_loinc : str, optional
        LOINC code under which the clinic records measured plasma naltrexone (ng/mL). The
        references name no such code, so there is no default. When the chart has such
        levels, the estimate is individual: see :func:`_individual_subjects`.

    Raises
    ------
    InvalidInput
        If the window is empty or too long.

    Examples
    --------
    >>> from naltrack.domain.patients import Patient
    >>> p = Patient(id="p1", clinic_id="c1", given_name="A", family_name="B",
    ...             birth_date=date(1990, 1, 1), sex_at_birth="female")
    >>> calculate_coverage(PatientChart(patient=p), date(2026, 3, 1), tz=UTC).protection_ends is None
    True
    """
    _check_window(days_back, days_ahead)
    first_day = today - timedelta(days=days_back)
    n_days = days_back + days_ahead + 1
    origin = datetime.combine(first_day, time(0), tzinfo=tz)
    doses = [*dose_events(chart, origin), *extra_doses]
    subjects = _virtual_population(_weight_key(chart, today), params or PkParameters())
    levels = _measured_levels(chart, today, level_loinc, origin)
    if levels:
        subjects = _individual_subjects(doses, levels, _weight_key(chart, today), params or PkParameters())
    day_edges = _day_edges(origin, first_day, n_days, tz)
    n_hours = int(day_edges[-1]) + 1
    conc = _population_series(doses, subjects, params, n_hours)
    p5, median, p95 = np.percentile(conc, [5.0, 50.0, 95.0], axis=0)
    days, bands = _daily_coverage(_daily_means(conc, day_edges), first_day, today, thresholds)
    shift = _hours(origin, protection_origin(today, tz))  # what-if doses, rebased for the end of protection
    shifted = [replace(d, time_h=d.time_h + shift, end_h=d.end_h + shift) for d in extra_doses]
    ends = _protection_end(chart, today, tz, shifted, params)
    return PatientCoverage(
        chart.patient.id, today, origin, np.arange(n_hours, dtype=np.float64), median, p5, p95, days,
        count_days_in_bands(bands[: days_back + 1]), ends, thresholds, len(levels),
    )


def _daily_coverage(daily: FloatArray, first_day: date, today: date,
                    thresholds: BandThresholds) -> tuple[tuple[DayCoverage, ...], npt.NDArray[np.int8]]:
    """Per day: the median and 90% interval of the subjects' daily means, and the median's band."""
    d5, dmed, d95 = np.percentile(daily, [5.0, 50.0, 95.0], axis=0)
    bands = band_index(dmed, thresholds)
    days = tuple(
        DayCoverage(first_day + timedelta(days=i), float(dmed[i]), float(d5[i]), float(d95[i]),
                    BANDS[int(bands[i])], first_day + timedelta(days=i) > today)
        for i in range(len(dmed))
    )
    return days, bands


def estimate_protection_end(chart: PatientChart, today: date, tz: tzinfo) -> date | None:
    """The end of protection ("blocked through"): the last day the typical subject is blocked.

    The typical subject (all random effects zero) at the patient's recorded body weight, from
    the doses given by the end of ``today`` (no future dose assumed; an implant with a recorded
    ``expected_duration_days`` blocks for that long), by the opioid-blockade model
    (:func:`naltrack.pk.blockade.last_blocked_days`), looked for from
    :data:`PROTECTION_LOOKBACK_DAYS` back to :data:`PROJECTION_HORIZON_DAYS` ahead; ``None``
    when no day is blocked. Days are those of ``tz``, the clinic's zone. Every face reads it
    through :func:`naltrack.domain.protection.protection_end`; :func:`estimate_protection_ends`
    is its batch form.

    Examples
    --------
    >>> from naltrack.domain.administrations import Injection
    >>> from naltrack.domain.patients import Patient
    >>> p = Patient(id="p1", clinic_id="c1", given_name="A", family_name="B",
    ...             birth_date=date(1990, 1, 1), sex_at_birth="female")
    >>> shot = Injection(id="i1", patient_id="p1", given_at=datetime(2026, 3, 1, 10, tzinfo=UTC), dose_mg=380.0,
    ...                  side="left", lot="L1", expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="RN")
    >>> estimate_protection_end(PatientChart(patient=p, injections=(shot,)), date(2026, 3, 10), UTC)
    datetime.date(2026, 4, 2)
    """
    return _protection_end(chart, today, tz)


def estimate_protection_ends(dosing: Dosing, today: date, tz: tzinfo,
                             params: PkParameters | None = None) -> list[date | None]:
    """:func:`estimate_protection_end` of many patients at once, one per patient of ``dosing``.

    ``dosing`` holds the administrations in force given by the end of ``today`` (oral doses
    taken or observed, injections, implants with their removal and recorded duration), hours
    from :func:`protection_origin`, and each patient's latest body weight (kg) or NaN. Doses
    older than :data:`LOOKBACK_HOURS` before the origin are left out here, as for one chart.
    """
    lookback = np.array([LOOKBACK_HOURS[form] for form in FORM_CODES])
    keep = dosing.time_h >= -lookback[dosing.form]
    weights = 5.0 * np.round(dosing.weight_kg / 5.0)
    expected = None if dosing.expected_duration_h is None else dosing.expected_duration_h[keep]
    kept = Dosing(dosing.patient[keep], dosing.form[keep], dosing.time_h[keep], dosing.amount_mg[keep],
                  dosing.end_h[keep], weights, expected)
    first = today - timedelta(days=PROTECTION_LOOKBACK_DAYS)
    edges = _day_edges(protection_origin(today, tz), first, PROTECTION_LOOKBACK_DAYS + PROJECTION_HORIZON_DAYS + 1,
                       tz)
    found = np.maximum(last_blocked_days(kept, edges, params), _recorded_implant_days(kept, edges))
    return [None if i < 0 else first + timedelta(days=int(i)) for i in found]


def estimate_blocked_runs(dosing: Dosing, first_day: date, last_day: date, tz: tzinfo,
                          params: PkParameters | None = None) -> list[list[tuple[date, date]]]:
    """Per patient of ``dosing``, the runs of days ``first_day`` .. ``last_day`` the typical subject is blocked.

    The days of :func:`naltrack.pk.blockade.blocked_days` plus those an implant with a recorded duration covers,
    as :func:`estimate_protection_ends` honours them; a run is its first and last day (one reaching ``last_day``
    ends there). ``dosing``: the administrations in force, hours from the start of ``first_day`` in ``tz``.
    """
    n_days = (last_day - first_day).days + 1
    edges = _day_edges(datetime.combine(first_day, time(0), tzinfo=tz), first_day, n_days, tz)
    blocked = blocked_days(dosing, edges, params)
    for patient, first, last in zip(*_recorded_implant_spans(dosing, edges), strict=True):
        blocked[patient, first:last + 1] = True
    step = np.diff(np.pad(blocked.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    starts, ends = np.nonzero(step == 1), np.nonzero(step == -1)  # row-major: runs in order per patient
    days = [first_day + timedelta(days=i) for i in range(n_days)]
    runs: list[list[tuple[date, date]]] = [[] for _ in range(blocked.shape[0])]
    for patient, first, last in zip(starts[0].tolist(), starts[1].tolist(), (ends[1] - 1).tolist(), strict=True):
        runs[patient].append((days[first], days[last]))
    return runs


def _recorded_implant_days(dosing: Dosing, edges: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per patient, the last whole day an implant with a recorded duration covers (-1 if none).

    The release honours the recorded duration for the typical subject at the reference weight
    (docs/pk.md); a heavier patient's clearance would end it earlier, but the recorded duration is the
    product's (clinical.md §1.3), so the end of protection is never before it, unless removed.
    """
    out = np.full(dosing.n_patients, -1, dtype=np.int64)
    patients, _, last = _recorded_implant_spans(dosing, edges)
    np.maximum.at(out, patients, last)
    return out


def _recorded_implant_spans(dosing: Dosing, edges: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
    """``(patient, first day, last day)`` of each implant with a recorded duration, over the whole days it covers."""
    if dosing.expected_duration_h is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.nonzero((dosing.form == FORM_CODES["implant"]) & ~np.isnan(dosing.expected_duration_h))[0]
    start = np.ceil(dosing.time_h[rows])
    until = np.minimum(dosing.time_h[rows] + dosing.expected_duration_h[rows], dosing.end_h[rows])
    first = np.searchsorted(edges, start, side="left")  # the first day starting at or after the dose
    last = np.searchsorted(edges, until, side="right") - 2  # the last day ending by ``until``
    covered = (first <= last) & (last < edges.shape[0] - 1)
    return dosing.patient[rows][covered], first[covered], last[covered]


def protection_origin(today: date, tz: tzinfo) -> datetime:
    """Hour 0 of the end-of-protection computation: the start of the first clinic-local day looked at."""
    return datetime.combine(today - timedelta(days=PROTECTION_LOOKBACK_DAYS), time(0), tzinfo=tz)


def end_of_day(today: date, tz: tzinfo) -> datetime:
    """The start of the clinic-local day after ``today``: doses given before it count on ``today``."""
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)


def _protection_end(chart: PatientChart, today: date, tz: tzinfo, extra: Sequence[DoseEvent] = (),
                    params: PkParameters | None = None) -> date | None:
    """The chart's end of protection (``extra``: what-if doses, hours from :func:`protection_origin`)."""
    doses = [*dose_events(chart, protection_origin(today, tz), until=end_of_day(today, tz)), *extra]
    weights = [lab for lab in chart.labs_for(BODY_WEIGHT_LOINC, on_or_before=today) if lab.unit == "kg"]
    dosing = Dosing.of([(doses, weights[-1].value if weights else None)])
    return estimate_protection_ends(dosing, today, tz, params)[0]


def dose_events(chart: PatientChart, origin: datetime, until: datetime | None = None) -> list[DoseEvent]:
    """The chart's administrations in force as pk dosing events, hours from ``origin``.

    Implants carry their recorded ``expected_duration_days`` (the release then honours it,
    docs/pk.md "Implants with a recorded duration"). ``until``: only doses given before it.
    """
    removals: dict[str, datetime] = {}
    for removal in current(chart.implant_removals):
        removals[removal.implant_id] = min(removal.removed_at, removals.get(removal.implant_id, removal.removed_at))
    events = [DoseEvent("oral", _hours(d.taken_at, origin), d.dose_mg)
              for d in current(chart.oral_doses) if d.was_taken and _before(d.taken_at, until)]
    events += [DoseEvent("xr-ntx", _hours(i.given_at, origin), i.dose_mg)
               for i in current(chart.injections) if _before(i.given_at, until)]
    for implant in current(chart.implants):
        if not _before(implant.inserted_at, until):
            continue
        start = _hours(implant.inserted_at, origin)
        removed = removals.get(implant.id)
        end = _hours(removed, origin) if removed is not None and removed > implant.inserted_at else float("inf")
        days = implant.expected_duration_days
        events.append(DoseEvent("implant", start, implant.dose_mg, end, None if days is None else 24.0 * days))
    return [e for e in events if e.time_h >= -LOOKBACK_HOURS[e.form]]


def _before(when: datetime, until: datetime | None) -> bool:
    return until is None or when < until


def _check_window(days_back: int, days_ahead: int) -> None:
    if isinstance(days_back, bool) or not isinstance(days_back, int) or not 1 <= days_back <= 730:
        raise InvalidInput("coverage.days_back", days_back, "must be a whole number of days from 1 to 730")
    if isinstance(days_ahead, bool) or not isinstance(days_ahead, int) or not 0 <= days_ahead <= 400:
        raise InvalidInput("coverage.days_ahead", days_ahead, "must be a whole number of days from 0 to 400")


def _hours(when: datetime, origin: datetime) -> float:
    # In UTC: Python ignores the offsets when both datetimes share one tzinfo (DST days).
    return (when.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 3600.0


def _weight_key(chart: PatientChart, today: date) -> float | None:
    """Latest recorded body weight in kg, rounded to 5 kg (a cache key), or ``None``."""
    weights = [lab for lab in chart.labs_for(BODY_WEIGHT_LOINC, on_or_before=today) if lab.unit == "kg"]
    return float(5 * round(weights[-1].value / 5)) if weights else None


@lru_cache(maxsize=64)
def _virtual_population(weight_kg: float | None, params: PkParameters, n: int = VIRTUAL_SUBJECTS) -> Subjects:
    rng = np.random.default_rng(VIRTUAL_SEED)
    weights = None if weight_kg is None else np.full(n, weight_kg)
    return sample_subjects(n, rng, params, weights_kg=weights)


def _measured_levels(chart: PatientChart, today: date, loinc: str | None,
                     origin: datetime) -> list[tuple[float, float]]:
    """(hours from origin, ng/mL) of positive plasma naltrexone levels recorded up to ``today``."""
    if loinc is None:
        return []
    return [(_hours(lab.collected_at, origin), lab.value) for lab in chart.labs_for(loinc, on_or_before=today)
            if lab.unit == "ng/mL" and lab.value > 0]


def _individual_subjects(doses: Sequence[DoseEvent], levels: list[tuple[float, float]], weight_kg: float | None,
                         params: PkParameters) -> Subjects:
    """Virtual subjects reweighted by how well they predict the patient's measured levels.

    A larger fixed-seed population is the prior; each subject's weight is the likelihood
    of the levels under a log-normal residual (SD :data:`LEVEL_RESIDUAL_SD_LOG`, an
    assumption). Systematic resampling with a fixed offset then picks
    :data:`VIRTUAL_SUBJECTS` of them (repeats allowed), so the rest of the computation and
    its cost are those of the population estimate.
    """
    prior = _virtual_population(weight_kg, params, INDIVIDUAL_PRIOR_SUBJECTS)
    rates, times, amps = build_components(doses, prior, params)
    at = np.array([t for t, _ in levels])
    observed = np.log(np.array([v for _, v in levels]))
    predicted = np.log(np.maximum(evaluate(rates, times, amps, at), 1e-3))
    log_w = -0.5 * (((predicted - observed) / LEVEL_RESIDUAL_SD_LOG) ** 2).sum(axis=1)
    w = np.exp(log_w - log_w.max())
    cumulative = np.cumsum(w / w.sum())
    picks = np.minimum(np.searchsorted(cumulative, (np.arange(VIRTUAL_SUBJECTS) + 0.5) / VIRTUAL_SUBJECTS),
                       prior.n - 1)
    return Subjects(*(getattr(prior, f.name)[picks] for f in fields(Subjects)))


def _population_series(doses: Sequence[DoseEvent], subjects: Subjects, params: PkParameters | None,
                       n_hours: int, t0_h: float = 0.0) -> FloatArray:
    if not doses:
        return np.zeros((subjects.n, n_hours))
    rates, times, amps = build_components(doses, subjects, params)
    return np.asarray(series_on_grid(rates, times, amps, t0_h, 1.0, n_hours))


def _day_edges(origin: datetime, first_day: date, n_days: int, tz: tzinfo) -> npt.NDArray[np.int64]:
    """Hour index at which each local day starts (daylight-saving days have 23 or 25 hours)."""
    starts = [datetime.combine(first_day + timedelta(days=i), time(0), tzinfo=tz) for i in range(n_days + 1)]
    return np.array([round(_hours(s, origin)) for s in starts], dtype=np.int64)


def _daily_means(conc: FloatArray, edges: npt.NDArray[np.int64]) -> FloatArray:
    """Mean of each subject's hourly values within each local day: shape ``(n, n_days)``."""
    sums = np.add.reduceat(conc[:, : edges[-1]], edges[:-1], axis=1)
    return sums / np.diff(edges)[None, :]
