"""The rows of the program read (:mod:`.outcomes`) gathered per patient and made into courses of treatment.

Every fact is a clinic-local day up to the patient's clinic's ``as_of``; later ones are left out.
A screen's results are read by :func:`naltrack.domain.observations.negative_for`, a diagnosis by
:func:`naltrack.domain.terminology.classify_condition`, a Brief Addiction Monitor response by
:func:`naltrack.instruments.bam_scores`, each once per distinct value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import chain
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from naltrack.analytics.courses import BamEntry, CourseForm, Dose, DrinkingEntry, Interval, PatientCourse, Screen
from naltrack.domain.observations import AnalyteResult, negative_for
from naltrack.domain.terminology import classify_condition
from naltrack.instruments import stored_bam_scores
from naltrack.pk.protection import FORM_CODES

IntArray = npt.NDArray[np.int64]
Instants = npt.NDArray[np.datetime64]
#: A patient as the read starts: id, clinic, sex at birth, birth date, the clinic's ``as_of``.
PatientRow = tuple[str, str, str, date, date]
_FORM_OF_CODE: dict[int, CourseForm] = {code: form for form, code in FORM_CODES.items()}
_COLLECTED, _COMPLETED, _DAY = attrgetter("collected_on"), attrgetter("completed_on"), attrgetter("day")
_ON_FORM = attrgetter("on", "form")
_INDICATIONS = {frozenset({"oud"}): "OUD", frozenset({"aud"}): "AUD", frozenset({"oud", "aud"}): "OUD+AUD"}


def bam_entry_scores(answers: Sequence[str]) -> list[tuple[int, int, int] | None]:
    """Stored Brief Addiction Monitor responses' answers (JSON) read as their use, risk and protective scores
    (one JSON parse for all); ``None`` for a response stored without its item answers."""
    parsed = json.loads("[" + ",".join(answers) + "]")
    return [None if (scores := stored_bam_scores(one)) is None else (scores.use, scores.risk, scores.protective)
            for one in parsed]


@lru_cache(maxsize=1024)
def screen_results(results: str) -> tuple[bool | None, bool | None]:
    """A stored screen's results (``[[analyte, result, loinc], ...]``) read as negative for opioids and fentanyl."""
    analytes = [AnalyteResult(analyte, result, code) for analyte, result, code in json.loads(results)]
    return negative_for(analytes), negative_for(analytes, ("fentanyl",))


@dataclass
class Doses:
    """The administrations given, as columns (one row a dose, values as stored text), and the oral supplies."""

    patients: list[IntArray] = field(default_factory=list)
    moments: list[Instants] = field(default_factory=list)
    forms: list[IntArray] = field(default_factory=list)
    amounts: list[npt.NDArray[np.float64]] = field(default_factory=list)
    codes: list[list[str]] = field(default_factory=list)
    own_day: list[list[bool]] = field(default_factory=list)
    """Whether a dose supplies its own day: an oral dose that no prescription's days supply covers."""
    expected_days: list[npt.NDArray[np.float64]] = field(default_factory=list)
    removed: list[Instants] = field(default_factory=list)
    supplies: list[tuple[int, date, date | None, str, int]] = field(default_factory=list)

    def add(self, patients: IntArray, moments: Instants, form: CourseForm, amounts: list[str], codes: list[str],
            *, own_day: list[bool] | None = None, expected_days: list[str] | None = None,
            removed: list[str] | None = None) -> None:
        """Doses of one ``form``; an implant's recorded duration (``nan`` unknown) and removal (``NaT`` none)."""
        n = patients.shape[0]
        self.patients.append(patients)
        self.moments.append(moments)
        self.forms.append(np.full(n, FORM_CODES[form], dtype=np.int64))
        self.amounts.append(np.array(amounts, dtype=np.float64))
        self.codes.append(codes)
        self.own_day.append(own_day or [False] * n)
        self.expected_days.append(np.array(expected_days or ["nan"] * n, dtype=np.float64))
        self.removed.append(np.array(removed or ["NaT"] * n, dtype="datetime64[us]"))

    def supply(self, patient: int, start: date, end: date | None, code: str, days: int) -> None:
        """An oral prescription's days supply from ``start`` (to its order's end when that comes first)."""
        self.supplies.append((patient, start, end, code, days))

    def columns(self) -> DoseColumns:
        """The doses joined (each form's read adds its columns once, so none is empty)."""
        return DoseColumns(
            np.concatenate(self.patients), np.concatenate(self.moments), np.concatenate(self.forms),
            np.concatenate(self.amounts), list(chain.from_iterable(self.codes)),
            list(chain.from_iterable(self.own_day)), 24.0 * np.concatenate(self.expected_days),
            np.concatenate(self.removed))


