"""The program outcomes page and report, shaped from the use case's answer (no figure is computed here).

Tables are the report rows (:func:`naltrack.analytics.report.report_rows`), whose small cells are already
suppressed; plots read the same rows, and the retention curves are drawn only for groups whose rows are
not suppressed. The texts of each figure are :mod:`naltrack.web.outcome_texts`'.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from naltrack.analytics.definitions import DEFINITION_SOURCES, MeasureDefinitions
from naltrack.analytics.report import ReportRow
from naltrack.analytics.survival import SurvivalCurve
from naltrack.services.outcomes import ProgramReport
from naltrack.web.outcome_filters import Filters, ReportMonth
from naltrack.web.outcome_texts import (
    FIGURES,
    SUPPRESSION_RULE,
    count_text,
    figure_cell,
    figure_text,
    group_text,
    month_key,
    month_label,
    value_text,
)
from naltrack.web.report_pdf import ReportDocument

#: The vertical axis of each by-month plot.
PLOT_UNITS = {"screens": "share of screens", "drinking": "heavy drinking days", "bam": "mean score"}
#: Who a by-month row counts (screens' shares are over their own screens, shown in each cell).
MONTH_PATIENTS = {"drinking": "Patients with diary days", "bam": "Patients answering"}


@dataclass(frozen=True)
class Block:
    """A table (and the plot above it, when it has one) of a section."""

    caption: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    table_id: str
    plot_id: str | None = None
    note: str = ""
    empty: str = "No patient in the filter has this figure yet."


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    counted: str
    source: str
    blocks: list[Block]
    wide: bool = False


@dataclass
class OutcomesView:
    scope: str
    as_of: date
    patients: str
    min_cell: int
    suppression: str
    clinic_options: list[tuple[str, str]]
    kept_filters: list[tuple[str, str]]
    quality_url: str
    sections: list[SectionView] = field(default_factory=list)
    figures_json: str = ""

    @property
    def draws(self) -> bool:
        """Whether the page has a plot to draw (Plotly is loaded only then)."""
        return any(block.plot_id for section in self.sections for block in section.blocks)


def _rows(report: ProgramReport, section: str) -> list[ReportRow]:
    return [row for row in report.rows if row.section == section]


def _shown(curves: Sequence[SurvivalCurve], rows: list[ReportRow]) -> list[SurvivalCurve]:
    """The curves whose group's rows are not suppressed (a curve of fewer than 11 patients is not drawn)."""
    kept = {row.group for row in rows if row.denominator is not None}
    return [curve for curve in curves if curve.label in kept]


def _curve_json(curve: SurvivalCurve) -> dict[str, Any]:
    return {"label": group_text(curve.label), "times": curve.times, "survival": curve.survival, "low": curve.low,
            "high": curve.high}


def _estimate(row: ReportRow, curve: SurvivalCurve, horizon: int) -> str:
    """The share still in treatment on day ``horizon`` with its interval, or why there is none."""
    estimate = curve.at(horizon)
    if estimate is None and row.denominator is not None:
        return f"not known yet: no patient followed {horizon} days"
    if estimate is None or row.value is None:
        return value_text(row)
    return f"{estimate.value:.0%} ({estimate.low:.0%} to {estimate.high:.0%})"


def _retention_block(report: ProgramReport, curves: Sequence[SurvivalCurve], by: str, plot: bool,
                     caption: str) -> Block:
    """One row per group: its patients and the retention at each horizon with the 95% CI."""
    rows = _rows(report, "retention")
    horizons = report.definitions.horizons
    table = []
    for curve in curves:
        own = [row for row in rows if row.group == curve.label]
        if not own:
            continue
        table.append((group_text(curve.label), count_text(own[0].denominator, own[0].note),
                      *(_estimate(row, curve, h) for row, h in zip(own, horizons, strict=True))))
    shown = _shown(curves, rows)
    return Block(caption,
                 ("Group" if by == "program" else by.capitalize(), "Patients", *(f"{h} days" for h in horizons)),
                 table, f"retention-{by}",
                 plot_id=f"retention-{by}-plot" if plot and shown else None,
                 note="" if len(shown) == len(curves) else
                 f"Groups of fewer than {report.definitions.min_cell} patients are not drawn.")


def _month_block(report: ProgramReport, section: str, caption: str) -> tuple[Block, dict[str, Any]]:
    """A month-by-month table of a section (one column per measure) and its plot's series."""
    rows = _rows(report, section)
    measures = list(dict.fromkeys(row.measure for row in rows))
    months = sorted({row.group for row in rows}, key=month_key)
    cells = {(row.group, row.measure): row for row in rows}
    shares = section not in MONTH_PATIENTS  # screens: each share over its own screens
    table = []
    for month in months:
        first = next(cells[(month, m)] for m in measures if (month, m) in cells)
        figures = [cells[(month, m)] if (month, m) in cells else None for m in measures]
        table.append((month_label(month), *([] if shares else [count_text(first.denominator, first.note)]),
                      *("—" if row is None else figure_cell(row) if shares else value_text(row) for row in figures)))
    series = [{"name": m, "values": [cells[(month, m)].value if (month, m) in cells else None for month in months]}
              for m in measures]
    plot = {"months": [month_key(month) for month in months], "series": series,
            "share": section == "screens", "unit": PLOT_UNITS[section]}
    headers = ("Month", *measures) if shares else ("Month", MONTH_PATIENTS[section], *measures)
    return Block(caption, headers, table, f"table-{section}",
                 plot_id=f"{section}-plot" if any(v is not None for s in series for v in s["values"]) else None), plot


