"""Readiness findings of the clinical review (labels, ASAM 2020, TIP 63), one block each, with boundaries.

Each block reproduces an unsafe "ready" or a missing check, from domain records and, where the
finding came through a FHIR bundle, from the bundle as ``naltrack readiness`` reads it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from tests.factories import (
    DAY,
    add,
    ago,
    at,
    make_allergy,
    make_chart,
    make_dx,
    make_episode,
    make_implant,
    make_med,
    make_patient,
    make_screen,
    opioid_panel,
    recent_lab,
)

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.adapters.fhir.r4_observations import naloxone_challenge_observation
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import Allergy, NaloxoneChallenge, allergen_of, combine_reproductive
from naltrack.domain.patients import ReproductiveStatus
from naltrack.domain.rules.readiness import Readiness, assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT, THRESHOLD_SOURCES

LOINC, SNOMED, LOCAL = "http://loinc.org", "http://snomed.info/sct", "urn:naltrack:observation"


def reasons_of(result: Readiness, rule: str) -> list[tuple[str, str]]:
    return [(r.severity, r.message) for r in result.reasons if r.rule == rule]


def bundle(*resources: dict[str, Any], gender: str = "male") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": gender, "birthDate": "1990-01-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}] + [{"resource": r} for r in resources]}


def observation(system: str, code: str, day: str = "2026-03-09", **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": system, "code": code}]}, "effectiveDateTime": day, **fields}


def coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


# 1. Acute alcoholic hepatitis and hepatic failure (clinical.md §2.5, §2.7)

@pytest.mark.parametrize(
    ("code", "display"),
    [("K70.11", "Alcoholic hepatitis with ascites"), ("K70.10", "Alcoholic hepatitis without ascites"),
     ("K70.40", "Alcoholic hepatic failure without coma"), ("K70.41", "Alcoholic hepatic failure with coma"),
     ("K72.00", "Acute and subacute hepatic failure without coma"), ("K72.90", "Hepatic failure, unspecified")],
)
def test_alcoholic_hepatitis_and_hepatic_failure_contraindicate_oral_and_need_review_for_xr(
        code: str, display: str) -> None:
    chart = make_chart(diagnoses=(make_dx(code, display),))
    oral = assess_readiness(chart, "oral", DAY)
    assert oral.verdict == "not-ready"
    assert [s for s, _ in reasons_of(oral, "RDY-HEPATITIS")] == ["contraindication"]
    assert code in reasons_of(oral, "RDY-HEPATITIS")[0][1]
    xr = assess_readiness(chart, "xr-ntx", DAY)
    assert (xr.verdict, [s for s, _ in reasons_of(xr, "RDY-HEPATITIS")]) == ("review", ["review"])
    relaxed = replace(DEFAULT, hepatitis_contraindicates_oral=False)
    assert assess_readiness(chart, "oral", DAY, relaxed).verdict == "review"


@pytest.mark.parametrize(("code", "display"), [("K70.30", "Alcoholic cirrhosis of liver without ascites"),
                                               ("K70.0", "Alcoholic fatty liver")])
def test_other_alcoholic_liver_disease_codes_are_not_acute_hepatitis(code: str, display: str) -> None:
    chart = make_chart(diagnoses=(make_dx(code, display),))
    assert reasons_of(assess_readiness(chart, "oral", DAY), "RDY-HEPATITIS") == []


def test_acute_alcoholic_hepatitis_from_a_bundle_condition_is_read() -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                 "code": coded("http://hl7.org/fhir/sid/icd-10-cm", "K70.11"),
                 "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")}
    chart = replace(make_chart(), diagnoses=read_bundle(bundle(condition)).diagnoses)
    assert assess_readiness(chart, "oral", DAY).verdict == "not-ready"


# 2. The XR-NTX microsphere polymer under its other names (clinical.md §2.5)

@pytest.mark.parametrize(
    ("text", "substance"),
    [("PLGA (poly(lactic-co-glycolic acid))", "polylactide-co-glycolide"),
     ("polyglactin 910 (Vicryl)", "polylactide-co-glycolide"), ("VICRYL sutures", "polylactide-co-glycolide"),
     ("PLG", "polylactide-co-glycolide"), ("Poly(lactide-co-glycolide)", "polylactide-co-glycolide"),
     ("polylactide co glycolide", "polylactide-co-glycolide"),
     ("Carboxymethyl-cellulose sodium", "carboxymethylcellulose"), ("carmellose", "carboxymethylcellulose"),
     ("Vivitrol", "naltrexone"), ("naltrexone and PLGA", "naltrexone"),
     ("penicillin", "other"), ("plgx", "other"), ("glycolic acid peel", "other")],
)
def test_allergen_names_are_case_and_punctuation_insensitive(text: str, substance: str) -> None:
    assert allergen_of(text) == substance


@pytest.mark.parametrize("written", ["PLGA (poly(lactic-co-glycolic acid))", "polyglactin 910 (Vicryl)"])
def test_a_plga_or_vicryl_allergy_contraindicates_xr_ntx_only(written: str) -> None:
    allergy = make_allergy(written)
    assert allergy.substance == "polylactide-co-glycolide"
    chart = make_chart(allergies=(allergy,))
    xr = assess_readiness(chart, "xr-ntx", DAY)
    assert (xr.verdict, [s for s, _ in reasons_of(xr, "RDY-HYPERSENSITIVITY")]) == ("not-ready", ["contraindication"])
    assert assess_readiness(chart, "oral", DAY).verdict == "ready"
    assert [s for s, _ in reasons_of(assess_readiness(chart, "implant", DAY), "RDY-HYPERSENSITIVITY")] == ["review"]


def test_an_allergy_to_unknown_text_is_still_rejected() -> None:
    with pytest.raises(InvalidInput, match="allergy.substance: 'penicillin' must be one of naltrexone"):
        Allergy(id="a1", patient_id="p1", substance="penicillin")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["PLGA (poly(lactic-co-glycolic acid))", "Polyglactin 910 (Vicryl)"])
def test_a_bundle_allergy_written_plga_or_vicryl_is_the_plg_polymer(text: str) -> None:
    allergy = {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"}, "code": {"text": text}}
    read = read_bundle(bundle(allergy))
    assert [a.substance for a in read.allergies] == ["polylactide-co-glycolide"]
    assert assess_readiness(replace(make_chart(), allergies=read.allergies), "xr-ntx", DAY).verdict == "not-ready"


# 3. Naloxone challenge: any sign or doubt, do not give (clinical.md §2.2)

def challenge(passed: bool, signs: tuple[str, ...] = (), equivocal: bool = False, day: date = DAY,
              hour: int = 9) -> NaloxoneChallenge:
    return NaloxoneChallenge(id=f"nc-{passed}-{equivocal}-{len(signs)}-{day}-{hour}", patient_id="p-test-1",
                             performed_at=at(day, hour), route="sc", passed=passed, signs=signs, equivocal=equivocal)


@pytest.mark.parametrize(
    ("recorded", "verdict", "words"),
    [(challenge(True), "ready", "passed on"),
     (challenge(True, ("yawning",)), "not-ready",
      "recorded as passed but withdrawal signs were noted (signs: yawning)"),
     (challenge(False, equivocal=True), "not-ready", "was equivocal"),
     (challenge(False, ("piloerection",)), "not-ready", "failed (signs: piloerection)")],
)
def test_a_challenge_with_signs_or_doubt_contraindicates(recorded: NaloxoneChallenge, verdict: str,
                                                         words: str) -> None:
    result = assess_readiness(make_chart(naloxone_challenges=(recorded,)), "xr-ntx", DAY)
    assert result.verdict == verdict
    ((severity, message),) = reasons_of(result, "RDY-NALOXONE-CHALLENGE")
    assert severity == ("info" if verdict == "ready" else "contraindication")
    assert words in message
    if verdict == "not-ready":
        assert "any sign or doubt, do not give naltrexone" in message and result.earliest_ready_date is None


def test_equivocal_result_and_an_equivocal_pass_is_rejected() -> None:
    assert [c.result for c in (challenge(True), challenge(False), challenge(False, equivocal=True))] == [
        "passed", "failed", "equivocal"]
    with pytest.raises(InvalidInput, match="naloxone_challenge.equivocal: True an equivocal challenge has not passed"):
        challenge(True, equivocal=True)


def test_a_clean_pass_and_a_challenge_with_signs_at_the_same_time_count_as_failed() -> None:
    for order in ((challenge(True), challenge(True, ("sweating",))), (challenge(True, ("sweating",)), challenge(True))):
        assert assess_readiness(make_chart(naloxone_challenges=order), "oral", DAY).verdict == "not-ready"
    later = (challenge(False, equivocal=True, hour=8), challenge(True, hour=10))
    assert assess_readiness(make_chart(naloxone_challenges=later), "oral", DAY).verdict == "ready"


def test_a_bundle_challenge_passed_with_signs_or_equivocal_is_read_as_recorded() -> None:
    passed = coded(LOCAL, "passed")
    read = read_bundle(bundle(
        observation(LOCAL, "naloxone-challenge", "2026-03-10T09:00:00Z", valueCodeableConcept=passed,
                    note=[{"text": "sign: rhinorrhea"}]),
        observation(LOCAL, "naloxone-challenge", "2026-03-09T09:00:00Z",
                    valueCodeableConcept=coded(LOCAL, "equivocal")),
    ))
    assert [(c.result, c.signs) for c in read.naloxone_challenges] == [("passed", ("rhinorrhea",)), ("equivocal", ())]
    chart = replace(make_chart(), naloxone_challenges=read.naloxone_challenges)
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "not-ready"


def test_an_equivocal_challenge_survives_the_fhir_round_trip() -> None:
    exported = naloxone_challenge_observation(replace(challenge(False, equivocal=True), patient_id="p1"), [])
    assert exported["valueCodeableConcept"]["coding"][0]["code"] == "equivocal"
    (back,) = read_bundle(bundle(exported)).naloxone_challenges
    assert (back.result, back.passed, back.equivocal) == ("equivocal", False, True)


# 4. Same-day pregnancy findings resolve to the safe side (clinical.md §2.6)

def test_combining_same_day_findings_does_not_depend_on_their_order() -> None:
    status, negative_test = (DAY, True, True), (DAY, False, None)
    for order in ([status, negative_test], [negative_test, status]):
        assert combine_reproductive(order) == ReproductiveStatus(pregnant=True, breastfeeding=True, as_of=DAY)
    assert combine_reproductive([(DAY, None, None), (DAY, False, None)]) == ReproductiveStatus(False, None, DAY)
    # A later negative test replaces an earlier pregnancy status but never erases breastfeeding.
    later = combine_reproductive([(ago(3), True, True), (DAY, False, None)])
    assert later == ReproductiveStatus(pregnant=False, breastfeeding=True, as_of=DAY)
    assert combine_reproductive([(ago(3), False, True), (DAY, None, False)]) == ReproductiveStatus(None, False, DAY)


def test_a_same_day_negative_hcg_in_a_bundle_erases_neither_pregnancy_nor_breastfeeding() -> None:
    status = observation(LOINC, "82810-3", valueCodeableConcept=coded(SNOMED, "77386006"),
                         component=[{"code": coded(LOCAL, "breastfeeding"), "valueBoolean": True}])
    negative_hcg = observation(LOINC, "2106-3", valueCodeableConcept=coded(SNOMED, "260385009"))
    for order in ((status, negative_hcg), (negative_hcg, status)):
        read = read_bundle(bundle(*order, gender="female"))
        assert read.patient.reproductive == ReproductiveStatus(pregnant=True, breastfeeding=True, as_of=ago(1))
        woman = make_patient(sex_at_birth="female", birth_date=date(1990, 1, 1), reproductive=read.patient.reproductive)
        result = assess_readiness(make_chart(patient=woman), "xr-ntx", DAY)
        assert result.verdict == "review"
        messages = [m for _, m in reasons_of(result, "RDY-PREGNANCY")]
        assert any(m.startswith("Pregnant (recorded 2026-03-09)") for m in messages)
        assert any(m.startswith("Breastfeeding (recorded 2026-03-09)") for m in messages)


# 5. Bupropion/naltrexone (Contrave) already taken (clinical.md §4, §8.1)

def test_contrave_on_the_medication_list_is_named_for_review() -> None:
    aud = make_chart(episodes=(make_episode("AUD"),), substance_use=(), medications=(make_med("1551468", ago(90)),))
    for form in ("oral", "xr-ntx", "implant"):
        result = assess_readiness(aud, form, DAY)  # type: ignore[arg-type]
        ((severity, message),) = reasons_of(result, "RDY-DUPLICATE-NALTREXONE")
        assert severity == "review" and result.verdict == "review"
        assert "duplicate naltrexone" in message and "Stop Contrave before starting naltrexone" in message
        source = next(r.source for r in result.reasons if r.rule == "RDY-DUPLICATE-NALTREXONE")
        assert source == "clinical.md §4, §8.1 (Contrave)"


@pytest.mark.parametrize(("end", "named"), [(DAY, True), (DAY - timedelta(days=1), False)])
def test_contrave_stopped_before_the_day_is_not_named(end: date, named: bool) -> None:
    chart = make_chart(medications=(make_med("1551468", ago(90), end=end),))
    assert bool(reasons_of(assess_readiness(chart, "xr-ntx", DAY), "RDY-DUPLICATE-NALTREXONE")) is named


# 6. A stale positive screen asks for a fresh one; no earliest date in the past (clinical.md §2.2)

def test_a_sixty_day_old_methadone_positive_asks_for_a_fresh_screen_without_a_past_date() -> None:
    old = make_screen(collected_at=at(ago(60)), results=opioid_panel(methadone="positive"))
    result = assess_readiness(make_chart(screens=(old,)), "xr-ntx", DAY)
    assert reasons_of(result, "RDY-UDS-POSITIVE") == [
        ("review", "The latest urine screen for methadone, on 2026-01-09, was positive and is older than 3 days: "
                   "screen again before starting.")]
    assert result.verdict == "review" and result.earliest_ready_date is None
    assert all(r.ready_on is None or r.ready_on >= DAY for r in result.reasons)


@pytest.mark.parametrize(("days", "severity"), [(3, "contraindication"), (4, "review")])
def test_a_positive_screen_is_fresh_up_to_the_screen_age_threshold(days: int, severity: str) -> None:
    screen = make_screen(collected_at=at(ago(days)), results=opioid_panel(methadone="positive"))
    result = assess_readiness(make_chart(screens=(screen,)), "xr-ntx", DAY)
    assert [s for s, _ in reasons_of(result, "RDY-UDS-POSITIVE")] == [severity]


def test_a_positive_screen_past_its_interval_gives_a_retest_today_never_a_past_day() -> None:
    lenient = replace(DEFAULT, uds_max_age_days=30)
    screen = make_screen(collected_at=at(ago(20)), results=opioid_panel(opiates="positive"))
    result = assess_readiness(make_chart(screens=(screen,)), "xr-ntx", DAY, lenient)
    ((severity, message),) = reasons_of(result, "RDY-UDS-POSITIVE")
    assert severity == "contraindication" and f"Re-test on or after {DAY}." in message
    assert (result.verdict, result.earliest_ready_date) == ("not-ready", DAY)


# 7. Bleeding review for the IM injection and the implant's trocar insertion (clinical.md §2.5, §1.3)

@pytest.mark.parametrize(
    ("extra", "named"),
    [({"diagnoses": [make_dx("D69.6", "Thrombocytopenia, unspecified")]}, "D69.6"),
     ({"labs": [recent_lab("26515-7", 149, unit="10*9/L", reference_high=450)]}, "Platelets 149 10*9/L"),
     ({"labs": [recent_lab("777-3", 90, unit="10*3/uL", reference_high=450)]}, "below 150"),
     ({"medications": [make_med("1037045", ago(30))]}, "dabigatran"),
     ({"medications": [make_med("1599555", ago(30))]}, "edoxaban"),
     ({"medications": [make_med("1798389", ago(2))]}, "heparin"),
     ({"medications": [make_med("854235", ago(2))]}, "enoxaparin"),
     ({"medications": [make_med("1364445", ago(30))]}, "apixaban")],
)
def test_bleeding_risk_needs_review_for_the_injection_and_the_implant(extra: dict[str, Any], named: str) -> None:
    chart = add(make_chart(), **extra)
    for form, procedure in (("xr-ntx", "an IM injection"), ("implant", "the implant's trocar insertion")):
        bleeding = reasons_of(assess_readiness(chart, form, DAY), "RDY-BLEEDING")  # type: ignore[arg-type]
        assert [s for s, _ in bleeding] == ["review"]
        assert named in bleeding[0][1] and procedure in bleeding[0][1]
    assert assess_readiness(chart, "oral", DAY).verdict == "ready"


@pytest.mark.parametrize(("count", "severity"), [(149.9, "review"), (150.0, "info")])
def test_the_platelet_threshold_boundary_and_it_is_configurable(count: float, severity: str) -> None:
    chart = add(make_chart(), labs=[recent_lab("26515-7", count, unit="10*3/uL", reference_high=450)])
    assert [s for s, _ in reasons_of(assess_readiness(chart, "implant", DAY), "RDY-BLEEDING")] == [severity]
    stricter = replace(DEFAULT, platelets_review_below_10e9_per_l=100.0)
    assert [s for s, _ in reasons_of(assess_readiness(chart, "implant", DAY, stricter), "RDY-BLEEDING")] == ["info"]
    assert "UNCONFIRMED" in THRESHOLD_SOURCES["platelets_review_below_10e9_per_l"]


def test_the_latest_platelet_count_of_either_code_decides() -> None:
    low_then_normal = [recent_lab("777-3", 80, unit="10*3/uL", collected_at=at(ago(5))),
                       recent_lab("26515-7", 220, unit="10*3/uL", collected_at=at(ago(1)))]
    chart = add(make_chart(), labs=low_then_normal)
    assert [s for s, _ in reasons_of(assess_readiness(chart, "xr-ntx", DAY), "RDY-BLEEDING")] == ["info"]


def test_an_implant_already_in_place_does_not_silence_the_bleeding_review() -> None:
    chart = add(make_chart(), implants=[make_implant(ago(70))], medications=[make_med("855332", ago(100))])
    assert "review" in [s for s, _ in reasons_of(assess_readiness(chart, "implant", DAY), "RDY-BLEEDING")]


# 8. Disulfiram (clinical.md §4)

@pytest.mark.parametrize("rxnorm", ["197623", "197624"])
def test_disulfiram_is_named_for_review_not_contraindicated(rxnorm: str) -> None:
    chart = make_chart(medications=(make_med(rxnorm, ago(40)),))
    for form in ("oral", "xr-ntx"):
        result = assess_readiness(chart, form, DAY)  # type: ignore[arg-type]
        ((severity, message),) = reasons_of(result, "RDY-DISULFIRAM")
        assert (severity, result.verdict) == ("review", "review")
        assert "disulfiram with naltrexone" in message and "hepatotoxic" in message
    stopped = make_chart(medications=(make_med(rxnorm, ago(40), end=ago(1)),))
    assert reasons_of(assess_readiness(stopped, "oral", DAY), "RDY-DISULFIRAM") == []


# 9. Oral naltrexone for OUD (clinical.md §9, ASAM 2020)

def test_oral_naltrexone_for_oud_carries_the_asam_caveat() -> None:
    result = assess_readiness(make_chart(), "oral", DAY)
    ((severity, message),) = reasons_of(result, "RDY-ORAL-OUD")
    assert (severity, result.verdict) == ("info", "ready")
    assert "ASAM 2020" in message and "Prefer XR-NTX, or observed dosing" in message
    source = next(r.source for r in result.reasons if r.rule == "RDY-ORAL-OUD")
    assert source.startswith("clinical.md §9 (ASAM 2020), §6 (Krupitsky 2012)") and "UNCONFIRMED" in source
    assert "15.7% on oral naltrexone" in message
    assert reasons_of(assess_readiness(make_chart(), "xr-ntx", DAY), "RDY-ORAL-OUD") == []
    aud_only = make_chart(episodes=(make_episode("AUD"),), substance_use=())
    assert reasons_of(assess_readiness(aud_only, "oral", DAY), "RDY-ORAL-OUD") == []
