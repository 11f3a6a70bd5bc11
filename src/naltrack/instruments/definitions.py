"""Screening and severity instruments as data: items, allowed answers, bands and codes.

Every cut-off comes from ``../shared/reference/clinical.md`` (cited as ``clinical.md §N``), the BAM's
from its manual (:mod:`naltrack.instruments.bam`). The shapes are in :mod:`naltrack.instruments.model`.
Item labels are short topic names written for naltrack, not the instruments' item wording;
clinics print their licensed forms. Each option of an item carries the answer wording of the
published instrument (cited where it is defined), and each band a plain label for clinicians;
the band's ``name`` is what is stored. Answers are given in form order, one number per item:
the points of the chosen option (0/1 for yes/no items, 1 meaning "yes").

Examples
--------
>>> get_instrument("PHQ-9").item_count
9
>>> get_instrument("cows").max_total
48
>>> get_instrument("audit").band_label("zone-ii")
'Zone II: hazardous drinking — simple advice'
"""

from __future__ import annotations

import re

from naltrack.errors import InvalidInput
from naltrack.instruments.bam import BAM
from naltrack.instruments.model import Band as Band
from naltrack.instruments.model import Instrument as Instrument
from naltrack.instruments.model import Item as Item

LOINC = "http://loinc.org"

