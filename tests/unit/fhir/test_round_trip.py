"""Export -> bundle reader -> export: the second export equals the first for what the reader maps
(administrations included: injection side, lot, expiry and needle), and a further round changes
nothing (the mapping is stable)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
from naltrack.adapters.fhir.r4_samples import implant_chart, sample_chart
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import INDICATIONS


def _round(chart: PatientChart) -> tuple[list[dict], PatientChart]:
    resources = export_chart(chart, provenance=False)
    return resources, read_bundle(as_bundle(resources, "collection"), clinic_id=chart.patient.clinic_id)


def _by_key(resources: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["resourceType"], r["id"]): r for r in resources}


def test_second_round_equals_the_first() -> None:
    _, once = _round(sample_chart())
    second, twice = _round(once)
    third, _ = _round(twice)
    assert second == third


def test_what_the_reader_maps_survives_the_round_trip() -> None:
    chart = sample_chart()
    _, back = _round(chart)
    assert [(d.code, d.onset) for d in back.diagnoses] == [("F11.20", date(2024, 5, 1))]
    assert [(lab.loinc, lab.value, lab.reference_high) for lab in back.labs] == [("1742-6", 38.0, 40.0)]
    assert [(r.analyte, r.result) for r in back.screens[0].results] == [
        ("opiates", "negative"), ("fentanyl", "negative"), ("buprenorphine", "negative")]
    assert back.screens[0].collected_at == chart.screens[0].collected_at
    assert [(a.substance, a.criticality) for a in back.allergies] == [("carboxymethylcellulose", "low")]
    assert [(s.substance, s.last_use) for s in back.substance_use] == [("fentanyl", chart.substance_use[0].last_use)]
    assert [(q.total, q.answers) for q in back.questionnaires] == [(4, chart.questionnaires[0].answers)]
    assert back.naloxone_challenges[0].passed is True
    assert back.patient.reproductive.pregnant is False
    assert {m.rxnorm for m in back.medications} == {"197623"}  # the outside medicine
    # naltrack's own orders come back as orders, with what decides due dates and blockade
    fields = ("id", "kind", "start", "end", "dose_mg", "schedule", "injection_interval_days", "expected_duration_days")
    assert [tuple(getattr(r, f) for f in fields) for r in back.regimens] == \
        [tuple(getattr(r, f) for f in fields) for r in chart.regimens]
    assert {r.rxnorm for r in back.regimens} == {"637213", "1483744"}


@pytest.mark.parametrize("indication", [*INDICATIONS, None])
def test_an_orders_indication_survives_the_round_trip(indication: str | None) -> None:
    chart = sample_chart()
    chart = replace(chart, regimens=tuple(replace(r, indication=indication) for r in chart.regimens))
    _, back = _round(chart)
    assert [r.indication for r in back.regimens] == [indication] * len(chart.regimens)


def test_shared_resources_are_identical_after_the_round_trip() -> None:
    chart = sample_chart()
    first, back = _round(chart)
    second = export_chart(back, provenance=False)
    same = _by_key(first).keys() & _by_key(second).keys()
    assert ("Condition", "pt-ada-dx-1") in same and ("Observation", "pt-ada-lab-alt") in same
    for key in [("Condition", "pt-ada-dx-1"), ("Observation", "pt-ada-lab-alt"), ("AllergyIntolerance", "pt-ada-al-1"),
                ("Observation", "pt-ada-su-1"), ("MedicationStatement", "pt-ada-med-1")]:
        assert _by_key(first)[key]["code" if "code" in _by_key(first)[key] else "medicationCodeableConcept"] == \
            _by_key(second)[key]["code" if "code" in _by_key(second)[key] else "medicationCodeableConcept"], key


def _administrations(resources: list[dict]) -> dict[str, dict]:
    """MedicationAdministrations by id, without ``request``: the reader reads orders as medication uses, not
    regimens, so a record read back names no regimen."""
    return {r["id"]: {k: v for k, v in r.items() if k != "request"}
            for r in resources if r["resourceType"] == "MedicationAdministration"}


@pytest.mark.parametrize("chart", [sample_chart(), sample_chart("pt-b", injections=5),
                                   implant_chart(), implant_chart(removed=date(2026, 2, 20))],
                         ids=["xr-ntx", "five-shots", "implant", "implant-removed"])
def test_administrations_are_identical_after_the_round_trip(chart: PatientChart) -> None:
    first, back = _round(chart)
    second = export_chart(back, provenance=False)
    assert _administrations(first) and _administrations(second) == _administrations(first)
    shot = _administrations(second).get(f"{chart.patient.id}-inj-1")
    if shot is not None:
        assert shot["dosage"]["site"] == {"text": "right gluteal"}
        assert shot["contained"][0]["batch"] == {"lotNumber": "LOT001", "expirationDate": "2027-06-30"}
        assert shot["extension"][0]["valueQuantity"]["value"] == 1.5


@settings(max_examples=15, deadline=None)
@given(shots=st.integers(min_value=1, max_value=6), offset=st.integers(min_value=0, max_value=300))
def test_round_trip_is_stable_for_any_sample(shots: int, offset: int) -> None:
    chart = sample_chart("pt-r", last_injection=date(2025, 6, 1) + timedelta(days=offset), injections=shots)
    _, once = _round(chart)
    second, twice = _round(once)
    assert export_chart(twice, provenance=False) == second
