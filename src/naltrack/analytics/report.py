"""The program's outcomes as rows that may leave the program: aggregate, with small cells suppressed.

Every count below ``MeasureDefinitions.min_cell`` (11: counts from 0 to 10 are not shown) is replaced by
``None``, and so is every rate or mean whose numerator or denominator is below it; such a row's note says
"fewer than 11". A count that would give away a small one by subtraction is suppressed too (the CMS
policy forbids deriving a count of 1 to 10 from the figures shown): a rate whose denominator less its
numerator is 1 to 10 ("all but fewer than 11"), and a retention estimate whose patients still in
treatment, or stopped, by the horizon (the estimate times the group's patients) are 1 to 10.
:func:`report_rows` turns :class:`naltrack.analytics.outcomes.ProgramOutcomes` into rows,
:func:`quality_rows` the POD and IET results, :func:`write_csv` writes them.

Examples
--------
>>> make_row("cascade", "First dose", "all", 10, 40, 0.25, min_cell=11)
ReportRow(section='cascade', measure='First dose', group='all', numerator=None, denominator=40, value=None, \
note='fewer than 11')
>>> make_row("cascade", "Found ready", "all", 35, 40, 0.875, min_cell=11).note
'all but fewer than 11'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import TextIO

from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.analytics.iet import IetResult
from naltrack.analytics.monthly import MonthRow
from naltrack.analytics.outcomes import ProgramOutcomes
from naltrack.analytics.pod import PodResult
from naltrack.analytics.survival import SurvivalCurve


@dataclass(frozen=True)
class ReportRow:
    """One figure: a count (``numerator``), a rate or mean (``value``) of ``denominator``, and a note."""

    section: str
    measure: str
    group: str
    numerator: int | None
    denominator: int | None
    value: float | None
    note: str


def is_suppressed(note: str) -> bool:
    """Whether a row's ``note`` says its figure was suppressed (small or derivable counts)."""
    return note.startswith(("fewer than", "all but fewer than"))


def make_row(section: str, measure: str, group: str, numerator: int | None, denominator: int | None,
             value: float | None, *, min_cell: int, note: str = "") -> ReportRow:
    """A row with its small cells suppressed: a count below ``min_cell`` becomes ``None``, and the value too."""
    small = [n for n in (numerator, denominator) if n is not None and n < min_cell]
    if not small:
        if numerator is not None and denominator is not None and 0 < denominator - numerator < min_cell:
            return ReportRow(section, measure, group, None, denominator, None, f"all but fewer than {min_cell}")
        return ReportRow(section, measure, group, numerator, denominator, value, note)
    keep = (None if numerator is not None and numerator < min_cell else numerator,
            None if denominator is not None and denominator < min_cell else denominator)
    return ReportRow(section, measure, group, *keep, None, f"fewer than {min_cell}")


def report_rows(outcomes: ProgramOutcomes,
                definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> list[ReportRow]:
    """Every figure of ``outcomes`` as suppressed rows, section by section.

    Retention rows hold the Kaplan–Meier estimate at each horizon over the ``denominator`` patients of the
    curve, with the 95 % confidence interval in the note; month rows (screens, drinking, BAM) hold the
    month's patients as the denominator.
    """
    m = definitions.min_cell
    rows = [make_row("program", "Patients", "all", outcomes.patients, None, None, min_cell=m)]
    retention = outcomes.retention
    for curve in (retention.overall, *retention.by_form, *retention.by_cohort):
        rows.extend(_retention_rows(curve, definitions))
    rows.extend(make_row("cascade", s.label, "all", s.count, s.of, s.count / s.of if s.of else None, min_cell=m)
                for s in outcomes.cascade)
    a = outcomes.adherence
    rows += [
        make_row("adherence", "Share of days protected", "all", None, a.patients, a.protected_share, min_cell=m),
        make_row("adherence", "Median PDC", "all", None, a.patients, a.pdc_median, min_cell=m),
        make_row("adherence", "Injections on time", "all", a.injections_on_time, None, None, min_cell=m),
        make_row("adherence", "Injections late", "all", a.injections_late, None, None, min_cell=m),
        make_row("adherence", "Injections missed", "all", a.injections_missed, None, None, min_cell=m),
    ]
    rows.extend(_month_rows("screens", ("Opioid-negative share", "Fentanyl-negative share"), outcomes.screens, m))
    rows.extend(_month_rows("drinking", ("Heavy drinking days per 30", "Change from baseline"), outcomes.drinking, m))
    n = outcomes.naloxone
    rows.append(make_row("naloxone", "Naloxone offered at a lapse", "all", n.offered, n.lapses,
                         n.offered / n.lapses if n.lapses else None, min_cell=m))
    for b in outcomes.bam:
        rows += [make_row("bam", f"BAM {name} (mean)", f"month {b.month}", None, b.patients, value, min_cell=m)
                 for name, value in (("use", b.use), ("risk factors", b.risk), ("protective factors", b.protective))]
    return rows


def _retention_rows(curve: SurvivalCurve, definitions: MeasureDefinitions) -> list[ReportRow]:
    rows = []
    m = definitions.min_cell
    for horizon in definitions.horizons:
        estimate = curve.at(horizon)
        note = (f"95% CI {estimate.low:.3f}-{estimate.high:.3f}" if estimate
                else f"no follow-up to day {horizon}")
        row = make_row("retention", f"Retained {horizon} days", curve.label, None, curve.n,
                       estimate.value if estimate else None, min_cell=m, note=note)
        if estimate is not None and row.value is not None:
            retained = round(estimate.value * curve.n)
            if 0 < retained < m or 0 < curve.n - retained < m:
                row = replace(row, value=None, note=f"{'' if retained < m else 'all but '}fewer than {m}")
        rows.append(row)
    return rows


def _month_rows(section: str, measures: tuple[str, str], months: Iterable[MonthRow],
                min_cell: int) -> list[ReportRow]:
    """A month's ``value`` and, where it has one, its ``extra`` figure: a share with its numerator and
    denominator, a mean over the month's patients; a month of fewer patients than ``min_cell`` is suppressed."""
    rows = []
    for r in months:
        for measure, value, counts in zip(measures, (r.value, r.extra), (r.value_counts, r.extra_counts),
                                          strict=True):
            if value is None and measure != measures[0]:
                continue
            numerator, denominator = counts if counts and r.patients >= min_cell else (None, r.patients)
            rows.append(make_row(section, measure, f"month {r.month}", numerator, denominator, value,
                                 min_cell=min_cell))
    return rows


def quality_rows(pod: PodResult | None, iet: IetResult | None,
                 definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> list[ReportRow]:
    """The POD rate and IET's initiation and engagement by cohort as suppressed rows."""
    m = definitions.min_cell
    rows = []
    if pod is not None:
        rows.append(make_row("quality", "HEDIS POD", "all", pod.numerator, pod.denominator, pod.rate, min_cell=m))
    for cohort in iet.cohorts if iet is not None else ():
        d = cohort.denominator
        rows += [make_row("quality", f"HEDIS IET {step}", cohort.name, count, d, count / d if d else None, min_cell=m)
                 for step, count in (("initiation", cohort.initiation), ("engagement", cohort.engagement))]
    return rows


def write_csv(rows: Iterable[ReportRow], handle: TextIO) -> None:
    """Write ``rows`` as CSV with a header of the field names; ``None`` is an empty cell."""
    names = [f.name for f in fields(ReportRow)]
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow("" if (v := getattr(row, name)) is None else v for name in names)
