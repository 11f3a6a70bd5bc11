"""Questionnaire items as US Core sends them: LOINC item codes and LOINC answer codes.

US Core's screening and assessment profiles send a PHQ-9 (or GAD-7) as one Observation per item, coded
with the item's LOINC code and answered with a LOINC answer (``LA6570-1`` "More than half the days"),
beside a total Observation (44261-6) whose value may be a ``valueString``; or as a QuestionnaireResponse of
the LOINC panel (``http://loinc.org/q/44249-1``) whose ``linkId`` names the item's LOINC code. This module
maps both to naltrack's instruments (:mod:`naltrack.instruments`), item by item in the instrument's order.

Codes: the PHQ-9 items 44250-9 ... 44260-8 and the GAD-7 items 69725-0 ... 69736-7 in the order of the
published forms (as the LOINC panels 44249-1 and 69737-5 list them), answered from answer list LL358-3
"Not at all | Several days | More than half the days | Nearly every day" (LA6568-5, LA6569-3, LA6570-1,
LA6571-9 = 0, 1, 2, 3 points). The "how difficult" item 69722-7 is not scored and is not read.
"""

from __future__ import annotations

import math
import re

from naltrack.adapters.fhir import codes
from naltrack.adapters.fhir.json_paths import At, codings
from naltrack.domain.errors import InvalidInput
from naltrack.instruments import get_instrument

#: The item LOINC codes of each instrument, in the instrument's item order.
ITEM_LOINCS: dict[str, tuple[str, ...]] = {
    "phq-9": ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"),
    "gad-7": ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
}
#: ``(LOINC, item code) -> (instrument, item index)``.
ITEM_OF: dict[codes.Code, tuple[str, int]] = {
    (codes.LOINC, code): (instrument, index)
    for instrument, items in ITEM_LOINCS.items() for index, code in enumerate(items)
}
#: The points of the LOINC answers of answer list LL358-3 (PHQ-9 and GAD-7 items).
ANSWER_POINTS: dict[codes.Code, int] = {
    (codes.LOINC, "LA6568-5"): 0, (codes.LOINC, "LA6569-3"): 1, (codes.LOINC, "LA6570-1"): 2,
    (codes.LOINC, "LA6571-9"): 3,
}
_LOINC_CODE = re.compile(r"(?<![\w.-])(\d{1,7}-\d)(?![\w.])")


def observed_number(at: At, what: str) -> tuple[float, str]:
    """The number an Observation (or a QuestionnaireResponse answer) states, and its element path:
    ``valueQuantity.value``, ``valueInteger``, ``valueDecimal``, or a number written as ``valueString``
    (US Core screening totals are sent so: ``"12"``)."""
    quantity = at.get("valueQuantity")
    if quantity is not None:
        value = quantity.need("value", what)
        return value.number(), value.path
    for key in ("valueInteger", "valueDecimal"):
        found = at.get(key)
        if found is not None:
            return found.number(), found.path
    text = at.get("valueString")
    if text is None:
        raise InvalidInput(f"{at.path}.valueQuantity", None,
                           f"is required ({what}: valueQuantity, valueInteger, valueDecimal or valueString)")
    try:
        number = float(text.text().strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidInput(text.path, text.text(), f"must be a number ({what})")
    return number, text.path


def answer_points(at: At) -> tuple[float, str]:
    """The points of one answer (an Observation's value or a QuestionnaireResponse answer) and its element path:
    a LOINC answer code (``valueCodeableConcept`` or ``valueCoding``), else a number (:func:`observed_number`)."""
    coded = at.get("valueCodeableConcept")
    coding = at.get("valueCoding")
    concept = coded if coded is not None else At({"coding": [coding.value]}, coding.path) if coding else None
    if concept is None:
        return observed_number(at, "the points of the answer")
    for key, _ in codings(concept):
        if key in ANSWER_POINTS:
            return float(ANSWER_POINTS[key]), concept.path
    raise InvalidInput(f"{concept.path}.coding", [code for (_, code), _ in codings(concept)],
                       "must be a LOINC answer LA6568-5, LA6569-3, LA6570-1 or LA6571-9 (0-3 points)")


def questionnaire_instrument(canonical: str) -> str | None:
    """The instrument a Questionnaire canonical URL names: naltrack's own (``urn:naltrack:questionnaire:<id>``)
    or a LOINC panel (``http://loinc.org/q/44249-1``, with or without a ``|version``); else ``None``.

    >>> questionnaire_instrument("http://loinc.org/q/44249-1|2.74")
    'phq-9'
    >>> questionnaire_instrument("urn:naltrack:questionnaire:cows"), questionnaire_instrument("http://x.org/q/1")
    ('cows', None)
    """
    if canonical.startswith(codes.LOCAL_QUESTIONNAIRE):
        return get_instrument(canonical[len(codes.LOCAL_QUESTIONNAIRE):]).id
    panels = {instrument: get_instrument(instrument).panel_loinc for instrument in ITEM_LOINCS}
    found = set(_LOINC_CODE.findall(canonical.split("|", 1)[0]))
    return next((instrument for instrument, panel in panels.items() if panel in found), None)


def item_index(instrument: str, link_id: str) -> int | None:
    """The item a LOINC questionnaire's ``linkId`` names (``/44250-9`` or ``44250-9``), or ``None``."""
    found = _LOINC_CODE.findall(link_id)
    loincs = ITEM_LOINCS.get(instrument, ())
    return next((loincs.index(code) for code in found if code in loincs), None)