@dataclass(frozen=True)
class DoseColumns:
    """:class:`Doses` joined: one entry a dose in every column."""

    patients: IntArray
    moments: Instants
    forms: IntArray
    amounts: npt.NDArray[np.float64]
    codes: list[str]
    own_day: list[bool]
    expected_hours: npt.NDArray[np.float64]
    removed: Instants


class CourseFacts:
    """Each patient's facts as they are read (``patients`` in order; a patient is its index)."""

    def __init__(self, patients: list[PatientRow]) -> None:
        n = len(patients)
        self.rows = patients
        self.as_of = [row[4] for row in patients]
        self.first_episode: list[tuple[date, date | None, str, str | None] | None] = [None] * n
        self.diagnosed: list[date | None] = [None] * n
        self.kinds: list[set[str]] = [set() for _ in range(n)]
        self.screen_list: list[list[Screen]] = [[] for _ in range(n)]
        self.drinking_list: list[list[DrinkingEntry]] = [[] for _ in range(n)]
        self.bam_list: list[list[BamEntry]] = [[] for _ in range(n)]
        self.contact_days: list[set[date]] = [set() for _ in range(n)]
        self.naloxone_days: list[set[date]] = [set() for _ in range(n)]
        self.dose_list: list[list[Dose]] = [[] for _ in range(n)]
        self.supplied: list[list[tuple[date, date]]] = [[] for _ in range(n)]
        self.runs: list[list[tuple[date, date]]] = [[] for _ in range(n)]
        self.ready: list[date | None] = [None] * n
        self.overridden_first = [False] * n

    def episode(self, p: int, start: date, end: date | None, indication: str, reason: str | None) -> None:
        first = self.first_episode[p]
        if start <= self.as_of[p] and (first is None or start < first[0]):
            self.first_episode[p] = (start, end if end is not None and end <= self.as_of[p] else None, indication,
                                     reason if end is not None and end <= self.as_of[p] else None)

    def diagnosis(self, p: int, system: str, code: str, display: str, on: date | None) -> None:
        kind = classify_condition(system, code, display)
        if kind is None or on is None or on > self.as_of[p]:
            return
        self.kinds[p].add(kind)
        diagnosed = self.diagnosed[p]
        self.diagnosed[p] = on if diagnosed is None else min(on, diagnosed)

    def screens(self, patients: IntArray, days: list[date], results: list[str]) -> None:
        """Screens, each patient's in one block of ``patients`` (as :meth:`_Reader.grouped` reads them)."""
        read = [screen_results(text) for text in results]
        for p, a, b in blocks(patients):
            as_of = self.as_of[p]
            self.screen_list[p] += [Screen(day, opioids, fentanyl)
                                    for day, (opioids, fentanyl) in zip(days[a:b], read[a:b], strict=True)
                                    if day <= as_of]

    def drinking(self, patients: IntArray, days: list[date], drinks: list[float]) -> None:
        """Diary days, each patient's in one block of ``patients``."""
        for p, a, b in blocks(patients):
            as_of = self.as_of[p]
            self.drinking_list[p] += [DrinkingEntry(day, standard_drinks)
                                      for day, standard_drinks in zip(days[a:b], drinks[a:b], strict=True)
                                      if day <= as_of]

    def bam(self, patients: IntArray, days: list[date], answers: list[str]) -> None:
        """Brief Addiction Monitor responses, each patient's in one block of ``patients``."""
        all_scores = bam_entry_scores(answers)
        for p, a, b in blocks(patients):
            as_of = self.as_of[p]
            self.bam_list[p] += [BamEntry(day, *scores)
                                 for day, scores in zip(days[a:b], all_scores[a:b], strict=True)
                                 if day <= as_of and scores is not None]

    def contacts(self, patients: IntArray, days: list[date]) -> None:
        for p, a, b in blocks(patients):
            as_of = self.as_of[p]
            self.contact_days[p].update(day for day in days[a:b] if day <= as_of)

    def naloxone(self, p: int, day: date) -> None:
        if day <= self.as_of[p]:
            self.naloxone_days[p].add(day)

    def first_dose_checks(self, patients: IntArray, days: list[date], overridden: list[str]) -> None:
        """The decisions on first doses given: one with nothing overridden finds the patient ready that day."""
        for p, day, keys in zip(patients.tolist(), days, overridden, strict=True):
            if day > self.as_of[p]:
                continue
            if json.loads(keys):
                self.overridden_first[p] = True
            else:
                ready = self.ready[p]
                self.ready[p] = day if ready is None else min(day, ready)

    def doses(self, doses: DoseColumns, days: list[date], supplies: list[tuple[int, date, date | None, str, int]]
              ) -> None:
        """Each dose given is a treatment contact and, unless a prescription supplies its day, a :class:`Dose`."""
        forms = doses.forms.tolist()
        for n, (p, day) in enumerate(zip(doses.patients.tolist(), days, strict=True)):
            if day > self.as_of[p]:
                continue
            self.contact_days[p].add(day)
            form = _FORM_OF_CODE[forms[n]]
            if form != "oral":
                self.dose_list[p].append(Dose(day, form, doses.codes[n]))
            elif doses.own_day[n]:
                self.dose_list[p].append(Dose(day, form, doses.codes[n], 1))
        for p, start, end, code, supply in supplies:
            if start <= self.as_of[p]:
                self.dose_list[p].append(Dose(start, "oral", code, supply))
                last = min(start + timedelta(days=supply - 1), end or self.as_of[p], self.as_of[p])
                self.supplied[p].append((start, max(last, start)))

    def blocked(self, p: int, runs: list[tuple[date, date]]) -> None:
        self.runs[p] = runs

    def courses(self) -> list[PatientCourse]:
        return [self.course(p) for p in range(len(self.rows))]

    def course(self, p: int) -> PatientCourse:
        pid, clinic, sex, born, as_of = self.rows[p]
        doses = tuple(sorted(self.dose_list[p], key=_ON_FORM))
        episode = self.first_episode[p]
        first = doses[0] if doses else None
        ready = self.ready[p]
        if ready is None and first is not None and not self.overridden_first[p]:
            ready = first.on
        return PatientCourse(
            patient_id=pid, clinic_id=clinic, sex_at_birth=sex, birth_date=born,
            indication=episode[2] if episode else _INDICATIONS.get(frozenset(self.kinds[p])),
            assessed_on=episode[0] if episode else None, ready_on=ready,
            first_dose_on=first.on if first else None, first_form=first.form if first else None,
            discharged_on=episode[1] if episode else None, discharge_reason=episode[3] if episode else None,
            doses=doses, treated=merged([*self.runs[p], *self.supplied[p]]),
            protected=tuple(Interval(a, b) for a, b in self.runs[p]),
            screens=tuple(sorted(self.screen_list[p], key=_COLLECTED)),
            drinking=tuple(sorted(self.drinking_list[p], key=_DAY)),
            bam=tuple(sorted(self.bam_list[p], key=_COMPLETED)),
            treatment_contacts=tuple(sorted(self.contact_days[p])),
            lapses=tuple(end + timedelta(days=1) for _, end in self.runs[p] if end < as_of),
            naloxone_offered=tuple(sorted(self.naloxone_days[p])), diagnosed_on=self.diagnosed[p],
        )


