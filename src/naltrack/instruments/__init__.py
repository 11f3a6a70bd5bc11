"""Screening instruments as data, with scoring and bands. Pure (stdlib only).

``from naltrack.instruments import score`` is the public entry point; ``bam_scores`` gives a Brief Addiction
Monitor response's use, risk-factor and protective-factor scores.
"""

from __future__ import annotations

from naltrack.instruments.definitions import INSTRUMENTS, Instrument, get_instrument, instrument_ids
from naltrack.instruments.scoring import BamScores, Score, bam_scores, score, stored_bam_scores, to_fhir_questionnaire

__all__ = ["INSTRUMENTS", "BamScores", "Instrument", "Score", "bam_scores", "get_instrument", "instrument_ids",
           "score", "stored_bam_scores", "to_fhir_questionnaire"]
