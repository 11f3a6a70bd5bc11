"""The chart's rows of what the readiness check reads (web/chart_history.py): the latest report per substance,
newest use first; challenges newest first with the result in words; entered-in-error records left out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from tests.factories import make_patient, make_report

from naltrack.domain.chart import PatientChart
from naltrack.domain.observations import Allergy, NaloxoneChallenge
from naltrack.web.chart_history import allergy_rows, challenge_rows, last_use_rows


def test_last_use_keeps_the_latest_use_of_each_substance_newest_first() -> None:
    reports = (make_report("heroin", date(2026, 11, 1), date(2026, 11, 2)),
               make_report("heroin", date(2026, 11, 20), date(2026, 11, 21)),
               make_report("kratom", date(2026, 11, 25), date(2026, 11, 26)),
               replace(make_report("fentanyl", date(2026, 11, 30), date(2026, 12, 1)), status="entered-in-error"))
    reports = tuple(replace(r, id=f"r{n}") for n, r in enumerate(reports))
    rows = last_use_rows(PatientChart(patient=make_patient(), substance_use=reports))
    assert [(r.substance, r.last_use) for r in rows] == [("Kratom", date(2026, 11, 25)),
                                                         ("Heroin", date(2026, 11, 20))]


def test_challenges_newest_first_with_the_result_and_signs_in_words() -> None:
    pid = make_patient().id
    older = NaloxoneChallenge(id="c1", patient_id=pid, performed_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
                              route="sc", passed=True)
    newer = NaloxoneChallenge(id="c2", patient_id=pid, performed_at=datetime(2026, 11, 8, 9, tzinfo=UTC),
                              route="iv", passed=False, equivocal=True, signs=("yawning", "sweating"))
    rows = challenge_rows(PatientChart(patient=make_patient(), naloxone_challenges=(older, newer)))
    assert [(r.result, r.signs) for r in rows] == [("equivocal", "yawning, sweating"), ("passed", "none")]
    assert rows[0].route.startswith("Intravenous")


def test_allergies_in_words() -> None:
    allergy = Allergy(id="a1", patient_id=make_patient().id, substance="polylactide-co-glycolide",
                      criticality="unable-to-assess")
    [row] = allergy_rows(PatientChart(patient=make_patient(), allergies=(allergy,)))
    assert (row.allergen, row.criticality) == ("PLG microspheres (the XR-NTX polymer)", "unable to assess")
