"""Scoring of the instruments in :mod:`naltrack.instruments.definitions`, and their export as
FHIR R4 Questionnaire resources (https://hl7.org/fhir/R4/questionnaire.html).

Examples
--------
>>> score("phq-9", [1, 1, 1, 1, 1, 0, 0, 0, 1])
Score(instrument='phq-9', total=6, band='mild', flags=('item-9-positive',), subscales=())
>>> bam_scores([1, 2, 1, 0, None, 0] + [None] * 7 + [2, 3, 1, 0, 2, 3, 4, 1, 3, 3])
BamScores(use=0, risk=7, protective=16)
>>> score("audit-c", [1, 1, 1], sex="female").band
'positive'
>>> score("audit-c", [1, 1, 1], sex="male").band
'negative'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from naltrack.errors import InvalidInput
from naltrack.instruments.definitions import LOINC, get_instrument
from naltrack.instruments.model import Band, Instrument, Item

#: The code system of an answer option's points in the exported Questionnaire.
ANSWER_POINTS = "urn:naltrack:answer-points"
#: Sexes accepted by :func:`score`; only ``male`` uses the higher AUDIT-C cut-off.
SEXES = ("female", "male", "intersex", "unknown")

@dataclass(frozen=True)
class Flag:
    """A flag a score can carry: a short label, what it asks of the clinician, and its source."""

    label: str
    meaning: str
    source: str


_BAM_SOURCE = "BAM manual, VA VISN 4 MIRECC / CESATE (instruments/bam.py)"

#: Flags a score can carry.
FLAGS: dict[str, Flag] = {
    "item-9-positive": Flag("Item 9 positive", "PHQ-9 item 9 (thoughts of self-harm) above 0: a safety assessment "
                            "is needed today", "clinical.md §5"),
    "further-evaluation": Flag("Evaluate further", "Total of 10 or more: evaluate further",
                               "PHQ-9 and GAD-7, clinical.md §5"),
    "escalate-zone": Flag("Consider the next zone", "AUDIT items 4-6 add up to 2 or more, or item 9 or 10 scores 4: "
                          "consider the next zone", "clinical.md §5"),
    "lower-cutoff-sex-unknown": Flag("Women's cut-off used", "Sex not given as male: the lower (women's) AUDIT-C "
                                     "cut-off was used, as the CDC/MITRE logic does for unknown sex",
                                     "clinical.md §5, USAUDIT row"),
    "bam-use": Flag("Alcohol or drug use", "BAM use score 1 or more: alcohol or drug use in the past 30 days",
                    _BAM_SOURCE),
    "bam-risk": Flag("Risk factors high", "BAM risk-factor score 12 or more: review what puts recovery at risk",
                     _BAM_SOURCE),
    "bam-protective": Flag("Protective factors low", "BAM protective-factor score 12 or below: little supports "
                           "the recovery", _BAM_SOURCE),
}
#: Each flag's meaning with its source, in one line.
FLAG_MEANINGS: dict[str, str] = {name: f"{flag.meaning} ({flag.source})" for name, flag in FLAGS.items()}


@dataclass(frozen=True)
class Score:
    """The result of scoring one response."""

    instrument: str
    total: int | float
    band: str
    flags: tuple[str, ...] = ()
    subscales: tuple[tuple[str, int | float], ...] = ()
    """``(name, score)`` of each subscale, in the instrument's order (the BAM's use, risk and protective);
    empty for an instrument scored by its total alone."""

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``naltrack score`` (``subscales`` only for an instrument that has them)."""
        shape: dict[str, object] = {"instrument": self.instrument, "total": self.total, "band": self.band,
                                    "flags": list(self.flags)}
        if self.subscales:
            shape["subscales"] = dict(self.subscales)
        return shape


@dataclass(frozen=True)
class BamScores:
    """The three scores of a Brief Addiction Monitor response."""

    use: int
    risk: int
    protective: int


