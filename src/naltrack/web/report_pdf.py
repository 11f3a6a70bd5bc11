"""The monthly program report as a PDF (fpdf2): aggregate figures only, small cells already suppressed.

It holds the program's name, the month, the filters, one table per section of the report rows
(:func:`naltrack.analytics.report.report_rows`, where every count below the small-cell limit is
already "fewer than 11"), the retention curves drawn as simple lines, the suppression rule and every
figure's definition with its source. No patient is named or counted below the limit.

Text is set in the PDF core font (Helvetica, Latin-1): :func:`latin1` spells the few other characters
the texts use in Latin-1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from naltrack.analytics.report import ReportRow, is_suppressed
from naltrack.analytics.survival import SurvivalCurve
from naltrack.web.outcome_texts import FigureText, count_text, group_text, section_title, value_text

#: Characters outside Latin-1 that the texts use, spelled in Latin-1.
_SPELLED = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"',
                          "\u201d": '"', "\u2264": "<=", "\u2265": ">=", "\u2192": "->", "\u2026": "...",
                          "\u00a0": " "})
#: Line colours of the retention curves (RGB), with a dash pattern each so that a grey print keeps them apart.
CURVE_STYLES: tuple[tuple[tuple[int, int, int], float], ...] = (
    ((11, 79, 138), 0.0), ((164, 22, 26), 1.5), ((30, 107, 52), 0.6), ((122, 74, 0), 3.0), ((74, 83, 97), 1.0))
PLOT_WIDTH, PLOT_HEIGHT = 130.0, 62.0
#: The longest follow-up drawn (days): the 180-day horizon and a margin.
PLOT_DAYS = 360


@dataclass(frozen=True)
class ReportDocument:
    """What the report prints, all of it aggregate."""

    program: str
    month: str
    as_of: date
    filters: Sequence[tuple[str, str]]
    rows: Sequence[ReportRow]
    curves: Sequence[SurvivalCurve]
    suppression: str
    figures: Sequence[FigureText]
    parameters: Sequence[tuple[str, str]]


def latin1(text: str) -> str:
    """``text`` in the core font's Latin-1 (other characters spelled, or ``?``).

    Examples
    --------
    >>> latin1("30–90 days ≥ 11 “kept”")
    '30-90 days >= 11 "kept"'
    """
    return text.translate(_SPELLED).encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    def __init__(self, document: ReportDocument) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(latin1(f"{document.program}: program report {document.month}"))
        self.set_creator("naltrack")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.set_text_color(74, 83, 97)
        self.cell(0, 5, latin1(f"{self.document.program} - {self.document.month} - aggregate figures only - "
                               f"page {self.page_no()}"), align="C")

    def heading(self, text: str, size: float = 13) -> None:
        self.set_font("helvetica", "B", size)
        self.set_text_color(27, 31, 36)
        self.multi_cell(0, size * 0.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 9.5, style: str = "") -> None:
        self.set_font("helvetica", style, size)
        self.set_text_color(27, 31, 36)
        self.multi_cell(0, size * 0.45, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)


def render_report_pdf(document: ReportDocument) -> bytes:
    """The report as PDF bytes."""
    pdf = _Report(document)
    pdf.add_page()
    _title(pdf, document)
    _retention_figure(pdf, document.curves)
    for section, rows in groupby(document.rows, key=lambda row: row.section):
        _table(pdf, section_title(section), list(rows))
    _definitions(pdf, document)
    return bytes(pdf.output())


def _title(pdf: _Report, document: ReportDocument) -> None:
    pdf.heading(f"{document.program}: monthly program report", 16)
    pdf.paragraph(f"{document.month} (figures as of {document.as_of.isoformat()})", 11, "B")
    pdf.paragraph("Filters: " + "; ".join(f"{name}: {value}" for name, value in document.filters))
    pdf.paragraph(document.suppression, 9, "I")


def _table(pdf: _Report, title: str, rows: list[ReportRow]) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.heading(title, 11.5)
    pdf.set_font("helvetica", size=8.5)
    pdf.set_text_color(27, 31, 36)
    with pdf.table(col_widths=(44, 38, 22, 20, 20, 36), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                   line_height=4.4, first_row_as_headings=True) as table:
        header = table.row()
        for name in ("Measure", "Group", "Count", "Out of", "Value", "Note"):
            header.cell(name)
        for row in rows:
            cells = table.row()
            for text in (row.measure, group_text(row.group), count_text(row.numerator, row.note),
                         count_text(row.denominator, row.note), value_text(row), _note(row)):
                cells.cell(latin1(text))
    pdf.ln(3)


def _note(row: ReportRow) -> str:
    """A row's note beside its value (a suppressed row says so in its count and value cells already)."""
    return "" if row.value is None and is_suppressed(row.note) else row.note


