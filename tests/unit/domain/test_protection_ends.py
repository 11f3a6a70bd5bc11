"""The batch end of protection (the dashboard's blocked-through day) equals the single-chart one, patient by
patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import (
    BODY_WEIGHT_LOINC,
    calculate_coverage,
    estimate_protection_end,
    estimate_protection_ends,
    protection_origin,
)
from naltrack.domain.observations import LabResult
from naltrack.domain.patients import Patient
from naltrack.pk.params import IMPLANT_PRODUCTS
from naltrack.pk.protection import FORM_CODES, Dosing

NY = ZoneInfo("America/New_York")
TODAY = date(2026, 3, 20)  # the window crosses the change to daylight-saving time (March 8)
PATIENT = Patient(id="p", clinic_id="c", given_name="A", family_name="B", birth_date=date(1980, 1, 1),
                  sex_at_birth="female")
moments = st.builds(lambda d, m: datetime.combine(TODAY, datetime.min.time(), NY) - timedelta(days=d, minutes=m),
                    st.integers(-2, 300), st.integers(-720, 720))
statuses = st.sampled_from(["active", "active", "active", "entered-in-error"])


@st.composite
def charts(draw: st.DrawFn, n: int) -> PatientChart:
    orals = tuple(OralDose(id=f"o{n}-{k}", patient_id="p", taken_at=draw(moments), status=draw(statuses),
                           dose_mg=draw(st.sampled_from([25.0, 50.0, 100.0, 150.0])),
                           dose_status=draw(st.sampled_from(["taken", "missed"])))
                  for k in range(draw(st.integers(0, 6))))
    shots = tuple(Injection(id=f"i{n}-{k}", patient_id="p", given_at=draw(moments), side="left", lot="L",
                            expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="rn", status=draw(statuses))
                  for k in range(draw(st.integers(0, 3))))
    implants, removals = [], []
    if draw(st.booleans()):
        inserted = draw(moments) - timedelta(days=draw(st.integers(0, 400)))
        implants.append(ImplantInsertion(id=f"m{n}", patient_id="p", inserted_at=inserted, product="pellets",
                                         dose_mg=draw(st.sampled_from([p.dose_mg for p in IMPLANT_PRODUCTS])),
                                         inserted_by="dr",
                                         expected_duration_days=draw(st.sampled_from([None, 14, 60, 180, 365]))))
        if draw(st.booleans()):
            removals.append(ImplantRemoval(id=f"r{n}", patient_id="p", implant_id=f"m{n}", reason="asked",
                                           removed_by="dr", removed_at=inserted + timedelta(
                                               hours=draw(st.integers(-5, 24 * 300)))))
    labs = ()
    if draw(st.booleans()):
        labs = (LabResult(id=f"w{n}", patient_id="p", loinc=BODY_WEIGHT_LOINC, name="Body weight", unit="kg",
                          value=draw(st.floats(40.0, 160.0)), collected_at=draw(moments)),)
    return PatientChart(patient=PATIENT, oral_doses=orals, injections=shots, implants=tuple(implants),
                        implant_removals=tuple(removals), labs=labs)


def _hours(when: datetime) -> float:
    return (when.astimezone(UTC) - protection_origin(TODAY, NY).astimezone(UTC)).total_seconds() / 3600


#: Doses given from the start of the next clinic-local day on are not read (no future dose assumed).
TOMORROW = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), NY)


def _as_rows(found: list[PatientChart]) -> Dosing:
    """The charts' administrations as the dashboard reads them: rows, not charts."""
    rows: list[tuple[int, int, float, float, float, float]] = []
    weights = []
    for n, chart in enumerate(found):
        rows += [(n, FORM_CODES["oral"], _hours(d.taken_at), d.dose_mg, np.inf, np.nan) for d in chart.oral_doses
                 if d.status == "active" and d.dose_status != "missed" and d.taken_at < TOMORROW]
        rows += [(n, FORM_CODES["xr-ntx"], _hours(i.given_at), i.dose_mg, np.inf, np.nan) for i in chart.injections
                 if i.status == "active" and i.given_at < TOMORROW]
        for m in chart.implants:
            if m.inserted_at >= TOMORROW:
                continue
            out = [r.removed_at for r in chart.implant_removals if r.implant_id == m.id and r.status == "active"]
            end = _hours(min(out)) if out and min(out) > m.inserted_at else np.inf
            days = np.nan if m.expected_duration_days is None else 24.0 * m.expected_duration_days
            rows.append((n, FORM_CODES["implant"], _hours(m.inserted_at), m.dose_mg, end, days))
        kg = [lab.value for lab in chart.labs if lab.collected_at.date() <= TODAY]
        weights.append(kg[-1] if kg else np.nan)
    cols = [np.array([r[k] for r in rows]) for k in range(6)]
    return Dosing(cols[0].astype(np.int64), cols[1].astype(np.int64), cols[2].astype(np.float64),
                  cols[3].astype(np.float64), cols[4].astype(np.float64), np.array(weights, dtype=np.float64),
                  cols[5].astype(np.float64))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5).flatmap(lambda k: st.tuples(*(charts(n) for n in range(k)))))
def test_batch_ends_equal_the_single_chart_estimate(found: tuple[PatientChart, ...]) -> None:
    batch = estimate_protection_ends(_as_rows(list(found)), TODAY, NY)
    assert batch == [estimate_protection_end(chart, TODAY, NY) for chart in found]


def test_the_chart_shows_the_same_end_as_the_estimate() -> None:
    shot = Injection(id="i", patient_id="p", given_at=datetime(2026, 3, 1, 10, tzinfo=NY), side="left", lot="L",
                     expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="rn")
    chart = PatientChart(patient=PATIENT, injections=(shot,))
    end = estimate_protection_end(chart, TODAY, NY)
    assert end == date(2026, 4, 2)  # blocked through day 32 (docs/pk.md "Opioid blockade")
    for back, ahead in ((120, 45), (30, 0), (180, 60)):
        assert calculate_coverage(chart, TODAY, days_back=back, days_ahead=ahead, tz=NY).protection_ends == end