def score(instrument_id: str, answers: Sequence[int | float | None], *, sex: str | None = None) -> Score:
    """Score one complete response.

    Parameters
    ----------
    instrument_id : str
        ``audit``, ``audit-c``, ``cage``, ``dast-10``, ``phq-9``, ``gad-7``, ``cows``,
        ``craving-vas`` or ``bam`` (case-insensitive).
    answers : sequence of numbers
        The points of each item, in form order (yes/no items: 1 yes, 0 no; DAST-10 item 3
        is given as answered and reversed here). An item the form skips (BAM item 5 after
        0 days of alcohol) may be ``None``: it scores 0.
    sex : str, optional
        ``female`` or ``male`` (AUDIT-C cut-offs differ); anything but ``male`` uses the
        lower cut-off.

    Returns
    -------
    Score
        Total, band and flags, and the subscales' scores with a flag for each one in its
        clinically significant range (the BAM, whose stored total is its use score).

    Raises
    ------
    InvalidInput
        For an unknown instrument, a wrong number of answers, or an answer that is missing,
        not a number, not allowed for its item, or given to a skipped item; the error names the item.
    """
    instrument = get_instrument(instrument_id)
    points = _checked_points(instrument, answers)
    if sex is not None and sex not in SEXES:
        raise InvalidInput("sex", sex, f"must be one of {', '.join(SEXES)}")
    discrete = _all_discrete(instrument)
    subscales = tuple((sub.name, _number(math.fsum(points[i] for i in indices), discrete))
                      for sub, indices in zip(instrument.subscales, _subscale_indices(instrument), strict=True))
    if instrument.total_subscale is not None:
        total_float = float(dict(subscales)[instrument.total_subscale])
    else:
        total_float = math.fsum(points)
    bands = instrument.bands_female if instrument.bands_female and sex != "male" else instrument.bands
    flags = _flags(instrument, points, total_float, sex) + tuple(
        s.flag for s, (_, value) in zip(instrument.subscales, subscales, strict=True) if s.is_concern(value))
    return Score(instrument.id, _number(total_float, discrete), _band_of(bands, total_float), flags, subscales)


def bam_scores(answers: Sequence[int | float | None]) -> BamScores:
    """The use, risk-factor and protective-factor scores of a Brief Addiction Monitor response.

    Parameters
    ----------
    answers : sequence of numbers
        The 23 answers in form order (items 1-6, 7A-7G, 8-17), as :func:`score` takes them for ``bam``.

    Returns
    -------
    BamScores
        Use (items 4+5+6, 0-12), risk (1+2+3+8+11+15, 0-24) and protective (9+10+12+13+14+16, 0-24).

    Raises
    ------
    InvalidInput
        As :func:`score`, naming the item.
    """
    scores = dict(score("bam", answers).subscales)
    return BamScores(use=int(scores["use"]), risk=int(scores["risk"]), protective=int(scores["protective"]))


def stored_bam_scores(answers: Sequence[float]) -> BamScores | None:
    """:func:`bam_scores` of a stored response, whose answers were checked when it was scored.

    The stored answers are the points of each item in form order (a skipped item stored as 0), so the
    scores are their sums over each subscale's items, without checking each answer again: the program's
    measures read tens of thousands of responses at once. ``None`` for a response stored without its
    item answers (a total brought in alone).

    Examples
    --------
    >>> stored_bam_scores([1, 2, 1, 3, 2, 1] + [0] * 7 + [2, 3, 1, 0, 4, 2, 4, 3, 1, 2])
    BamScores(use=6, risk=9, protective=15)
    >>> stored_bam_scores([]) is None
    True
    """
    count, use, risk, protective = _bam_items()
    if len(answers) != count:
        return None
    return BamScores(use=int(sum(use(answers))), risk=int(sum(risk(answers))),
                     protective=int(sum(protective(answers))))


@functools.cache
def _bam_items() -> tuple[int, itemgetter[Any], itemgetter[Any], itemgetter[Any]]:
    """The BAM's item count and a getter of each subscale's answers (use, risk, protective), found once."""
    instrument = get_instrument("bam")
    getters = {sub.name: itemgetter(*indices) for sub, indices in zip(instrument.subscales, _indices_of("bam"),
                                                                       strict=True)}
    return instrument.item_count, getters["use"], getters["risk"], getters["protective"]


def _number(value: float, discrete: bool) -> int | float:
    return int(value) if discrete and value.is_integer() else value


def _subscale_indices(instrument: Instrument) -> tuple[tuple[int, ...], ...]:
    """The positions of each subscale's items among the instrument's answers (found once per instrument)."""
    return _indices_of(instrument.id) if instrument.subscales else ()


@functools.cache
def _indices_of(instrument_id: str) -> tuple[tuple[int, ...], ...]:
    instrument = get_instrument(instrument_id)
    return tuple(tuple(n for n, item in enumerate(instrument.items) if item.link_id in sub.link_ids)
                 for sub in instrument.subscales)


def _all_discrete(instrument: Instrument) -> bool:
    return _discrete(instrument.id)


@functools.cache
def _discrete(instrument_id: str) -> bool:
    return not any(item.is_continuous for item in get_instrument(instrument_id).items)


def _checked_points(instrument: Instrument, answers: Sequence[int | float | None]) -> list[float]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InvalidInput("answers", answers, "must be a list of numbers, one per item")
    if len(answers) > instrument.item_count:
        raise InvalidInput("answers", len(answers),
                           f"answers given; {instrument.id} has {instrument.item_count} items")
    points: list[float] = []
    given: dict[str, object] = {}
    for index, item in enumerate(instrument.items):
        answer = answers[index] if index < len(answers) else None
        if item.skipped_when is not None and given.get(item.skipped_when[0]) == item.skipped_when[1]:
            points.append(_skipped_points(instrument, item, answer))
            continue
        if answer is None:
            raise InvalidInput(_field(instrument, item), None,
                               f"is missing: {instrument.id} needs all {instrument.item_count} answers")
        points.append(_item_points(instrument, item, answer))
        given[item.link_id] = answer
    return points


