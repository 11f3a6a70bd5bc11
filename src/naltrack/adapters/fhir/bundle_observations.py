"""FHIR R4 Observation and QuestionnaireResponse -> domain records (used by the bundle reader).

What each Observation becomes is decided by its code, keyed on ``(system, code)``
(:mod:`naltrack.adapters.fhir.codes`):

* labs (ALT, AST, GGT, total bilirubin, platelets) -> ``LabResult`` from ``valueQuantity``
  (``code`` or ``unit``) and ``referenceRange[0].low/high``;
* urine drug screen analytes (kratom included) -> one ``UrineDrugScreen`` per collection time; the
  answer (SNOMED, LOINC LA answers, ``valueString`` or, without a value, an HL7 v3 interpretation) is read
  by the tables of :mod:`~naltrack.adapters.fhir.codes`, ``dataAbsentReason`` -> invalid;
* pregnancy status 82810-3 and urine hCG 2106-3 (LOINC only) -> the patient's
  ``ReproductiveStatus`` (the latest day wins, "pregnant" on a tie; a ``breastfeeding`` component is
  kept until a later one states it);
* instrument totals (LOINC, or ``urn:naltrack:observation#cows-total`` ...) -> a
  ``QuestionnaireResponse`` with the total and its band, no item answers;
* ``urn:naltrack:observation#naloxone-challenge`` (value SNOMED 1264554000 = failed, ``#passed``,
  ``#equivocal``; ``sign: ...`` notes), or an Observation coded 1264554000 itself -> ``NaloxoneChallenge``;
* ``urn:naltrack:observation#last-use-<substance>`` (``valueDateTime``) -> ``SubstanceUseReport``
  (``last-use-alcohol`` is the last drink); ``#standard-drinks`` -> ``DrinkingDay``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from naltrack.adapters.fhir import codes
from naltrack.adapters.fhir.instrument_items import (
    ITEM_OF,
    answer_points,
    item_index,
    observed_number,
    questionnaire_instrument,
)
from naltrack.adapters.fhir.json_paths import At, codings, concept_text
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import (
    SUBSTANCES,
    AnalyteResult,
    DrinkingDay,
    LabResult,
    NaloxoneChallenge,
    QuestionnaireResponse,
    SubstanceUseReport,
)
from naltrack.domain.questionnaires import score_response
from naltrack.instruments import get_instrument


@dataclass
class ObservationBuckets:
    """What the Observations of one bundle add to the chart."""

    labs: list[LabResult] = field(default_factory=list)
    analytes: dict[datetime, dict[str, AnalyteResult]] = field(default_factory=dict)
    pregnancy: list[tuple[date, bool | None, bool | None]] = field(default_factory=list)
    responses: list[QuestionnaireResponse] = field(default_factory=list)
    challenges: list[NaloxoneChallenge] = field(default_factory=list)
    reports: list[SubstanceUseReport] = field(default_factory=list)
    drinking: list[DrinkingDay] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Item Observations (US Core screening items): ``(instrument, time) -> {item index: (points, resource id)}``.
    items: dict[tuple[str, datetime], dict[int, tuple[float, str]]] = field(default_factory=dict)


def effective(at: At) -> At:
    """``effectiveDateTime``, else ``effectivePeriod.end``/``start``, else ``issued``; required."""
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        found = at.get(key)
        if found is not None:
            return found
    period = at.get("effectivePeriod")
    if period is not None:
        found = period.get("end") or period.get("start")
        if found is not None:
            return found
    raise InvalidInput(f"{at.path}.effectiveDateTime", None, "is required (when the observation was made)")


def read_observation(at: At, rid: str, pid: str, out: ObservationBuckets) -> None:
    """Add one Observation to ``out`` by its code; unknown codes are noted in ``out.skipped``."""
    found = codings(at.get("code"))
    keys = [key for key, _ in found]
    for key in keys:
        if key in codes.LAB_NAME:
            out.labs.append(_lab(at, rid, pid, key))
            return
        if key in codes.SCREEN_ANALYTE:
            _analyte(at, codes.SCREEN_ANALYTE[key], out)
            return
        if key in (codes.PREGNANCY_STATUS, codes.HCG_URINE):
            out.pregnancy.append(_pregnancy(at, key))
            return
        if key in codes.INSTRUMENT_TOTAL:
            out.responses.append(_total(at, rid, pid, codes.INSTRUMENT_TOTAL[key]))
            return
        if key in (codes.NALOXONE_CHALLENGE, codes.CHALLENGE_FAILED):
            out.challenges.append(_challenge(at, rid, pid, failed=key == codes.CHALLENGE_FAILED))
            return
        if key in ITEM_OF:
            _item(at, key, out)
            return
        if key == codes.STANDARD_DRINKS:
            value = observed_number(at, "standard drinks")[0]
            out.drinking.append(DrinkingDay(id=rid, patient_id=pid, day=effective(at).day(), standard_drinks=value))
            return
        if key[0] == codes.LOCAL_OBSERVATION and key[1].startswith(codes.LAST_USE_PREFIX):
            out.reports.append(_last_use(at, rid, pid, key[1][len(codes.LAST_USE_PREFIX):]))
            return
    out.skipped.append(f"{at.path}: Observation {', '.join(f'{s}|{c}' for s, c in keys) or '(no code)'} not read")


def _item(at: At, key: tuple[str, str], out: ObservationBuckets) -> None:
    instrument, index = ITEM_OF[key]
    rid = at.get("id")
    out.items.setdefault((instrument, effective(at).moment()), {})[index] = (
        answer_points(at)[0], rid.text() if rid is not None else at.path)


def score_items(out: ObservationBuckets, pid: str, sex: str | None) -> None:
    """Score each complete set of item Observations (one instrument, one time) as a QuestionnaireResponse with its
    answers; an incomplete set is noted in ``out.skipped`` (its total Observation, if sent, is read as such)."""
    for (instrument_id, moment), found in sorted(out.items.items()):
        instrument = get_instrument(instrument_id)
        if len(found) != len(instrument.items):
            out.skipped.append(f"{instrument.id} items at {moment.isoformat()}: Observation {len(found)} of "
                               f"{len(instrument.items)} items, not scored")
            continue
        first_id = min(rid for _, rid in found.values())
        answers = [found[index][0] for index in range(len(instrument.items))]
        try:
            out.responses.append(score_response(sex, instrument.id, [int(a) if a.is_integer() else a for a in answers],
                                                id=f"{first_id[:48]}-{instrument.id}", patient_id=pid,
                                                completed_at=moment))
        except InvalidInput as error:
            raise InvalidInput(f"Observation/{first_id} ({error.field})", error.value, error.rule) from error


def _lab(at: At, rid: str, pid: str, key: tuple[str, str]) -> LabResult:
    quantity = at.need("valueQuantity", f"{codes.LAB_NAME[key]} needs a numeric value")
    value = quantity.need("value", "the result").number()
    unit_at = quantity.get("code") or quantity.get("unit")
    if unit_at is None:
        raise InvalidInput(f"{quantity.path}.unit", None, f"is required for {codes.LAB_NAME[key]} ({key[1]})")
    low = high = None
    ranges = at.list_of("referenceRange")
    if ranges:
        low_at, high_at = ranges[0].get("low"), ranges[0].get("high")
        low = low_at.need("value", "reference low").number() if low_at else None
        high = high_at.need("value", "reference high").number() if high_at else None
    try:
        return LabResult(id=rid, patient_id=pid, loinc=key[1], name=codes.LAB_NAME[key], value=value,
                         unit=unit_at.text(), collected_at=effective(at).moment(), reference_low=low,
                         reference_high=high)
    except InvalidInput as error:
        raise InvalidInput(_element(at, error.field), error.value, error.rule) from error


def _element(at: At, domain_field: str) -> str:
    """Map a domain field (``lab.unit``) back to the FHIR element path it came from."""
    element = {"lab.unit": "valueQuantity.unit", "lab.value": "valueQuantity.value",
               "lab.reference_high": "referenceRange[0].high.value",
               "lab.reference_low": "referenceRange[0].low.value"}.get(domain_field, domain_field)
    return f"{at.path}.{element}"


_ANSWERS = ("SNOMED 10828004/260385009 or 260373001/260415000, LOINC LA6576-8/LA6577-6 or LA11882-0/LA11883-8 "
            "(positive/negative, detected/not detected)")


def _qualitative(at: At) -> str:
    """``positive``, ``negative`` or ``invalid`` from valueCodeableConcept, valueString, or (without a value)
    interpretation and dataAbsentReason, by the answer tables of :mod:`naltrack.adapters.fhir.codes`."""
    concept = at.get("valueCodeableConcept")
    if concept is not None:
        return _coded_answer(concept, codes.RESULT_VALUE, f"must be {_ANSWERS}")
    flag = at.get("valueBoolean")
    if flag is not None:
        return "positive" if flag.boolean() else "negative"
    text = at.get("valueString")
    if text is not None:
        answer = codes.RESULT_TEXT.get(" ".join(text.text().split()).lower())
        if answer is None:
            raise InvalidInput(text.path, text.text(), "must be Positive, Negative, POS, NEG, Detected or Not "
                               "detected (any case)")
        return answer
    for index, interpretation in enumerate(at.list_of("interpretation")):
        if any(key in codes.RESULT_INTERPRETATION for key, _ in codings(interpretation)):
            return _coded_answer(interpretation, codes.RESULT_INTERPRETATION, "")
        if at.get("dataAbsentReason") is None:
            raise InvalidInput(f"{at.path}.interpretation[{index}].coding", _named(interpretation),
                               "must be HL7 v3 ObservationInterpretation POS, NEG, DET or ND when there is no value")
    if at.get("dataAbsentReason") is not None:
        return "invalid"
    raise InvalidInput(f"{at.path}.valueCodeableConcept", None, "is required (positive or negative result)")


def _coded_answer(concept: At, table: dict[codes.Code, str], rule: str) -> str:
    for key, _ in codings(concept):
        if key in table:
            return table[key]
    raise InvalidInput(f"{concept.path}.coding", _named(concept), rule)


def _named(concept: At) -> str | None:
    """What an unread CodeableConcept says: its text or display, else its ``system|code`` pairs."""
    return concept_text(concept) or ", ".join(f"{s}|{c}" for (s, c), _ in codings(concept)) or None


def _analyte(at: At, analyte: str, out: ObservationBuckets) -> None:
    moment = effective(at).moment()
    result = _qualitative(at)
    screen = out.analytes.setdefault(moment, {})
    rank = {"positive": 2, "negative": 1, "invalid": 0}
    known = screen.get(analyte)
    # Two codes for one analyte at one collection (screen and confirmation): the positive wins.
    if known is None or rank[result] > rank[known.result]:
        screen[analyte] = AnalyteResult(analyte, result)  # type: ignore[arg-type]


def _pregnancy(at: At, key: tuple[str, str]) -> tuple[date, bool | None, bool | None]:
    day = effective(at).day()
    breastfeeding: bool | None = None
    for component in at.list_of("component"):
        if codes.BREASTFEEDING in [k for k, _ in codings(component.get("code"))]:
            breastfeeding = component.need("valueBoolean", "breastfeeding yes/no").boolean()
    if key == codes.HCG_URINE:
        result = _qualitative(at)
        return day, (None if result == "invalid" else result == "positive"), breastfeeding
    flag = at.get("valueBoolean")
    if flag is not None:
        return day, flag.boolean(), breastfeeding
    concept = at.need("valueCodeableConcept", "pregnancy status")
    for coding_key, _ in codings(concept):
        if coding_key in codes.PREGNANCY_VALUE:
            return day, codes.PREGNANCY_VALUE[coding_key], breastfeeding
    raise InvalidInput(f"{concept.path}.coding", concept_text(concept) or None,
                       "must be SNOMED 77386006 (pregnant), 60001007 (not pregnant) or 261665006 (unknown)")


def _total(at: At, rid: str, pid: str, instrument_id: str) -> QuestionnaireResponse:
    total, where = observed_number(at, "the total score")
    instrument = get_instrument(instrument_id)
    if not 0 <= total <= instrument.max_total:
        raise InvalidInput(where, total, f"must be between 0 and {instrument.max_total:g} for {instrument.id}")
    band = next((b.name for b in instrument.bands if b.low <= total <= b.high), instrument.bands[-1].name)
    notes = [n.get("text") for n in at.list_of("note")]
    flags = tuple(n.text()[len("flag: "):] for n in notes if n is not None and n.text().startswith("flag: "))
    return QuestionnaireResponse(id=rid, patient_id=pid, instrument=instrument.id, answers=(),
                                 completed_at=effective(at).moment(), total=total, band=band, flags=flags)


def read_questionnaire_response(at: At, rid: str, pid: str, sex: str | None = None) -> QuestionnaireResponse | None:
    """A QuestionnaireResponse of a naltrack instrument (``urn:naltrack:questionnaire:<id>``), scored on
    submit with the patient's sex (:func:`naltrack.domain.questionnaires.score_response`)."""
    questionnaire = at.get("questionnaire")
    instrument_id = questionnaire_instrument(questionnaire.text()) if questionnaire is not None else None
    if instrument_id is None:
        return None
    instrument = get_instrument(instrument_id)
    items = at.list_of("item")
    if not questionnaire.text().startswith(codes.LOCAL_QUESTIONNAIRE):  # type: ignore[union-attr]
        items = _loinc_items(items, instrument.id)  # a LOINC panel: its scored items, by the LOINC in linkId
    answers: list[int | float] = []
    for item in items:
        values = item.list_of("answer")
        if not values:
            raise InvalidInput(f"{item.path}.answer", None, "is required (one answer per item)")
        value = answer_points(values[0])[0]
        answers.append(int(value) if value.is_integer() else value)
    completed_at = at.need("authored", "when it was completed").moment()
    try:
        return score_response(sex, instrument.id, answers, id=rid, patient_id=pid, completed_at=completed_at)
    except InvalidInput as error:
        raise InvalidInput(f"{at.path}.item ({error.field})", error.value, error.rule) from error


