"""What the readiness check reads, as the chart shows it: allergies, the last use of each substance and the naloxone
challenges. Plain rows from a :class:`PatientChart`, newest first; nothing here decides readiness (that is
:func:`naltrack.domain.rules.readiness.assess_readiness`, shown on the checklist)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from naltrack.domain.chart import PatientChart
from naltrack.domain.observations import ALLERGY_LABELS, CHALLENGE_ROUTE_LABELS, SUBSTANCE_LABELS
from naltrack.domain.records import current


@dataclass(frozen=True)
class AllergyRow:
    allergen: str
    reaction: str | None
    criticality: str


@dataclass(frozen=True)
class LastUseRow:
    substance: str
    last_use: date
    reported_on: date
    route: str | None


@dataclass(frozen=True)
class ChallengeRow:
    performed_at: datetime
    route: str
    result: str
    signs: str


def allergy_rows(chart: PatientChart) -> list[AllergyRow]:
    """Each allergy in force, in words."""
    return [AllergyRow(ALLERGY_LABELS[a.substance], a.reaction, a.criticality.replace("-", " "))
            for a in current(chart.allergies)]


def last_use_rows(chart: PatientChart) -> list[LastUseRow]:
    """The latest report of each substance (the latest last use; on a tie the latest report), most recent use
    first."""
    latest: dict[str, LastUseRow] = {}
    for r in sorted(current(chart.substance_use), key=lambda r: (r.last_use, r.reported_on)):
        latest[r.substance] = LastUseRow(SUBSTANCE_LABELS[r.substance], r.last_use, r.reported_on, r.route)
    return sorted(latest.values(), key=lambda row: row.last_use, reverse=True)


def challenge_rows(chart: PatientChart) -> list[ChallengeRow]:
    """Every naloxone challenge, newest first, its result in words and the withdrawal signs seen."""
    rows = [ChallengeRow(c.performed_at, CHALLENGE_ROUTE_LABELS[c.route],
                         "equivocal" if c.equivocal else "passed" if c.passed else "failed",
                         ", ".join(c.signs) or "none")
            for c in current(chart.naloxone_challenges)]
    return sorted(rows, key=lambda row: row.performed_at, reverse=True)
