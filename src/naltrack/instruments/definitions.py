"""Screening and severity instruments as data: items, allowed answers, bands and codes.

Every cut-off comes from ``../shared/reference/clinical.md`` (cited as ``clinical.md §N``).
Item labels are short topic names written for naltrack, not the instruments' item wording;
clinics print their licensed forms. Answers are given in form order, one number per item:
the points of the chosen option (0/1 for yes/no items, 1 meaning "yes").

Examples
--------
>>> get_instrument("PHQ-9").item_count
9
>>> get_instrument("cows").max_total
48
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from naltrack.errors import InvalidInput

LOINC = "http://loinc.org"

FREQ_0_3 = ("Not at all", "Several days", "More than half the days", "Nearly every day")
YES_NO = ("No", "Yes")


@dataclass(frozen=True)
class Item:
    """One item: its allowed answers (discrete points) or a continuous range."""

    link_id: str
    label: str
    allowed: tuple[float, ...] = ()
    option_labels: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    reverse: bool = False

    @property
    def is_continuous(self) -> bool:
        return not self.allowed

    @property
    def max_points(self) -> float:
        if self.is_continuous:
            return float(self.high or 0.0)
        return max(self.allowed)


@dataclass(frozen=True)
class Band:
    """A named score range, ``low <= total <= high``."""

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class Instrument:
    """An instrument: items, bands (by sex when the cut-offs differ) and its codes."""

    id: str
    title: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    source: str
    bands_female: tuple[Band, ...] = ()
    total_loinc: str | None = None
    panel_loinc: str | None = None
    code_note: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def max_total(self) -> float:
        return sum(i.max_points for i in self.items)


def _scale(prefix: str, labels: tuple[str, ...], allowed: tuple[float, ...],
           option_labels: tuple[str, ...] = ()) -> tuple[Item, ...]:
    return tuple(
        Item(f"{prefix}-{n}", label, allowed, option_labels) for n, label in enumerate(labels, start=1)
    )


_AUDIT_LABELS = (
    "How often a drink containing alcohol", "Drinks on a typical drinking day", "How often six or more drinks",
    "Unable to stop once started", "Failed to do what was expected", "Needed a first drink in the morning",
    "Guilt or remorse after drinking", "Unable to remember the night before", "Injury because of drinking",
    "Others concerned about the drinking",
)
# Items 1-8 score 0-4; items 9-10 score 0, 2 or 4 (clinical.md §5, AUDIT).
_AUDIT_ITEMS = tuple(
    Item(f"audit-{n}", label, (0, 1, 2, 3, 4) if n <= 8 else (0, 2, 4))
    for n, label in enumerate(_AUDIT_LABELS, start=1)
)

_DAST_LABELS = (
    "Used drugs other than for medical reasons", "Used more than one drug at a time",
    "Always able to stop using drugs when wanted", "Blackouts or flashbacks from drug use",
    "Felt bad or guilty about drug use", "Spouse or parents complained about drug use",
    "Neglected family because of drug use", "Illegal activities to obtain drugs",
    "Withdrawal symptoms when stopping drugs", "Medical problems from drug use",
)
# DAST-10 item 3 is reverse-scored: "no" scores 1 (clinical.md §5, DAST-10).
_DAST_ITEMS = tuple(
    Item(f"dast-{n}", label, (0, 1), YES_NO, reverse=(n == 3)) for n, label in enumerate(_DAST_LABELS, start=1)
)

_PHQ9_LABELS = (
    "Little interest or pleasure in doing things", "Feeling down, depressed or hopeless",
    "Trouble with sleep", "Feeling tired or little energy", "Poor appetite or overeating",
    "Feeling bad about yourself", "Trouble concentrating", "Moving or speaking slowly, or restless",
    "Thoughts of self-harm or of being better off dead",
)
_GAD7_LABELS = (
    "Feeling nervous, anxious or on edge", "Not able to stop or control worrying", "Worrying too much",
    "Trouble relaxing", "So restless that it is hard to sit still", "Easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)

# COWS: 11 clinician-rated items in the order of the published form (Wesson & Ling 2003, cited in
# clinical.md §2.4). Pulse (0/1/2/4) and GI upset (0/1/2/3/5) are quoted in clinical.md §2.4; the other
# items' points are those of the same published form, whose maximum adds up to the 48 of §2.4.
_COWS_ITEMS = (
    Item("cows-1", "Resting pulse rate (<=80: 0, 81-100: 1, 101-120: 2, >120: 4)", (0, 1, 2, 4)),
    Item("cows-2", "Sweating", (0, 1, 2, 3, 4)),
    Item("cows-3", "Restlessness", (0, 1, 3, 5)),
    Item("cows-4", "Pupil size", (0, 1, 2, 5)),
    Item("cows-5", "Bone or joint aches", (0, 1, 2, 4)),
    Item("cows-6", "Runny nose or tearing", (0, 1, 2, 4)),
    Item("cows-7", "GI upset over the last half hour", (0, 1, 2, 3, 5)),
    Item("cows-8", "Tremor of outstretched hands", (0, 1, 2, 4)),
    Item("cows-9", "Yawning", (0, 1, 2, 4)),
    Item("cows-10", "Anxiety or irritability", (0, 1, 2, 4)),
    Item("cows-11", "Gooseflesh skin", (0, 3, 5)),
)

INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        "audit", "Alcohol Use Disorders Identification Test (AUDIT)", _AUDIT_ITEMS,
        (Band("zone-i", 0, 7), Band("zone-ii", 8, 15), Band("zone-iii", 16, 19), Band("zone-iv", 20, 40)),
        "clinical.md §5 (AUDIT; WHO zones, Babor 2001)",
        total_loinc="75624-7", code_note="AUDIT panel LOINC UNCONFIRMED (clinical.md §5)",
    ),
    Instrument(
        "audit-c", "AUDIT-C (AUDIT items 1-3)",
        tuple(Item(f"audit-c-{n}", it.label, it.allowed) for n, it in enumerate(_AUDIT_ITEMS[:3], start=1)),
        (Band("negative", 0, 3), Band("positive", 4, 12)),
        "clinical.md §5 (AUDIT-C: positive >=4 men, >=3 women)",
        bands_female=(Band("negative", 0, 2), Band("positive", 3, 12)),
        total_loinc="75626-2", panel_loinc="72109-2", aliases=("auditc",),
    ),
    Instrument(
        "cage", "CAGE questionnaire",
        _scale("cage", ("Felt you should cut down", "Annoyed by criticism", "Felt guilty about drinking",
                        "Eye-opener drink in the morning"), (0, 1), YES_NO),
        (Band("not-significant", 0, 1), Band("clinically-significant", 2, 4)),
        "clinical.md §5 (CAGE >=2 clinically significant)",
        code_note="no LOINC for CAGE: UNCONFIRMED (clinical.md §5)",
    ),
    Instrument(
        "dast-10", "Drug Abuse Screening Test (DAST-10)", _DAST_ITEMS,
        (Band("none", 0, 0), Band("low", 1, 2), Band("moderate", 3, 5), Band("substantial", 6, 8),
         Band("severe", 9, 10)),
        "clinical.md §5 (DAST-10; item 3 reverse-scored)",
        total_loinc="82667-7", panel_loinc="82666-9", aliases=("dast10", "dast"),
    ),
    Instrument(
        "phq-9", "Patient Health Questionnaire (PHQ-9)", _scale("phq-9", _PHQ9_LABELS, (0, 1, 2, 3), FREQ_0_3),
        (Band("minimal", 0, 4), Band("mild", 5, 9), Band("moderate", 10, 14), Band("moderately-severe", 15, 19),
         Band("severe", 20, 27)),
        "clinical.md §5 (PHQ-9; item 9 starts the safety workflow)",
        total_loinc="44261-6", panel_loinc="44249-1", aliases=("phq9",),
    ),
    Instrument(
        "gad-7", "Generalized Anxiety Disorder scale (GAD-7)", _scale("gad-7", _GAD7_LABELS, (0, 1, 2, 3), FREQ_0_3),
        (Band("minimal", 0, 4), Band("mild", 5, 9), Band("moderate", 10, 14), Band("severe", 15, 21)),
        "clinical.md §5 (GAD-7)",
        total_loinc="70274-6", panel_loinc="69737-5", aliases=("gad7",),
    ),
    Instrument(
        "cows", "Clinical Opiate Withdrawal Scale (COWS)", _COWS_ITEMS,
        (Band("none", 0, 4), Band("mild", 5, 12), Band("moderate", 13, 24), Band("moderately-severe", 25, 36),
         Band("severe", 37, 48)),
        "clinical.md §2.4 (COWS 0-48; 5-12 mild, 13-24 moderate, 25-36 moderately severe, >36 severe)",
        code_note="no COWS LOINC in the reference: UNCONFIRMED",
    ),
    Instrument(
        "craving-vas", "Craving visual analogue scale (0-10)",
        (Item("craving-vas-1", "Strength of craving right now (0 none, 10 strongest)", low=0.0, high=10.0),),
        (Band("unbanded", 0, 10),),
        "clinical.md §6 (craving measured on a VAS; no cut-offs are given, so the score is not banded)",
        code_note="no LOINC for the craving VAS in the reference", aliases=("vas", "craving"),
    ),
)

def instrument_key(name: str) -> str:
    """``"PHQ-9"`` -> ``"phq9"``: an instrument's name without case or punctuation, the key it is found by."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_BY_ID: dict[str, Instrument] = {}
for _instrument in INSTRUMENTS:
    _BY_ID[instrument_key(_instrument.id)] = _instrument
    for _alias in _instrument.aliases:
        _BY_ID[instrument_key(_alias)] = _instrument


def instrument_ids() -> tuple[str, ...]:
    """The ids accepted by :func:`get_instrument` (without aliases)."""
    return tuple(i.id for i in INSTRUMENTS)


def get_instrument(instrument_id: str) -> Instrument:
    """The definition of an instrument, by id (case-insensitive; ``PHQ9`` and ``phq-9`` both work).

    Raises
    ------
    InvalidInput
        For an unknown id, naming the ids that exist.
    """
    found = _BY_ID.get(instrument_key(instrument_id))
    if found is None:
        raise InvalidInput("instrument", instrument_id, f"is not an instrument ({', '.join(instrument_ids())})")
    return found
