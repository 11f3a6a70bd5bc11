"""Scoring on submit: the one place a questionnaire response gets its total, band and flags.

Every face that stores a response (REST API, web form, FHIR import, the synthetic program)
builds it here, so a response is always scored by :func:`naltrack.instruments.score` with the
patient's sex at birth (AUDIT-C cut-offs differ by sex; anything but male uses the lower
cut-off and says so in a flag, clinical.md §5, USAUDIT row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from naltrack.domain.observations import QuestionnaireResponse
from naltrack.instruments.scoring import Score, score


def score_answers(patient_sex: str | None, instrument_id: str, answers: Sequence[int | float | None]) -> Score:
    """Score one complete set of answers for a patient of ``patient_sex``.

    Parameters
    ----------
    patient_sex : str or None
        The patient's sex at birth (``female``, ``male``, ``intersex``, ``unknown``) or None.
    instrument_id, answers
        As :func:`naltrack.instruments.scoring.score` takes them.

    Returns
    -------
    Score
        What :func:`naltrack.instruments.scoring.score` returns (and raises) for them.
    """
    return score(instrument_id, answers, sex=patient_sex)


def score_response(patient_sex: str | None, instrument_id: str, answers: Sequence[int | float | None], *, id: str,
                   patient_id: str, completed_at: datetime, recorded_at: datetime | None = None,
                   recorded_by: str | None = None) -> QuestionnaireResponse:
    """A :class:`QuestionnaireResponse` scored on submit.

    Parameters
    ----------
    patient_sex : str or None
        The patient's sex at birth; it chooses the AUDIT-C cut-off.
    instrument_id : str
        The instrument answered.
    answers : sequence of numbers
        The points of each item, in form order; an item the form skipped (``None``, BAM item 5 after
        0 days of alcohol) is stored as 0, the points it scores.
    id, patient_id, completed_at, recorded_at, recorded_by
        The record's own fields (:class:`~naltrack.domain.records.ClinicalRecord`).

    Returns
    -------
    QuestionnaireResponse
        With ``total``, ``band`` and ``flags`` from :func:`score_answers`.

    Raises
    ------
    InvalidInput
        As :func:`score_answers`, or a naive ``completed_at``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> r = score_response("female", "audit-c", [1, 1, 1], id="q1", patient_id="p1",
    ...                    completed_at=datetime(2026, 3, 1, tzinfo=UTC))
    >>> (r.total, r.band)
    (3.0, 'positive')
    """
    result = score_answers(patient_sex, instrument_id, answers)
    stored = tuple(0.0 if answer is None else answer for answer in answers)
    return QuestionnaireResponse(id=id, patient_id=patient_id, instrument=result.instrument, answers=stored,
                                 completed_at=completed_at, total=float(result.total), band=result.band,
                                 flags=tuple(result.flags), recorded_at=recorded_at, recorded_by=recorded_by)
