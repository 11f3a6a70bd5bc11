"""The Brief Addiction Monitor (BAM): 17 items about the past 30 days, scored as three subscales.

Sources: the BAM manual and form of the VA VISN 4 MIRECC and the Center of Excellence in Substance
Addiction Treatment and Education (CESATE), as reprinted in the public BAM form
(https://raw.githubusercontent.com/jjcurtin/arc_measures/main/BAM/BAM.pdf: the answer wording of item 1 and
of the day counts, "0 (skip to #6)" at item 4 and "if 0, skip to #8" at item 6); the scoring summaries of
the manual (https://flutter.super.site/dc7fb3e885354298a8707c7cb8f0835f: use = items 4 + 5 + 6, risk =
1 + 2 + 3 + 8 + 11 + 15, protective = 9 + 10 + 12 + 13 + 14 + 16, items 7A-7G and 17 in no subscale;
https://ebchelp.blueprint.ai/en/articles/3945380-brief-addiction-monitor-bam: ranges 0-12, 0-24, 0-24,
clinically significant use 1 or more, risk 12 or more, protection 12 or below, and no total score); Cacciola
et al., Development and initial evaluation of the Brief Addiction Monitor, J Subst Abuse Treat
2013;44(3):256-263 (https://pmc.ncbi.nlm.nih.gov/articles/PMC3602977).

The manual scores no total ("multi-dimensional, with no single summary score validated"). A stored
response still carries one number as its total (the REST API, the FHIR export and import read it): naltrack
stores the use score there (:attr:`~naltrack.instruments.model.Instrument.total_subscale`), and the band
``scored-by-subscale`` says that the three scores, not a total, are what the BAM reports; each score in its
clinically significant range raises its own flag (``bam-use``, ``bam-risk``, ``bam-protective``). Item labels
are short topic names written for naltrack, not the BAM's wording.
"""

from __future__ import annotations

from naltrack.instruments.model import Band, Instrument, Item, Subscale

#: Days in the past 30, answered in five ranges scored 0-4 (BAM form).
DAY_RANGES = ("0 days", "1-3 days", "4-8 days", "9-15 days", "16-30 days")
#: The 0-4 ratings: "Not at all" and "Extremely" are the BAM form's ends; the three between are UNCONFIRMED.
RATINGS = ("Not at all", "Slightly", "Moderately", "Considerably", "Extremely")
#: Item 1 (BAM form).
HEALTH = ("Excellent", "Very good", "Good", "Fair", "Poor")
_POINTS = (0.0, 1.0, 2.0, 3.0, 4.0)

_DRUGS = (("a", "marijuana (cannabis)"), ("b", "sedatives or tranquilizers"), ("c", "cocaine or crack"),
          ("d", "other stimulants"), ("e", "opiates"), ("f", "inhalants"), ("g", "other drugs"))


def _days(number: str, label: str, skipped_when: tuple[str, float] | None = None) -> Item:
    return Item(f"bam-{number}", label, _POINTS, DAY_RANGES, skipped_when=skipped_when, number=number.upper())


def _rating(number: str, label: str) -> Item:
    return Item(f"bam-{number}", label, _POINTS, RATINGS, number=number)


#: The items in form order: 1-6, 7A-7G, 8-17 (23 answers).
BAM_ITEMS: tuple[Item, ...] = (
    Item("bam-1", "Physical health", _POINTS, HEALTH, number="1"),
    _days("2", "Nights of trouble falling or staying asleep"),
    _days("3", "Days upset, depressed, anxious or angry most of the day"),
    _days("4", "Days with any alcohol"),
    _days("5", "Days of heavy drinking (5 or more drinks; 4 for women and over 65)", ("bam-4", 0.0)),
    _days("6", "Days using street drugs or misusing prescription drugs"),
    *(_days(f"7{letter}", f"Days using {drug}", ("bam-6", 0.0)) for letter, drug in _DRUGS),
    _rating("8", "Bothered by cravings for alcohol or drugs"),
    _rating("9", "Confidence in staying abstinent over the next 30 days"),
    _days("10", "Days at self-help meetings"),
    _days("11", "Days in risky situations (people or places tied to use)"),
    _rating("12", "Religion or spirituality helped the recovery"),
    _days("13", "Days of work, school or volunteering"),
    Item("bam-14", "Enough legal income for necessities", (0.0, 4.0), ("No", "Yes"), number="14"),
    _rating("15", "Bothered by arguments or problems with family or friends"),
    _days("16", "Days with family or friends who support the recovery"),
    _rating("17", "Satisfied with progress towards recovery goals"),
)

USE = Subscale("use", "Substance use", ("bam-4", "bam-5", "bam-6"), "bam-use", concern_from=1)
RISK = Subscale("risk", "Risk factors", ("bam-1", "bam-2", "bam-3", "bam-8", "bam-11", "bam-15"), "bam-risk",
                concern_from=12)
PROTECTIVE = Subscale("protective", "Protective factors", ("bam-9", "bam-10", "bam-12", "bam-13", "bam-14", "bam-16"),
                      "bam-protective", concern_up_to=12)

BAM = Instrument(
    "bam", "Brief Addiction Monitor (BAM)", BAM_ITEMS,
    (Band("scored-by-subscale", 0, 12, "Scored by subscale (no total score)"),),
    "BAM manual and form, VA VISN 4 MIRECC / CESATE; Cacciola et al., J Subst Abuse Treat 2013;44:256-263: "
    "use = items 4+5+6 (0-12, 1 or more clinically significant), risk = 1+2+3+8+11+15 (0-24, 12 or more), "
    "protective = 9+10+12+13+14+16 (0-24, 12 or below); items 7A-7G and 17 in no score; item 5 skipped "
    "after 0 days of alcohol, items 7A-7G after 0 days of drugs",
    code_note="LOINC codes for the BAM panel, its items and its scores: UNCONFIRMED (none found); the wording "
              "of the 0-4 ratings between 'Not at all' and 'Extremely' and of item 14's answers: UNCONFIRMED",
    aliases=("brief-addiction-monitor",),
    subscales=(USE, RISK, PROTECTIVE),
    total_subscale="use",
)
