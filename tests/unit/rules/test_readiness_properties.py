"""Safety invariants of readiness, as properties (hypothesis):

* a chart with a hard contraindication is never ``ready``;
* a chart missing data that a rule needs is never ``ready``;
* the earliest ready date of an opioid-free interval is a day on which the patient is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.factories import (
    DAY,
    add,
    ago,
    at,
    liver_labs,
    make_allergy,
    make_challenge,
    make_chart,
    make_cows,
    make_dx,
    make_med,
    make_report,
    make_screen,
    opioid_panel,
)

from naltrack.domain.chart import PatientChart
from naltrack.domain.observations import UrineDrugScreen
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT, STRICT

FORMS = st.sampled_from(["oral", "xr-ntx", "implant"])
THRESHOLDS = st.sampled_from([DEFAULT, STRICT])

#: Benign changes that keep a ready chart ready.
BENIGN: list[Callable[[PatientChart], PatientChart]] = [
    lambda c: c,
    lambda c: add(c, screens=[make_screen(collected_at=at(ago(2)))]),
    lambda c: add(c, medications=[make_med("3289", ago(5))]),       # dextromethorphan
    lambda c: add(c, medications=[make_med("1725059", ago(5))]),    # rescue naloxone
    lambda c: add(c, naloxone_challenges=[make_challenge(True)]),
    lambda c: add(c, allergies=[make_allergy("other")]),
    lambda c: add(c, substance_use=[make_report("heroin", ago(30))]),
]

def positive_screen_today(analyte: str) -> UrineDrugScreen:
    return make_screen(collected_at=at(DAY), results=opioid_panel(**{analyte: "positive"}))


#: Records that contraindicate naltrexone (clinical.md §2.2, §2.5), by form.
CONTRAINDICATIONS: list[tuple[str, Callable[[PatientChart, str], PatientChart]]] = [
    ("naltrexone allergy", lambda c, f: add(c, allergies=[make_allergy("naltrexone")])),
    ("failed challenge", lambda c, f: add(c, naloxone_challenges=[make_challenge(False)])),
    ("equivocal challenge", lambda c, f: add(c, naloxone_challenges=[replace(make_challenge(False), equivocal=True)])),
    ("passed challenge with signs noted",
     lambda c, f: add(c, naloxone_challenges=[replace(make_challenge(True), signs=("yawning",))])),
    ("alcoholic hepatitis (oral), else PLGA allergy",
     lambda c, f: add(c, diagnoses=[make_dx("K70.11", "Alcoholic hepatitis with ascites")]) if f == "oral"
     else add(c, allergies=[make_allergy("PLGA (poly(lactic-co-glycolic acid))")]) if f == "xr-ntx"
     else add(c, allergies=[make_allergy("naltrexone")])),
    ("positive opiate screen", lambda c, f: add(c, screens=[positive_screen_today("opiates")])),
    ("positive fentanyl screen", lambda c, f: add(c, screens=[positive_screen_today("fentanyl")])),
    ("positive buprenorphine screen", lambda c, f: add(c, screens=[positive_screen_today("buprenorphine")])),
    ("active oxycodone", lambda c, f: add(c, medications=[make_med("1049621", ago(3))])),
    ("active codeine cough liquid", lambda c, f: add(c, medications=[make_med("995868", ago(3))])),
    ("active methadone", lambda c, f: add(c, medications=[make_med("864706", ago(90))])),
    ("active buprenorphine/naloxone", lambda c, f: add(c, medications=[make_med("1010604", ago(90))])),
    ("withdrawal on COWS", lambda c, f: add(c, questionnaires=[make_cows(7, DAY)])),
    ("PLG allergy (XR-NTX)", lambda c, f: add(c, allergies=[make_allergy("polylactide-co-glycolide")])
     if f == "xr-ntx" else add(c, allergies=[make_allergy("naltrexone")])),
]

#: Data a rule needs; removing any of it must never leave the chart ready.
REQUIRED: list[tuple[str, Callable[[PatientChart], PatientChart]]] = [
    ("urine screen", lambda c: _replace(c, screens=())),
    ("COWS", lambda c: _replace(c, questionnaires=())),
    ("ALT", lambda c: _replace(c, labs=tuple(lab for lab in c.labs if lab.loinc != "1742-6"))),
    ("AST", lambda c: _replace(c, labs=tuple(lab for lab in c.labs if lab.loinc != "1920-8"))),
    ("last opioid use", lambda c: _replace(c, substance_use=())),
    ("indication", lambda c: _replace(c, episodes=())),
]


def _replace(chart: PatientChart, **fields: object) -> PatientChart:
    from dataclasses import replace

    return replace(chart, **fields)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(form=FORMS, thresholds=THRESHOLDS, benign=st.lists(st.sampled_from(BENIGN), max_size=3),
       bad=st.lists(st.sampled_from(CONTRAINDICATIONS), min_size=1, max_size=3))
def test_no_chart_with_a_hard_contraindication_is_ever_ready(form, thresholds, benign, bad) -> None:  # type: ignore[no-untyped-def]
    chart = make_chart()
    for change in benign:
        chart = change(chart)
    for _, contraindicate in bad:
        chart = contraindicate(chart, form)
    result = assess_readiness(chart, form, DAY, thresholds)
    assert result.verdict == "not-ready", [name for name, _ in bad]
    assert any(r.severity == "contraindication" for r in result.reasons)


@settings(max_examples=150, deadline=None)
@given(form=FORMS, benign=st.lists(st.sampled_from(BENIGN[:1] + BENIGN[2:]), max_size=2),
       missing=st.lists(st.sampled_from(REQUIRED), min_size=1, max_size=4, unique_by=lambda m: m[0]))
def test_missing_required_data_never_yields_ready(form, benign, missing) -> None:  # type: ignore[no-untyped-def]
    chart = make_chart()
    for change in benign:
        chart = change(chart)
    for _, remove in missing:
        chart = remove(chart)
    result = assess_readiness(chart, form, DAY)
    assert result.verdict != "ready", [name for name, _ in missing]
    assert any(r.severity in ("review", "not-ready", "contraindication") for r in result.reasons)


@settings(max_examples=100, deadline=None)
@given(substance=st.sampled_from(["heroin", "fentanyl", "methadone", "buprenorphine", "prescription-opioids"]),
       days_ago=st.integers(min_value=0, max_value=20), form=FORMS, thresholds=THRESHOLDS)
def test_the_earliest_ready_date_of_an_interval_is_ready(substance, days_ago, form, thresholds) -> None:  # type: ignore[no-untyped-def]
    last = ago(days_ago)
    chart = make_chart(substance_use=(make_report(substance, last, reported_on=last),))
    result = assess_readiness(chart, form, DAY, thresholds)
    if result.verdict != "not-ready":
        return
    day = result.earliest_ready_date
    assert day is not None and day > DAY
    later = add(chart, screens=[make_screen(collected_at=at(day - timedelta(days=1)))],
                questionnaires=[make_cows(0, day)],
                labs=list(liver_labs(day=day - timedelta(days=1))))
    # An implant stays under review (not FDA-approved, clinical.md §1.3) once nothing blocks it.
    assert assess_readiness(later, form, day, thresholds).verdict == ("review" if form == "implant" else "ready")
    before = assess_readiness(later, form, day - timedelta(days=1), thresholds)
    assert before.verdict == "not-ready"


def test_the_property_pools_are_each_contraindicating_on_their_own() -> None:
    for name, contraindicate in CONTRAINDICATIONS:
        for form in ("oral", "xr-ntx", "implant"):
            assert assess_readiness(contraindicate(make_chart(), form), form, DAY).verdict == "not-ready", name
    for name, remove in REQUIRED:
        assert assess_readiness(remove(make_chart()), "oral", DAY).verdict == "review", name


def test_unused_dx_helper_builds_a_valid_diagnosis() -> None:
    assert make_dx("F10.20", "Alcohol dependence, uncomplicated").code == "F10.20"