def _simple_block(rows: list[ReportRow], section: str, caption: str) -> Block:
    """One row per figure: its measure (and group, where there are several) and the figure with its counts."""
    rows = [row for row in rows if row.section == section]
    groups = len({row.group for row in rows}) > 1
    table = [(f"{row.measure}, {group_text(row.group)}" if groups and row.group != "all" else row.measure,
              figure_cell(row)) for row in rows]
    return Block(caption, ("Measure", "Figure"), table, f"table-{section}")


def _cascade(report: ProgramReport) -> tuple[Block, list[dict[str, Any]]]:
    rows = _rows(report, "cascade")
    stages = [{"label": row.measure, "count": row.numerator,
               "text": figure_cell(row)}
              for row in rows]
    table = [(row.measure, count_text(row.numerator, row.note), count_text(row.denominator, row.note),
              value_text(row)) for row in rows]
    return Block("Patients at each stage of care", ("Stage", "Patients", "Out of", "Share"), table, "table-cascade",
                 plot_id="cascade-plot" if any(s["count"] is not None for s in stages) else None), stages


def _section(key: str, blocks: list[Block], definitions: MeasureDefinitions, wide: bool = False) -> SectionView:
    text = figure_text(key, definitions)
    return SectionView(key, text.title, text.counted, text.source, blocks, wide)


def quality_card(rows: list[ReportRow], definitions: MeasureDefinitions) -> SectionView:
    """The card of HEDIS POD and IET from their rows."""
    return _section("quality", [_simple_block(rows, "quality", "Rates with their numerator and denominator")],
                    definitions, True)


def build_view(report: ProgramReport, filters: Filters) -> OutcomesView:
    """The page's view of ``report`` under ``filters``."""
    clinics = dict(report.clinics)
    retention = report.outcomes.retention
    cascade, stages = _cascade(report)
    screens, screens_plot = _month_block(report, "screens", "Urine screens negative, by month of treatment")
    drinking, drinking_plot = _month_block(report, "drinking", "Heavy drinking days, by month of treatment")
    bam, bam_plot = _month_block(report, "bam", "Mean BAM scores, by month of treatment")
    retention_rows = _rows(report, "retention")
    d = report.definitions
    sections = [
        _section("retention", [
            _retention_block(report, retention.by_form, "form", True, "Still in treatment by form of the first dose "
                             "(95% confidence interval)"),
            _retention_block(report, retention.by_cohort, "cohort", True, "Still in treatment by start cohort, the "
                             "quarter of the first dose (95% confidence interval)"),
            _retention_block(report, (retention.overall,), "program", False, "Still in treatment, every patient in "
                             "the filter (95% confidence interval)")], d, True),
        _section("cascade", [cascade], d),
        _section("adherence", [_simple_block(report.rows, "adherence", "Protected days, PDC and injections")], d),
        _section("screens", [screens], d),
        _section("drinking", [drinking], d),
        _section("naloxone", [_simple_block(report.rows, "naloxone", "Lapses of blockade with naloxone offered")],
                 d),
        _section("bam", [bam], d),
    ]
    figures = {"retention_form": [_curve_json(c) for c in _shown(retention.by_form, retention_rows)],
               "retention_cohort": [_curve_json(c) for c in _shown(retention.by_cohort, retention_rows)],
               "cascade": stages, "screens": screens_plot, "drinking": drinking_plot, "bam": bam_plot}
    patients = next((row for row in report.rows if row.section == "program"), None)
    min_cell = report.definitions.min_cell
    kept = filters.kept()
    view = OutcomesView(
        scope=clinics.get(filters.clinic, "All clinics") if filters.clinic else "All clinics",
        as_of=report.as_of, patients=count_text(patients.numerator, patients.note) if patients else "—",
        min_cell=min_cell, suppression=SUPPRESSION_RULE.format(min_cell=min_cell),
        clinic_options=list(report.clinics),
        kept_filters=kept,
        quality_url="/outcomes/quality" + (f"?{urlencode(kept)}" if kept else ""),
        sections=sections)
    if view.draws:
        view.figures_json = json.dumps(figures).replace("</", "<\\/")
    return view


def report_document(report: ProgramReport, rows: list[ReportRow], filters: Filters, month: ReportMonth,
                    program: str) -> ReportDocument:
    """The PDF report's content: ``rows`` (the report's and the quality measures'), the curves by form that may be
    drawn, the texts."""
    retention_rows = _rows(report, "retention")
    curves = [SurvivalCurve(group_text(c.label), c.n, c.events, c.times, c.survival, c.low, c.high)
              for c in _shown(report.outcomes.retention.by_form, retention_rows)]
    min_cell = report.definitions.min_cell
    return ReportDocument(
        program=program, month=month.label, as_of=report.as_of, filters=filters.described(dict(report.clinics)),
        rows=rows, curves=curves, suppression=SUPPRESSION_RULE.format(min_cell=min_cell),
        figures=[figure_text(figure.key, report.definitions) for figure in FIGURES],
        parameters=[(f"{name.replace('_', ' ')} = {_setting(getattr(report.definitions, name))}", text)
                    for name, text in DEFINITION_SOURCES.items()])


def _setting(value: object) -> str:
    """A definition's value as the report prints it (a tuple as its items)."""
    return ", ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