# PHQ-9 and GAD-7 answer wording over the last 2 weeks (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006).
FREQ_0_3 = ("Not at all", "Several days", "More than half the days", "Nearly every day")
YES_NO = ("No", "Yes")


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
# Items 1-8 score 0-4; items 9-10 score 0, 2 or 4 (clinical.md §5, AUDIT). Answer wording of the WHO
# interview version: Babor, Higgins-Biddle, Saunders & Monteiro, AUDIT, 2nd ed., WHO/MSD/MSB/01.6a (2001), Box 4.
_AUDIT_OFTEN = ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily")
_AUDIT_OPTIONS = (
    ("Never", "Monthly or less", "2-4 times a month", "2-3 times a week", "4 or more times a week"),
    ("1 or 2", "3 or 4", "5 or 6", "7, 8 or 9", "10 or more"),
    *([_AUDIT_OFTEN] * 6),
    *([("No", "Yes, but not in the last year", "Yes, during the last year")] * 2),
)
_AUDIT_ITEMS = tuple(
    Item(f"audit-{n}", label, (0, 1, 2, 3, 4) if n <= 8 else (0, 2, 4), options)
    for n, (label, options) in enumerate(zip(_AUDIT_LABELS, _AUDIT_OPTIONS, strict=True), start=1)
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
# items' points are those of the same published form, whose maximum adds up to the 48 of §2.4. The answer
# wording is that form's (Wesson & Ling, J Psychoactive Drugs 2003;35:253-259, appendix).
def _cows_item(n: int, label: str, answers: dict[float, str]) -> Item:
    """COWS item ``n``: each score of the published form with its wording."""
    return Item(f"cows-{n}", label, tuple(answers), tuple(answers.values()))


_COWS_ITEMS = (
    _cows_item(1, "Resting pulse rate", {0: "80 or below", 1: "81-100", 2: "101-120", 4: "Greater than 120"}),
    _cows_item(2, "Sweating over the past half hour",
               {0: "No report of chills or flushing", 1: "Subjective report of chills or flushing",
                2: "Flushed or observable moistness on face", 3: "Beads of sweat on brow or face",
                4: "Sweat streaming off face"}),
    _cows_item(3, "Restlessness",
               {0: "Able to sit still", 1: "Reports difficulty sitting still, but is able to do so",
                3: "Frequent shifting or extraneous movements of legs or arms",
                5: "Unable to sit still for more than a few seconds"}),
    _cows_item(4, "Pupil size",
               {0: "Pupils pinned or normal size for room light",
                1: "Pupils possibly larger than normal for room light", 2: "Pupils moderately dilated",
                5: "Pupils so dilated that only the rim of the iris is visible"}),
    _cows_item(5, "Bone or joint aches",
               {0: "Not present", 1: "Mild diffuse discomfort", 2: "Reports severe diffuse aching of joints or muscles",
                4: "Rubbing joints or muscles and unable to sit still because of discomfort"}),
    _cows_item(6, "Runny nose or tearing",
               {0: "Not present", 1: "Nasal stuffiness or unusually moist eyes", 2: "Nose running or tearing",
                4: "Nose constantly running or tears streaming down cheeks"}),
    _cows_item(7, "GI upset over the last half hour",
               {0: "No GI symptoms", 1: "Stomach cramps", 2: "Nausea or loose stool", 3: "Vomiting or diarrhea",
                5: "Multiple episodes of diarrhea or vomiting"}),
    _cows_item(8, "Tremor of outstretched hands",
               {0: "No tremor", 1: "Tremor can be felt, but not observed", 2: "Slight tremor observable",
                4: "Gross tremor or muscle twitching"}),
    _cows_item(9, "Yawning",
               {0: "No yawning", 1: "Yawning once or twice during assessment",
                2: "Yawning three or more times during assessment", 4: "Yawning several times a minute"}),
    _cows_item(10, "Anxiety or irritability",
               {0: "None", 1: "Reports increasing irritability or anxiousness", 2: "Obviously irritable or anxious",
                4: "So irritable or anxious that participation in the assessment is difficult"}),
    _cows_item(11, "Gooseflesh skin",
               {0: "Skin is smooth", 3: "Piloerection of skin can be felt or hairs standing up on arms",
                5: "Prominent piloerection"}),
)

_AUDIT_C_NEGATIVE = "Negative screen for unhealthy drinking"
_AUDIT_C_POSITIVE = "Positive screen for unhealthy drinking — assess further"

INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        "audit", "Alcohol Use Disorders Identification Test (AUDIT)", _AUDIT_ITEMS,
        (Band("zone-i", 0, 7, "Zone I: low-risk drinking — alcohol education"),
         Band("zone-ii", 8, 15, "Zone II: hazardous drinking — simple advice"),
         Band("zone-iii", 16, 19, "Zone III: harmful drinking — simple advice, brief counselling and monitoring"),
         Band("zone-iv", 20, 40, "Zone IV: possible dependence — referral to a specialist")),
        "clinical.md §5 (AUDIT; WHO zones, Babor 2001)",
        total_loinc="75624-7", code_note="AUDIT panel LOINC UNCONFIRMED (clinical.md §5)",
    ),
    Instrument(
        "audit-c", "AUDIT-C (AUDIT items 1-3)",
        tuple(Item(f"audit-c-{n}", it.label, it.allowed, it.option_labels)
              for n, it in enumerate(_AUDIT_ITEMS[:3], start=1)),
        (Band("negative", 0, 3, _AUDIT_C_NEGATIVE), Band("positive", 4, 12, _AUDIT_C_POSITIVE)),
        "clinical.md §5 (AUDIT-C: positive >=4 men, >=3 women)",
        bands_female=(Band("negative", 0, 2, _AUDIT_C_NEGATIVE), Band("positive", 3, 12, _AUDIT_C_POSITIVE)),
        total_loinc="75626-2", panel_loinc="72109-2", aliases=("auditc",),
    ),
    Instrument(
        "cage", "CAGE questionnaire",
        _scale("cage", ("Felt you should cut down", "Annoyed by criticism", "Felt guilty about drinking",
                        "Eye-opener drink in the morning"), (0, 1), YES_NO),
        (Band("not-significant", 0, 1, "Not clinically significant"),
         Band("clinically-significant", 2, 4, "Clinically significant: 2 or more answers yes")),
        "clinical.md §5 (CAGE >=2 clinically significant)",
        code_note="no LOINC for CAGE: UNCONFIRMED (clinical.md §5)",
    ),
    Instrument(
        "dast-10", "Drug Abuse Screening Test (DAST-10)", _DAST_ITEMS,
        (Band("none", 0, 0, "No drug-related problems reported"),
         Band("low", 1, 2, "Low level of drug-related problems"),
         Band("moderate", 3, 5, "Moderate level of drug-related problems"),
         Band("substantial", 6, 8, "Substantial level of drug-related problems"),
         Band("severe", 9, 10, "Severe level of drug-related problems")),
        "clinical.md §5 (DAST-10; item 3 reverse-scored)",
        total_loinc="82667-7", panel_loinc="82666-9", aliases=("dast10", "dast"),
    ),
    Instrument(
        "phq-9", "Patient Health Questionnaire (PHQ-9)", _scale("phq-9", _PHQ9_LABELS, (0, 1, 2, 3), FREQ_0_3),
        (Band("minimal", 0, 4, "Minimal depression"), Band("mild", 5, 9, "Mild depression"),
         Band("moderate", 10, 14, "Moderate depression"),
         Band("moderately-severe", 15, 19, "Moderately severe depression"),
         Band("severe", 20, 27, "Severe depression")),
        "clinical.md §5 (PHQ-9; item 9 starts the safety workflow)",
        total_loinc="44261-6", panel_loinc="44249-1", aliases=("phq9",),
    ),
    Instrument(
        "gad-7", "Generalized Anxiety Disorder scale (GAD-7)", _scale("gad-7", _GAD7_LABELS, (0, 1, 2, 3), FREQ_0_3),
        (Band("minimal", 0, 4, "Minimal anxiety"), Band("mild", 5, 9, "Mild anxiety"),
         Band("moderate", 10, 14, "Moderate anxiety"), Band("severe", 15, 21, "Severe anxiety")),
        "clinical.md §5 (GAD-7)",
        total_loinc="70274-6", panel_loinc="69737-5", aliases=("gad7",),
    ),
    Instrument(
        "cows", "Clinical Opiate Withdrawal Scale (COWS)", _COWS_ITEMS,
        (Band("none", 0, 4, "Below the mild withdrawal range"), Band("mild", 5, 12, "Mild withdrawal"),
         Band("moderate", 13, 24, "Moderate withdrawal"),
         Band("moderately-severe", 25, 36, "Moderately severe withdrawal"),
         Band("severe", 37, 48, "Severe withdrawal")),
        "clinical.md §2.4 (COWS 0-48; 5-12 mild, 13-24 moderate, 25-36 moderately severe, >36 severe)",
        code_note="no COWS LOINC in the reference: UNCONFIRMED",
    ),
    Instrument(
        "craving-vas", "Craving visual analogue scale (0-10)",
        (Item("craving-vas-1", "Strength of craving right now (0 none, 10 strongest)", low=0.0, high=10.0),),
        (Band("unbanded", 0, 10, "Not banded: the scale has no published cut-offs"),),
        "clinical.md §6 (craving measured on a VAS; no cut-offs are given, so the score is not banded)",
        code_note="no LOINC for the craving VAS in the reference", aliases=("vas", "craving"),
    ),
    BAM,
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


def band_label(instrument_id: str, band: str) -> str:
    """The plain label of a stored band of an instrument; the band as stored when either is unknown.

    Examples
    --------
    >>> band_label("phq-9", "moderately-severe")
    'Moderately severe depression'
    """
    found = _BY_ID.get(instrument_key(instrument_id))
    return found.band_label(band) if found is not None else band


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