def _loinc_items(items: list[At], instrument: str) -> list[At]:
    """The scored items of a LOINC questionnaire in the instrument's order (groups opened one level)."""
    flat = [child for item in items for child in ([item, *item.list_of("item")])]
    found: dict[int, At] = {}
    for item in flat:
        link = item.get("linkId")
        index = item_index(instrument, link.text()) if link is not None else None
        if index is not None and item.list_of("answer"):
            found.setdefault(index, item)
    return [found[i] for i in sorted(found)]


def _challenge(at: At, rid: str, pid: str, *, failed: bool) -> NaloxoneChallenge:
    equivocal = False
    if not failed:
        concept = at.need("valueCodeableConcept", "passed, failed or equivocal")
        keys = [k for k, _ in codings(concept)]
        if codes.CHALLENGE_FAILED in keys:
            failed = True
        elif codes.CHALLENGE_EQUIVOCAL in keys:
            equivocal = True
        elif codes.CHALLENGE_PASSED not in keys:
            raise InvalidInput(f"{concept.path}.coding", concept_text(concept) or None,
                               "must be SNOMED 1264554000 (failed), urn:naltrack:observation#passed or #equivocal")
    method = concept_text(at.get("method")).strip().lower()
    notes = [n.get("text") for n in at.list_of("note")]
    # Signs are kept even beside "passed": any sign means do not give naltrexone (clinical.md §2.2).
    signs = tuple(n.text()[len("sign: "):] for n in notes if n is not None and n.text().startswith("sign: "))
    return NaloxoneChallenge(id=rid, patient_id=pid, performed_at=effective(at).moment(),
                             route="sc" if method == "sc" else "iv", passed=not (failed or equivocal),
                             signs=signs, equivocal=equivocal)


def _last_use(at: At, rid: str, pid: str, substance: str) -> SubstanceUseReport:
    if substance not in SUBSTANCES:
        raise InvalidInput(f"{at.path}.code", substance, f"must name one of {', '.join(SUBSTANCES)}")
    last = at.need("valueDateTime", "the day of last use").day()
    reported = effective(at).day()
    return SubstanceUseReport(id=rid, patient_id=pid, substance=substance,
                              last_use=last, reported_on=max(reported, last))
