"""Screening instruments as data, with scoring and bands. Pure (stdlib only).

``from naltrack.instruments import score`` is the public entry point.
"""

from __future__ import annotations

from naltrack.instruments.definitions import INSTRUMENTS, Instrument, get_instrument, instrument_ids
from naltrack.instruments.scoring import Score, score, to_fhir_questionnaire

__all__ = ["INSTRUMENTS", "Instrument", "Score", "get_instrument", "instrument_ids", "score", "to_fhir_questionnaire"]
