"""The Brief Addiction Monitor in the synthetic program: one at intake, then about monthly in treatment; risk falling
and protection rising while treated; the use items following the patient's own screens and diary."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from datetime import date, timedelta

import pytest
from tests.seeding import stored_chart

from naltrack.bootstrap import Storage
from naltrack.domain.episodes import Episode
from naltrack.domain.observations import QuestionnaireResponse, UrineDrugScreen
from naltrack.domain.questionnaires import score_answers
from naltrack.domain.records import ClinicalRecord
from naltrack.instruments import bam_scores
from naltrack.synthetic import ProgramParams, generate_patients
from naltrack.synthetic.bam import DRUG_ITEM, day_points

END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def program() -> list[tuple[object, list[ClinicalRecord]]]:
    return list(generate_patients(800, seed=13, end=END))


def _bams(records: list[ClinicalRecord]) -> list[QuestionnaireResponse]:
    return sorted((r for r in records if isinstance(r, QuestionnaireResponse) and r.instrument == "bam"),
                  key=lambda r: r.completed_at)


def test_day_counts_fall_in_the_bam_ranges() -> None:
    assert [day_points(d) for d in (0, 1, 3, 4, 8, 9, 15, 16, 30)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_every_patient_answers_a_bam_at_intake(program: list) -> None:
    for _, records in program:
        episode = next(r for r in records if isinstance(r, Episode))
        bams = _bams(records)
        assert bams and bams[0].completed_at.date() == episode.start


def test_bams_come_about_monthly_while_in_treatment(program: list) -> None:
    gaps = [(b.completed_at.date() - a.completed_at.date()).days
            for _, records in program for a, b in zip(_bams(records)[1:], _bams(records)[2:], strict=False)]
    interval = ProgramParams().bam_interval_days
    assert len(gaps) > 1000 and all(interval - 3 <= gap <= interval + 3 for gap in gaps)


def test_each_bam_is_scored_on_submit_with_its_real_flags(program: list) -> None:
    for _, records in program[:200]:
        for response in _bams(records):
            result = score_answers(None, "bam", response.answers)
            assert (response.total, response.band, response.flags) == (result.total, result.band, result.flags)


def test_risk_falls_and_protection_rises_with_months_in_treatment(program: list) -> None:
    intake, later = [], []
    for _, records in program:
        bams = _bams(records)
        intake.append(bam_scores(bams[0].answers))
        later += [bam_scores(b.answers) for b in bams if (b.completed_at - bams[0].completed_at).days >= 180]
    assert len(later) > 300
    assert statistics.mean(s.risk for s in intake) >= 12 > statistics.mean(s.risk for s in later) + 3
    assert statistics.mean(s.protective for s in intake) <= 12 < statistics.mean(s.protective for s in later) - 3
    assert statistics.mean(s.use for s in later) < statistics.mean(s.use for s in intake) / 2


def test_drug_use_items_follow_the_screens_of_the_30_days_before(program: list) -> None:
    checked = 0
    for _, records in program:
        screens = [r for r in records if isinstance(r, UrineDrugScreen)]
        for response in _bams(records)[1:]:
            day = response.completed_at.date()
            found = {DRUG_ITEM[r.analyte] for s in screens if day - timedelta(days=30) <= s.collected_at.date() <= day
                     for r in s.results if r.analyte in DRUG_ITEM and r.result == "positive"}
            used = {letter for letter, answer in zip("abcdefg", response.answers[6:13], strict=True) if answer > 0}
            assert (response.answers[5] > 0) is bool(found) and used == found
            checked += 1
    assert checked > 1000


def test_the_demo_has_bam_responses_and_a_manager_account(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run([sys.executable, "-m", "naltrack.cli.main", "demo", "--patients", "20", "--seed", "3",
                             "--database", url, "--end-date", "2026-11-20"], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "NALTRACK_DEMO": "1", "NALTRACK_TIMEZONE": "UTC"})
    assert result.returncode == 0, result.stderr
    assert any(line.split()[:2] == ["demo.manager", "manager"] for line in result.stdout.splitlines())
    storage = Storage(url)
    try:
        assert any(q.instrument == "bam" for q in stored_chart(storage.uow, "s3-p000001").questionnaires)
    finally:
        storage.close()
