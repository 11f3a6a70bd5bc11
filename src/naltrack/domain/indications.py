"""What the patient is treated for, and what is on file: the one answer for every face.

* OUD and AUD indication (:func:`has_oud`, :func:`has_aud`, :func:`is_aud_only`, and
  :func:`indication` for readiness): an episode for it or an active diagnosis that
  :func:`~naltrack.domain.terminology.classify_condition` reads as OUD or AUD (ICD-10-CM F11/F10, every
  SNOMED CT concept of the public OUD/AUD value sets, else the diagnosis name; codes.md §4,
  clinical.md §8.2, docs/terminology.md).
* Rescue naloxone on file: a naloxone or nalmefene rescue product on the medication list, started
  on or before the day; buprenorphine/naloxone does not count (catalog, codes.md §2n).
* The active regimen of a form on a day.
"""

from __future__ import annotations

from datetime import date

from naltrack.domain.catalog import is_rescue_naloxone
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.records import current
from naltrack.domain.regimens import Regimen
from naltrack.domain.rules import facts
from naltrack.domain.terminology import ConditionKind, classify_condition, resolve_rxnorm


def has_oud(chart: PatientChart, today: date) -> bool:
    """True when OUD is on record on ``today``: an open OUD (or OUD+AUD) episode or an active OUD diagnosis.

    Examples
    --------
    >>> from naltrack.domain.patients import Patient
    >>> p = Patient(id="p1", clinic_id="c1", given_name="A", family_name="B",
    ...             birth_date=date(1990, 1, 1), sex_at_birth="female")
    >>> has_oud(PatientChart(patient=p), date(2026, 3, 1))
    False
    """
    if any(e.treats_oud and e.is_open_on(today) for e in current(chart.episodes)):
        return True
    return _diagnosed(chart, today, "oud")


def has_aud(chart: PatientChart, today: date) -> bool:
    """True when AUD is on record on ``today``: an open AUD (or OUD+AUD) episode or an active AUD diagnosis."""
    if any(e.treats_aud and e.is_open_on(today) for e in current(chart.episodes)):
        return True
    return _diagnosed(chart, today, "aud")


def indication(chart: PatientChart, today: date) -> tuple[bool, bool] | None:
    """What the treatment is for, as readiness reads it: ``(treats_oud, treats_aud)`` from the open
    episode (its indication decides), else from the active diagnoses; ``None`` if neither says."""
    episode = chart.active_episode_on(today)
    if episode is not None and episode.indication != "stimulant":
        return episode.treats_oud, episode.treats_aud
    oud, aud = _diagnosed(chart, today, "oud"), _diagnosed(chart, today, "aud")
    return (oud, aud) if oud or aud else None


def _diagnosed(chart: PatientChart, today: date, kind: ConditionKind) -> bool:
    return _any_of_kind(facts.active_diagnoses(chart, today), kind)


def _any_of_kind(diagnoses: list[Diagnosis], kind: ConditionKind) -> bool:
    """True when a diagnosis is OUD (``kind`` "oud") or AUD ("aud") by :func:`classify_condition`."""
    return any(classify_condition(d.system, d.code, d.display) == kind for d in diagnoses)


def is_aud_only(chart: PatientChart, today: date) -> bool:
    """AUD on record and no sign of OUD.

    AUD: an episode treating it (started on or before ``today``) or an F10 / SNOMED AUD diagnosis.
    No sign of OUD: no OUD episode, no OUD diagnosis, and no opioid use reported, taken or detected
    (:func:`naltrack.domain.rules.facts.last_opioid_use`). A chart with neither indication counts as
    OUD (the overdose wording is the safe default, clinical.md §3).
    """
    episodes = [e for e in current(chart.episodes) if e.start <= today]
    diagnoses = facts.active_diagnoses(chart, today)
    if (any(e.treats_oud for e in episodes) or _any_of_kind(diagnoses, "oud")
            or facts.last_opioid_use(chart, today)):
        return False
    return any(e.treats_aud for e in episodes) or _any_of_kind(diagnoses, "aud")


def has_rescue_naloxone(chart: PatientChart, today: date) -> bool:
    """True when a rescue naloxone (or nalmefene) product started on or before ``today`` is on file."""
    for med in current(chart.medications):
        entry = resolve_rxnorm(med.rxnorm)
        if entry is not None and is_rescue_naloxone(entry) and med.start <= today:
            return True
    return False


def active_regimen(chart: PatientChart, today: date, form: str | None = None) -> Regimen | None:
    """The first regimen active on ``today`` (of ``form`` when given), or ``None``."""
    return next((r for r in chart.active_regimens_on(today) if form is None or r.form == form), None)