def blocks(patients: IntArray) -> list[tuple[int, int, int]]:
    """``(patient, start, stop)`` of each block of equal values of ``patients``.

    Examples
    --------
    >>> blocks(np.array([4, 4, 2, 7, 7, 7]))
    [(4, 0, 2), (2, 2, 3), (7, 3, 6)]
    """
    starts = [0, *(np.flatnonzero(np.diff(patients)) + 1).tolist()]
    stops = [*starts[1:], int(patients.shape[0])]
    return [(int(patients[a]), a, b) for a, b in zip(starts, stops, strict=True)] if patients.shape[0] else []


def merged(spans: list[tuple[date, date]]) -> tuple[Interval, ...]:
    """Days ``(first, last)`` merged where they overlap or touch, in order.

    Examples
    --------
    >>> [(i.start.day, i.end.day) for i in merged([(date(2026, 1, 5), date(2026, 1, 9)),
    ...                                          (date(2026, 1, 1), date(2026, 1, 4)),
    ...                                          (date(2026, 1, 20), date(2026, 1, 21))])]
    [(1, 9), (20, 21)]
    """
    out: list[list[date]] = []
    for first, last in sorted(spans):
        if out and first <= out[-1][1] + timedelta(days=1):
            out[-1][1] = max(out[-1][1], last)
        else:
            out.append([first, last])
    return tuple(Interval(first, last) for first, last in out)