def _definitions(pdf: _Report, document: ReportDocument) -> None:
    pdf.add_page()
    pdf.heading("How each figure is counted", 13)
    for figure in document.figures:
        pdf.paragraph(figure.title, 10, "B")
        pdf.paragraph(figure.counted, 9)
        pdf.paragraph(f"Source: {figure.source}", 8.5, "I")
    pdf.heading("Settings of the definitions", 11.5)
    for name, text in document.parameters:
        pdf.paragraph(f"{name}: {text}", 8.5)


def _retention_figure(pdf: _Report, curves: Sequence[SurvivalCurve]) -> None:
    """The retention curves as step lines on a 0-100% by 0-:data:`PLOT_DAYS` day frame, with a legend."""
    pdf.heading("Retention in treatment after the first dose, by form", 11.5)
    if not curves:
        pdf.paragraph("No form has 11 or more patients with a first dose in this filter: no curve is drawn.")
        return
    left, top = pdf.l_margin + 12, pdf.get_y() + 2
    _frame(pdf, left, top)
    for index, curve in enumerate(curves):
        colour, dash = CURVE_STYLES[index % len(CURVE_STYLES)]
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.6)
        pdf.set_dash_pattern(dash=dash, gap=dash)
        pdf.polyline(_steps(curve, left, top))
        pdf.line(left + PLOT_WIDTH + 6, top + 4 + index * 6, left + PLOT_WIDTH + 14, top + 4 + index * 6)
        pdf.set_dash_pattern()
        pdf.set_xy(left + PLOT_WIDTH + 15, top + 2 + index * 6)
        pdf.set_font("helvetica", size=8)
        pdf.cell(30, 4, latin1(f"{curve.label}"))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_xy(pdf.l_margin, top + PLOT_HEIGHT + 10)
    pdf.paragraph("Share of patients still in treatment (vertical) against days since the first dose (horizontal). "
                  "The table below gives the 30, 90 and 180-day values.", 8.5, "I")


def _frame(pdf: _Report, left: float, top: float) -> None:
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    pdf.set_font("helvetica", size=7.5)
    pdf.set_text_color(74, 83, 97)
    for share in (0, 25, 50, 75, 100):
        y = top + PLOT_HEIGHT * (1 - share / 100)
        pdf.line(left, y, left + PLOT_WIDTH, y)
        pdf.text(left - 9, y + 1, f"{share}%")
    for day in range(0, PLOT_DAYS + 1, 30):
        x = left + PLOT_WIDTH * day / PLOT_DAYS
        pdf.line(x, top + PLOT_HEIGHT, x, top + PLOT_HEIGHT + 1.2)
        if day % 90 == 0:
            pdf.text(x - 2, top + PLOT_HEIGHT + 4.5, str(day))
    pdf.text(left + PLOT_WIDTH / 2 - 15, top + PLOT_HEIGHT + 8.5, "days since the first dose")


def _steps(curve: SurvivalCurve, left: float, top: float) -> list[tuple[float, float]]:
    """The curve's points as a step line in page coordinates, cut at :data:`PLOT_DAYS`."""

    def point(day: float, share: float) -> tuple[float, float]:
        return left + PLOT_WIDTH * min(day, PLOT_DAYS) / PLOT_DAYS, top + PLOT_HEIGHT * (1 - share)

    points = [point(0, 1.0)]
    level = 1.0
    for day, share in zip(curve.times, curve.survival, strict=True):
        if day > PLOT_DAYS:
            break
        points += [point(day, level), point(day, share)]
        level = share
    last = min(curve.times[-1], PLOT_DAYS) if curve.times else 0
    points.append(point(last, level))
    return points
