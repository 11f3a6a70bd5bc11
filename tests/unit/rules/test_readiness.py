"""Readiness rules: a table of cases per rule, with the boundaries (clinical.md §2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
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
    make_drinking_day,
    make_dx,
    make_episode,
    make_injection,
    make_man,
    make_med,
    make_oral_dose,
    make_oral_regimen,
    make_patient,
    make_report,
    make_screen,
    opioid_panel,
    recent_lab,
)

from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import ReproductiveStatus
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT, STRICT


def rules_with(result, severity: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.rule for r in result.reasons if r.severity == severity]


@pytest.mark.parametrize("form", ["oral", "xr-ntx"])
def test_the_baseline_chart_is_ready_today(form: str) -> None:
    result = assess_readiness(make_chart(), form, DAY)  # type: ignore[arg-type]
    assert result.verdict == "ready"
    assert result.earliest_ready_date == DAY
    assert rules_with(result, "review") == []


def test_an_implant_on_a_clean_chart_needs_review_because_it_is_not_approved() -> None:
    result = assess_readiness(make_chart(), "implant", DAY)
    assert result.verdict == "review"
    assert result.earliest_ready_date is None
    assert rules_with(result, "review") == ["RDY-IMPLANT-UNAPPROVED"]
    assert "not FDA-approved" in result.reasons[0].message
    assert result.reasons[0].source == "clinical.md §1.3"
    assert "RDY-IMPLANT-UNAPPROVED" not in [r.rule for r in assess_readiness(make_chart(), "xr-ntx", DAY).reasons]


@pytest.mark.parametrize(
    ("substance", "days", "thresholds", "verdict"),
    [
        ("heroin", 6, DEFAULT, "not-ready"),                # short-acting: 7 days (clinical.md §2.1)
        ("heroin", 7, DEFAULT, "ready"),
        ("prescription-opioids", 6, DEFAULT, "not-ready"),
        ("heroin", 9, STRICT, "not-ready"),                 # the stricter top of the 7-10 range
        ("heroin", 10, STRICT, "ready"),
        ("fentanyl", 9, DEFAULT, "not-ready"),              # fentanyl: configurable default 10
        ("fentanyl", 10, DEFAULT, "ready"),
        ("methadone", 13, DEFAULT, "not-ready"),            # methadone/buprenorphine: up to two weeks
        ("methadone", 14, DEFAULT, "ready"),
        ("buprenorphine", 13, DEFAULT, "not-ready"),
        ("buprenorphine", 14, DEFAULT, "ready"),
    ],
)
def test_opioid_free_interval_boundaries(substance: str, days: int, thresholds, verdict: str) -> None:  # type: ignore[no-untyped-def]
    chart = make_chart(substance_use=(make_report(substance, ago(days)),))
    result = assess_readiness(chart, "xr-ntx", DAY, thresholds)
    assert result.verdict == verdict
    if verdict == "not-ready":
        required = thresholds.opioid_free_days({"heroin": "short", "prescription-opioids": "short"}.get(
            substance, substance))
        assert result.earliest_ready_date == ago(days) + timedelta(days=required)
        assert rules_with(result, "not-ready") == ["RDY-OPIOID-FREE"]


def test_long_acting_opioid_product_needs_the_long_interval() -> None:
    embeda = make_med("863845", ago(40), end=ago(13), source="reported")
    result = assess_readiness(make_chart(medications=(embeda,)), "oral", DAY)
    assert result.verdict == "not-ready"
    assert result.earliest_ready_date == ago(13) + timedelta(days=14)


def test_positive_screen_after_reported_last_use_wins_over_the_report() -> None:
    chart = make_chart(substance_use=(make_report("fentanyl", ago(12)),),
                       screens=(make_screen(collected_at=at(ago(1)), results=opioid_panel(fentanyl="positive")),))
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert result.verdict == "not-ready"
    assert rules_with(result, "contraindication") == ["RDY-UDS-POSITIVE"]
    opioid_free = next(r for r in result.reasons if r.rule == "RDY-OPIOID-FREE" and r.severity == "not-ready")
    assert "the screen wins" in opioid_free.message
    assert result.earliest_ready_date == ago(1) + timedelta(days=10)


def test_a_later_negative_screen_lifts_the_positive_but_the_interval_counts_from_it() -> None:
    screens = (make_screen(collected_at=at(ago(9)), results=opioid_panel(opiates="positive")),
               make_screen(collected_at=at(ago(1))))
    result = assess_readiness(make_chart(screens=screens), "xr-ntx", DAY)
    assert rules_with(result, "contraindication") == []
    assert result.verdict == "ready"  # 9 days since the positive opiate screen >= 7
    five_days = (make_screen(collected_at=at(ago(5)), results=opioid_panel(opiates="positive")),
                 make_screen(collected_at=at(ago(1))))
    shorter = assess_readiness(make_chart(screens=five_days), "xr-ntx", DAY)
    assert shorter.verdict == "not-ready"
    assert shorter.earliest_ready_date == ago(5) + timedelta(days=7)


@pytest.mark.parametrize(("days", "verdict"), [(3, "ready"), (4, "review")])
def test_the_urine_screen_must_be_recent(days: int, verdict: str) -> None:
    result = assess_readiness(make_chart(screens=(make_screen(collected_at=at(ago(days))),)), "xr-ntx", DAY)
    assert result.verdict == verdict


def test_no_screen_gives_review_naming_the_missing_analytes() -> None:
    result = assess_readiness(make_chart(screens=()), "xr-ntx", DAY)
    assert result.verdict == "review"
    missing = next(r for r in result.reasons if r.rule == "RDY-UDS-MISSING")
    assert "fentanyl, opiates" in missing.message
    assert result.earliest_ready_date is None


def test_buprenorphine_use_needs_a_buprenorphine_screen() -> None:
    screen = make_screen(collected_at=at(ago(1)))
    screen = replace(screen, results=tuple(r for r in screen.results if r.analyte != "buprenorphine"))
    chart = make_chart(substance_use=(make_report("buprenorphine", ago(20)),), screens=(screen,))
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert result.verdict == "review"
    assert "buprenorphine" in next(r.message for r in result.reasons if r.rule == "RDY-UDS-MISSING")


def _screen_without_oxycodone(day=None):  # type: ignore[no-untyped-def]
    screen = make_screen(collected_at=at(day or ago(1)))
    return replace(screen, results=tuple(r for r in screen.results if r.analyte != "oxycodone"))


@pytest.mark.parametrize(("last_use_days", "verdict"), [(30, "review"), (31, "ready")])
def test_prescription_opioid_use_needs_the_oxycodone_analyte(last_use_days: int, verdict: str) -> None:
    reports = (make_report("heroin", ago(10)), make_report("prescription-opioids", ago(last_use_days)))
    chart = make_chart(substance_use=reports, screens=(_screen_without_oxycodone(),))
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert result.verdict == verdict
    missing = [r for r in result.reasons if r.rule == "RDY-UDS-MISSING"]
    if verdict == "review":
        assert missing[0].severity == "review"
        assert "No urine drug screen for oxycodone" in missing[0].message
        assert "often miss oxycodone" in missing[0].message


def test_prescription_opioid_use_with_the_oxycodone_analyte_is_ready() -> None:
    chart = make_chart(substance_use=(make_report("prescription-opioids", ago(10)),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "ready"


@pytest.mark.parametrize(("end_days", "verdict"), [(30, "review"), (31, "ready")])
def test_an_oxycodone_medicine_needs_the_oxycodone_analyte(end_days: int, verdict: str) -> None:
    med = make_med("1049621", ago(60), end=ago(end_days), source="prescribed")
    chart = make_chart(medications=(med,), screens=(_screen_without_oxycodone(),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == verdict


def test_the_oxycodone_analyte_requirement_is_configurable() -> None:
    chart = make_chart(substance_use=(make_report("prescription-opioids", ago(10)),),
                       screens=(_screen_without_oxycodone(),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "review"
    off = replace(DEFAULT, oxycodone_analyte_required=False)
    assert assess_readiness(chart, "xr-ntx", DAY, off).verdict == "ready"
    heroin_only = make_chart(screens=(_screen_without_oxycodone(),))
    assert assess_readiness(heroin_only, "xr-ntx", DAY).verdict == "ready"


def test_invalid_screen_result_gives_review() -> None:
    invalid = make_screen(collected_at=at(ago(1)), results=opioid_panel(fentanyl="invalid"))
    result = assess_readiness(make_chart(screens=(invalid,)), "xr-ntx", DAY)
    assert result.verdict == "review"
    assert "RDY-UDS-POSITIVE" in rules_with(result, "review")


def test_records_dated_after_the_day_are_ignored() -> None:
    tomorrow = make_screen(collected_at=at(DAY + timedelta(days=1)), results=opioid_panel(fentanyl="positive"))
    chart = add(make_chart(), screens=[tomorrow])
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "ready"


@pytest.mark.parametrize(("passed", "verdict"), [(True, "ready"), (False, "not-ready")])
def test_naloxone_challenge(passed: bool, verdict: str) -> None:
    result = assess_readiness(make_chart(naloxone_challenges=(make_challenge(passed),)), "xr-ntx", DAY)
    assert result.verdict == verdict
    if not passed:
        assert rules_with(result, "contraindication") == ["RDY-NALOXONE-CHALLENGE"]
        assert result.earliest_ready_date is None


def test_a_passed_challenge_after_a_failed_one_counts() -> None:
    chart = make_chart(naloxone_challenges=(make_challenge(False, ago(1)), make_challenge(True, DAY)))
    assert assess_readiness(chart, "oral", DAY).verdict == "ready"


@pytest.mark.parametrize(
    ("total", "verdict", "severity"),
    [(0, "ready", "info"), (4, "review", "review"), (5, "not-ready", "contraindication"),
     (13, "not-ready", "contraindication")],
)
def test_cows_withdrawal_boundaries(total: int, verdict: str, severity: str) -> None:
    result = assess_readiness(make_chart(questionnaires=(make_cows(total),)), "xr-ntx", DAY)
    assert result.verdict == verdict
    assert next(r.severity for r in result.reasons if r.rule == "RDY-WITHDRAWAL") == severity


@pytest.mark.parametrize(("days", "verdict"), [(1, "ready"), (2, "review")])
def test_cows_must_be_recent(days: int, verdict: str) -> None:
    result = assess_readiness(make_chart(questionnaires=(make_cows(0, ago(days)),)), "xr-ntx", DAY)
    assert result.verdict == verdict


def test_missing_cows_gives_review_for_oud() -> None:
    result = assess_readiness(make_chart(questionnaires=()), "oral", DAY)
    assert result.verdict == "review"
    assert "COWS" in next(r.message for r in result.reasons if r.rule == "RDY-WITHDRAWAL")


def test_withdrawal_on_the_problem_list_gives_review() -> None:
    chart = make_chart(diagnoses=(make_dx("F11.23", "Opioid dependence with withdrawal", onset=ago(3)),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "review"


@pytest.mark.parametrize(
    ("rxnorm", "end_days_ago", "verdict"),
    [
        ("1049621", None, "not-ready"),   # oxycodone, still taken
        ("995868", None, "not-ready"),    # codeine cough liquid (antitussive)
        ("1190572", None, "not-ready"),   # diphenoxylate/atropine (antidiarrheal)
        ("8001", None, "not-ready"),      # pentazocine (mixed agonist-antagonist)
        ("6468", None, "review"),         # loperamide: UNCONFIRMED
        ("3289", None, "ready"),          # dextromethorphan is not an opioid
        ("1725059", None, "ready"),       # rescue naloxone is not an interaction
        ("864706", None, "not-ready"),    # methadone
        ("1010604", 13, "not-ready"),     # buprenorphine/naloxone stopped 13 days ago
        ("1010604", 14, "ready"),
    ],
)
def test_medicines_on_board(rxnorm: str, end_days_ago: int | None, verdict: str) -> None:
    end = ago(end_days_ago) if end_days_ago is not None else None
    med = make_med(rxnorm, ago(60), end=end, source="prescribed")
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    assert result.verdict == verdict


@pytest.mark.parametrize("rxnorm", ["1996184", "1996192", "2639021", "2639036", "1797650"])
def test_long_acting_buprenorphine_gives_review_without_an_earliest_date(rxnorm: str) -> None:
    # The daily tablet stopped 30 days ago would be ready; a depot persists (clinical.md §2.1).
    med = make_med(rxnorm, ago(60), end=ago(30), source="prescribed")
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    assert result.verdict == "review"
    assert result.earliest_ready_date is None
    depot = [r for r in result.reasons if r.rule == "RDY-OPIOID-FREE" and r.severity == "review"]
    assert len(depot) == 1 and "Long-acting buprenorphine" in depot[0].message
    assert "configurable judgement" in depot[0].message and depot[0].source == "clinical.md §2.1"
    assert result.reasons[0].ready_on is None


@pytest.mark.parametrize(("days", "severity"), [(179, "review"), (180, "info")])
def test_long_acting_buprenorphine_review_window_boundaries(days: int, severity: str) -> None:
    med = make_med("1996184", ago(days + 30), end=ago(days), source="prescribed")
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    depot = [r for r in result.reasons if r.rule == "RDY-OPIOID-FREE" and "long-acting" in r.message.lower()]
    assert [r.severity for r in depot] == [severity]
    assert result.verdict == ("review" if severity == "review" else "ready")


def test_an_active_depot_contraindicates_without_an_earliest_date() -> None:
    med = make_med("1996184", ago(20), end=DAY + timedelta(days=10), source="prescribed")
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    assert result.verdict == "not-ready"
    assert result.earliest_ready_date is None
    agonist = [r for r in result.reasons if r.rule == "RDY-AGONIST-TREATMENT"]
    assert agonist[0].severity == "contraindication" and "Sublocade" in agonist[0].message


def test_a_daily_buprenorphine_tablet_keeps_its_dated_interval() -> None:
    med = make_med("1010604", ago(60), end=ago(13), source="prescribed")
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    assert (result.verdict, result.earliest_ready_date) == ("not-ready", ago(13) + timedelta(days=14))


def test_active_opioid_with_a_stop_date_gives_an_earliest_date() -> None:
    med = make_med("1049621", ago(10), end=DAY + timedelta(days=2))
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    assert rules_with(result, "contraindication") == ["RDY-OPIOID-RX"]
    assert result.earliest_ready_date == DAY + timedelta(days=9)


@pytest.mark.parametrize(
    ("substance", "form", "verdict"),
    [
        ("naltrexone", "oral", "not-ready"),
        ("naltrexone", "xr-ntx", "not-ready"),
        ("naltrexone", "implant", "not-ready"),
        ("polylactide-co-glycolide", "xr-ntx", "not-ready"),
        ("carboxymethylcellulose", "xr-ntx", "not-ready"),
        ("polylactide-co-glycolide", "oral", "ready"),
        ("polylactide-co-glycolide", "implant", "review"),
        ("other", "xr-ntx", "ready"),
    ],
)
def test_hypersensitivity(substance: str, form: str, verdict: str) -> None:
    result = assess_readiness(make_chart(allergies=(make_allergy(substance),)), form, DAY)  # type: ignore[arg-type]
    assert result.verdict == verdict


@pytest.mark.parametrize(
    ("times_uln", "verdict"),
    [(2.9, "ready"), (3.0, "ready"), (3.1, "review"), (4.9, "review"), (5.0, "review"), (5.1, "not-ready")],
)
def test_liver_tests_against_the_upper_limit(times_uln: float, verdict: str) -> None:
    result = assess_readiness(make_chart(labs=liver_labs(alt=40.0 * times_uln)), "xr-ntx", DAY)
    assert result.verdict == verdict


def test_ast_alone_above_5x_blocks() -> None:
    assert assess_readiness(make_chart(labs=liver_labs(ast=205.0)), "oral", DAY).verdict == "not-ready"


@pytest.mark.parametrize("which", ["1742-6", "1920-8"])
def test_missing_liver_test_gives_review(which: str) -> None:
    labs = tuple(lab for lab in liver_labs() if lab.loinc != which)
    result = assess_readiness(make_chart(labs=labs), "xr-ntx", DAY)
    assert result.verdict == "review"


def test_old_liver_tests_and_tests_without_range_give_review() -> None:
    assert assess_readiness(make_chart(labs=liver_labs(day=ago(31))), "xr-ntx", DAY).verdict == "review"
    assert assess_readiness(make_chart(labs=liver_labs(day=ago(30))), "xr-ntx", DAY).verdict == "ready"
    no_range = (recent_lab("1742-6", 20, reference_high=None), recent_lab("1920-8", 20))  # type: ignore[arg-type]
    assert assess_readiness(make_chart(labs=no_range), "xr-ntx", DAY).verdict == "review"


def test_bilirubin_above_the_upper_limit_gives_review() -> None:
    labs = (*liver_labs(), recent_lab("1975-2", 2.4, reference_high=1.2, unit="mg/dL"))
    assert assess_readiness(make_chart(labs=labs), "xr-ntx", DAY).verdict == "review"


@pytest.mark.parametrize(("form", "verdict"), [("oral", "not-ready"), ("xr-ntx", "review"), ("implant", "review")])
def test_acute_hepatitis_by_form(form: str, verdict: str) -> None:
    chart = make_chart(diagnoses=(make_dx("37871000", "Acute hepatitis", system="snomed"),))
    assert assess_readiness(chart, form, DAY).verdict == verdict  # type: ignore[arg-type]


def test_acute_hepatitis_for_oral_is_configurable() -> None:
    chart = make_chart(diagnoses=(make_dx("K72.00", "Acute and subacute hepatic failure without coma"),))
    relaxed = replace(DEFAULT, hepatitis_contraindicates_oral=False)
    assert assess_readiness(chart, "oral", DAY, relaxed).verdict == "review"


def _woman(age: int = 30, **status: object) -> object:
    birth = DAY.replace(year=DAY.year - age) - timedelta(days=1)
    reproductive = ReproductiveStatus(**status) if status else None  # type: ignore[arg-type]
    return make_patient(sex_at_birth="female", birth_date=birth, reproductive=reproductive)


@pytest.mark.parametrize(
    ("patient", "verdict"),
    [
        (_woman(), "review"),                                                          # status unknown
        (_woman(pregnant=False, breastfeeding=False, as_of=ago(5)), "ready"),
        (_woman(pregnant=False, breastfeeding=False, as_of=ago(30)), "ready"),
        (_woman(pregnant=False, breastfeeding=False, as_of=ago(31)), "review"),        # too old
        (_woman(pregnant=True, breastfeeding=False, as_of=ago(5)), "review"),
        (_woman(pregnant=False, breastfeeding=True, as_of=ago(5)), "review"),
        (_woman(pregnant=None, breastfeeding=None, as_of=ago(5)), "review"),
        (_woman(60), "ready"),
    ],
)
def test_pregnancy_and_breastfeeding(patient: object, verdict: str) -> None:
    assert assess_readiness(make_chart(patient=patient), "xr-ntx", DAY).verdict == verdict


@pytest.mark.parametrize(("heroin_days", "severity"), [(6, "not-ready"), (7, "review")])
def test_pregnant_and_using_opioids_is_not_ready_without_a_date(heroin_days: int, severity: str) -> None:
    pregnant = _woman(pregnant=True, breastfeeding=False, as_of=ago(5))
    chart = make_chart(patient=pregnant, substance_use=(make_report("heroin", ago(heroin_days)),))
    result = assess_readiness(chart, "xr-ntx", DAY)
    (preg,) = [r for r in result.reasons if r.rule == "RDY-PREGNANCY"]
    assert preg.severity == severity
    assert result.earliest_ready_date is None
    if severity == "not-ready":
        assert result.verdict == "not-ready"
        assert "initiation is not recommended" in preg.message and "agonist treatment" in preg.message
        assert "NYSDOH A2" in preg.message and preg.ready_on is None
    else:
        assert result.verdict == "review" and "A3" in preg.message


def test_not_pregnant_and_using_opioids_keeps_the_dated_interval() -> None:
    woman = _woman(pregnant=False, breastfeeding=False, as_of=ago(5))
    result = assess_readiness(make_chart(patient=woman, substance_use=(make_report("heroin", ago(6)),)), "oral", DAY)
    assert (result.verdict, result.earliest_ready_date) == ("not-ready", ago(6) + timedelta(days=7))


@pytest.mark.parametrize(
    ("extra", "xr_verdict", "oral_verdict"),
    [
        ({"diagnoses": [make_dx("D69.6", "Thrombocytopenia, unspecified")]}, "review", "ready"),
        ({"diagnoses": [make_dx("D66", "Hereditary factor VIII deficiency")]}, "review", "ready"),
        ({"labs": [recent_lab("777-3", 80, reference_high=400, reference_low=150, unit="10*3/uL")]}, "review", "ready"),
        ({"labs": [recent_lab("777-3", 150, reference_high=400, reference_low=150, unit="10*3/uL")]}, "ready", "ready"),
        ({"medications": [make_med("855332", ago(100))]}, "review", "ready"),
    ],
)
def test_bleeding_risk_matters_for_the_injection_not_for_oral(extra: dict, xr_verdict: str, oral_verdict: str) -> None:  # type: ignore[type-arg]
    chart = add(make_chart(), **extra)
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == xr_verdict
    assert assess_readiness(chart, "oral", DAY).verdict == oral_verdict


def _aud_chart(**overrides: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {"episodes": (make_episode("AUD"),), "substance_use": ()}
    fields.update(overrides)
    return make_chart(**fields)


@pytest.mark.parametrize(("days", "verdict"), [(2, "not-ready"), (3, "ready")])
def test_aud_first_injection_not_while_drinking(days: int, verdict: str) -> None:
    result = assess_readiness(_aud_chart(drinking_days=(make_drinking_day(ago(days)),)), "xr-ntx", DAY)
    assert result.verdict == verdict
    if verdict == "not-ready":
        assert result.earliest_ready_date == ago(days) + timedelta(days=3)


def test_aud_last_drink_from_a_report_and_a_dry_day_does_not_count() -> None:
    chart = _aud_chart(substance_use=(make_report("alcohol", ago(1)),),
                       drinking_days=(make_drinking_day(DAY, drinks=0),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "not-ready"


def test_aud_without_a_last_drink_gives_review() -> None:
    assert assess_readiness(_aud_chart(), "xr-ntx", DAY).verdict == "review"


def test_aud_condition_applies_only_to_the_first_injection() -> None:
    chart = _aud_chart(drinking_days=(make_drinking_day(ago(1)),), injections=(make_injection(given_at=at(ago(27))),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "ready"


@pytest.mark.parametrize(("last_injection_days", "verdict"), [(55, "ready"), (56, "not-ready")])
def test_aud_restart_after_the_gap_counts_as_a_first_injection(last_injection_days: int, verdict: str) -> None:
    chart = _aud_chart(drinking_days=(make_drinking_day(ago(1)),),
                       injections=(make_injection(given_at=at(ago(last_injection_days))),))
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert result.verdict == verdict
    drinking = [r for r in result.reasons if r.rule == "RDY-AUD-DRINKING"]
    assert drinking[0].severity == ("info" if verdict == "ready" else "not-ready")
    if verdict == "not-ready":
        assert result.earliest_ready_date == ago(1) + timedelta(days=3)


def test_aud_restart_gap_is_configurable() -> None:
    chart = _aud_chart(drinking_days=(make_drinking_day(ago(1)),), injections=(make_injection(given_at=at(ago(40))),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "ready"
    stricter = replace(DEFAULT, xr_ntx_restart_gap_days=40)
    assert assess_readiness(chart, "xr-ntx", DAY, stricter).verdict == "not-ready"


@pytest.mark.parametrize(("days", "severity"), [(2, "not-ready"), (3, "info")])
def test_aud_implant_needs_abstinent_days_like_the_injection(days: int, severity: str) -> None:
    result = assess_readiness(_aud_chart(drinking_days=(make_drinking_day(ago(days)),)), "implant", DAY)
    drinking = [r for r in result.reasons if r.rule == "RDY-AUD-DRINKING"]
    assert [r.severity for r in drinking] == [severity]
    assert result.verdict == ("not-ready" if severity == "not-ready" else "review")
    if severity == "not-ready":
        assert result.earliest_ready_date == ago(days) + timedelta(days=3)
        assert "TIP 28" in drinking[0].message


def test_aud_implant_without_a_last_drink_gives_review() -> None:
    result = assess_readiness(_aud_chart(), "implant", DAY)
    assert "RDY-AUD-DRINKING" in rules_with(result, "review")


def test_aud_oral_with_recent_drinking_gives_review() -> None:
    result = assess_readiness(_aud_chart(drinking_days=(make_drinking_day(ago(2)),)), "oral", DAY)
    assert result.verdict == "review"
    (drinking,) = [r for r in result.reasons if r.rule == "RDY-AUD-DRINKING"]
    assert "TIP 28 advises 3-7 abstinent days before naltrexone (3 configured)" in drinking.message
    stricter = assess_readiness(_aud_chart(drinking_days=(make_drinking_day(ago(6)),)), "oral", DAY,
                                replace(DEFAULT, alcohol_free_days_oral=7))
    assert "(7 configured)" in stricter.reasons[0].message and "7-7" not in stricter.reasons[0].message


def test_aud_oral_boundary_of_abstinent_days() -> None:
    assert assess_readiness(_aud_chart(drinking_days=(make_drinking_day(ago(3)),)), "oral", DAY).verdict == "ready"


def test_oral_oud_regimen_without_test_dose_gives_review() -> None:
    chart = make_chart(regimens=(make_oral_regimen(kind="oral-daily", schedule=(), start=DAY, dose_mg=50.0),))
    assert assess_readiness(chart, "oral", DAY).verdict == "review"
    with_test = make_chart(regimens=(make_oral_regimen(kind="oral-daily", schedule=(), start=DAY, dose_mg=50.0,
                                                       induction_test_dose=True),))
    assert assess_readiness(with_test, "oral", DAY).verdict == "ready"
    already = add(chart, oral_doses=[make_oral_dose(taken_at=at(ago(2)), dose_mg=25.0)])
    assert assess_readiness(already, "oral", DAY).verdict == "ready"


def test_under_18_gives_review() -> None:
    teen = make_man(birth_date=DAY.replace(year=DAY.year - 17))
    assert assess_readiness(make_chart(patient=teen), "oral", DAY).verdict == "review"
    adult = make_man(birth_date=DAY.replace(year=DAY.year - 18))
    assert assess_readiness(make_chart(patient=adult), "oral", DAY).verdict == "ready"


def test_no_indication_gives_review() -> None:
    assert assess_readiness(make_chart(episodes=()), "xr-ntx", DAY).verdict == "review"
    chart = make_chart(episodes=(), diagnoses=(make_dx("F11.20", "Opioid dependence, uncomplicated"),))
    assert assess_readiness(chart, "xr-ntx", DAY).verdict == "ready"


def test_oud_without_a_last_use_gives_review() -> None:
    result = assess_readiness(make_chart(substance_use=()), "xr-ntx", DAY)
    assert result.verdict == "review"
    assert "Last opioid use is not recorded" in next(r.message for r in result.reasons if r.rule == "RDY-OPIOID-FREE")


def test_unread_records_give_review() -> None:
    result = assess_readiness(make_chart(), "xr-ntx", DAY, unread=("entry[4]: hydro-something 2 mg",))
    assert result.verdict == "review"
    assert rules_with(result, "review") == ["RDY-UNREAD-DATA"]


def test_reasons_are_ordered_by_severity_and_carry_sources() -> None:
    chart = add(make_chart(screens=()), allergies=[make_allergy("naltrexone")])
    result = assess_readiness(chart, "xr-ntx", DAY)
    order = ["contraindication", "not-ready", "review", "info"]
    assert [order.index(r.severity) for r in result.reasons] == sorted(order.index(r.severity) for r in result.reasons)
    assert all(r.source.startswith(("clinical.md", "codes.md")) for r in result.reasons)
    assert result.as_dict()["verdict"] == "not-ready"
    assert set(result.as_dict()["reasons"][0]) == {"rule", "severity", "message", "source"}  # type: ignore[index]


def test_rejects_an_unknown_form() -> None:
    with pytest.raises(InvalidInput, match="form: 'patch' must be one of oral, xr-ntx, implant"):
        assess_readiness(make_chart(), "patch", DAY)  # type: ignore[arg-type]


def test_thresholds_reject_nonsense() -> None:
    with pytest.raises(InvalidInput, match="thresholds.opioid_free_days_short: 0 must be a number greater than 0"):
        replace(DEFAULT, opioid_free_days_short=0)
    with pytest.raises(InvalidInput, match="must be at least liver_review_above_x_uln"):
        replace(DEFAULT, liver_not_ready_above_x_uln=2.0)


def test_a_positive_and_a_negative_screen_at_the_same_time_count_as_positive() -> None:
    negative = make_screen(collected_at=at(ago(1)))
    positive = make_screen(collected_at=at(ago(1)), results=opioid_panel(fentanyl="positive"))
    for order in ((negative, positive), (positive, negative)):
        assert assess_readiness(make_chart(screens=order), "xr-ntx", DAY).verdict == "not-ready"