def _field(instrument: Instrument, item: Item) -> str:
    """How an error names the item: ``phq-9.phq-9-9 (Thoughts of self-harm ...)``."""
    return f"{instrument.id}.{item.link_id} ({item.label})"


def _skipped_points(instrument: Instrument, item: Item, answer: object) -> float:
    """A skipped item scores 0: left out, or answered 0 (BAM item 5 after 0 days of alcohol)."""
    if answer is None or (not isinstance(answer, bool) and answer == 0):
        return 0.0
    link_id, value = item.skipped_when or ("", 0.0)
    asked = next(i for i in instrument.items if i.link_id == link_id)
    raise InvalidInput(_field(instrument, item), answer, f"must be 0 or left out: the item is skipped when "
                                                         f"{link_id} ({asked.label}) is {value:g}")


def _item_points(instrument: Instrument, item: Item, answer: object) -> float:
    if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
        raise InvalidInput(_field(instrument, item), answer, "must be a number")
    if item.is_continuous:
        low, high = float(item.low or 0.0), float(item.high or 0.0)
        if not low <= answer <= high:
            raise InvalidInput(_field(instrument, item), answer, f"must be between {low:g} and {high:g}")
        return float(answer)
    if answer not in item.allowed:
        allowed = ", ".join(f"{a:g}" for a in item.allowed)
        raise InvalidInput(_field(instrument, item), answer, f"must be one of {allowed}")
    # Reverse scoring (DAST-10 item 3, clinical.md §5): a "no" scores the point.
    return float(max(item.allowed) - answer) if item.reverse else float(answer)


def _band_of(bands: tuple[Band, ...], total: float) -> str:
    for band in bands:
        if band.low <= total <= band.high:
            return band.name
    # Continuous totals can fall between integer bands (e.g. 4.5): take the highest band reached.
    reached = [b for b in bands if total >= b.low]
    return reached[-1].name if reached else bands[0].name


def _flags(instrument: Instrument, points: list[float], total: float, sex: str | None) -> tuple[str, ...]:
    flags: list[str] = []
    if instrument.id == "phq-9" and points[8] > 0:
        flags.append("item-9-positive")
    if instrument.id in ("phq-9", "gad-7") and total >= 10:
        flags.append("further-evaluation")
    if instrument.id == "audit" and (sum(points[3:6]) >= 2 or 4 in (points[8], points[9])):
        flags.append("escalate-zone")
    if instrument.id == "audit-c" and sex != "male" and sex != "female":
        flags.append("lower-cutoff-sex-unknown")
    return tuple(flags)


def to_fhir_questionnaire(instrument_id: str) -> dict[str, Any]:
    """The instrument as a FHIR R4 Questionnaire (a plain dict, ready for ``json.dumps``).

    Discrete items are ``choice`` items whose ``answerOption.valueCoding.code`` is the points
    of the option; the continuous craving scale is a ``decimal`` item bounded by the
    ``minValue``/``maxValue`` extensions.

    Examples
    --------
    >>> q = to_fhir_questionnaire("gad-7")
    >>> q["resourceType"], q["code"][0]["code"], len(q["item"])
    ('Questionnaire', '69737-5', 7)
    """
    instrument = get_instrument(instrument_id)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.id,
        "url": f"urn:naltrack:questionnaire:{instrument.id}",
        "name": instrument.id.replace("-", "_").upper(),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"Bands and source: {instrument.source}. {instrument.code_note}".strip(),
        "item": [_fhir_item(item) for item in instrument.items],
    }
    if instrument.panel_loinc:
        resource["code"] = [{"system": LOINC, "code": instrument.panel_loinc}]
    return resource


def _fhir_item(item: Item) -> dict[str, Any]:
    if item.is_continuous:
        return {
            "linkId": item.link_id, "text": item.label, "type": "decimal", "required": True,
            "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": item.low},
                {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": item.high},
            ],
        }
    options = [{"valueCoding": {"system": ANSWER_POINTS, "code": f"{points:g}", "display": label}}
               for points, label in zip(item.allowed, item.option_labels, strict=True)]
    resource: dict[str, Any] = {"linkId": item.link_id, "text": item.label, "type": "choice", "required": True,
                                "answerOption": options}
    if item.skipped_when is not None:  # asked only when the earlier item is not answered so
        link_id, value = item.skipped_when
        resource["enableWhen"] = [{"question": link_id, "operator": "!=",
                                   "answerCoding": {"system": ANSWER_POINTS, "code": f"{value:g}"}}]
    return resource
