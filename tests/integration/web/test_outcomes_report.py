"""The monthly program report's PDF from hand-built figures: what it prints, and what it never prints."""

from __future__ import annotations

import re
import zlib
from datetime import date

from naltrack.analytics.report import ReportRow, make_row
from naltrack.analytics.survival import kaplan_meier
from naltrack.web.outcome_texts import FIGURES, SUPPRESSION_RULE, count_text, group_text, value_text
from naltrack.web.report_pdf import ReportDocument, latin1, render_report_pdf

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
SHOWN = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj")


def pdf_text(body: bytes) -> str:
    """The text a PDF written by fpdf2 with the core fonts shows, string by string (each stream inflated)."""
    shown = []
    for stream in STREAM.findall(body):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        shown += [s.replace(rb"\(", b"(").replace(rb"\)", b")").replace(rb"\\", b"\\").decode("latin-1")
                  for s in SHOWN.findall(content)]
    return "\n".join(shown)


def document(rows: list[ReportRow], curves=()) -> ReportDocument:
    return ReportDocument(program="Harbor Recovery Program", month="November 2026", as_of=date(2026, 11, 30),
                          filters=[("Clinic", "Harbor Clinic"), ("Form", "all forms")], rows=rows,
                          curves=list(curves), suppression=SUPPRESSION_RULE.format(min_cell=11), figures=FIGURES,
                          parameters=[("min cell", "CMS cell size suppression policy: counts from 1 to 10")])


ROWS = [
    make_row("program", "Patients", "all", 240, None, None, min_cell=11),
    make_row("cascade", "Assessed", "all", 240, 240, 1.0, min_cell=11),
    make_row("cascade", "Found ready", "all", 7, 240, 7 / 240, min_cell=11),
    make_row("retention", "Retained 90 days", "xr-ntx", None, 120, 0.625, min_cell=11, note="95% CI 0.532-0.704"),
    make_row("drinking", "Heavy drinking days per 30", "month 0", None, 31, 6.25, min_cell=11),
]


def test_the_pdf_prints_the_heading_the_filters_the_rows_and_the_rule():
    body = render_report_pdf(document(ROWS))
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    for expected in ("Harbor Recovery Program: monthly program report", "November 2026 (figures as of 2026-11-30)",
                     "Filters: Clinic: Harbor Clinic; Form: all forms", "Cascade of care", "Assessed", "240",
                     "100%", "Found ready", "fewer than 11", "XR-naltrexone injection", "62%", "95% CI 0.532-0.704",
                     "month 0 (baseline)", "6.2", "How each figure is counted", "Retention in treatment"):
        assert expected in text, expected
    assert "7" not in text.split("Found ready", 1)[1].split("Retention", 1)[0].split()


def test_the_retention_curves_are_drawn_with_their_labels_and_without_a_curve_the_pdf_says_so():
    curve = kaplan_meier([10, 40, 100, 200, 30, 90, 180, 365, 20, 5, 300, 60], [True] * 6 + [False] * 6,
                         label="XR-naltrexone injection")
    drawn = pdf_text(render_report_pdf(document(ROWS, [curve])))
    assert "XR-naltrexone injection" in drawn and "days since the first dose" in drawn
    assert "no curve is drawn" not in drawn
    assert "no curve is drawn" in pdf_text(render_report_pdf(document(ROWS)))


def test_cells_read_in_words():
    suppressed = ROWS[2]
    assert (suppressed.numerator, suppressed.value, suppressed.note) == (None, None, "fewer than 11")
    assert count_text(suppressed.numerator, suppressed.note) == "fewer than 11"
    assert value_text(suppressed) == "fewer than 11" and value_text(ROWS[1]) == "100%"
    assert value_text(ROWS[4]) == "6.2" and group_text("implant") == "Naltrexone implant"
    assert latin1("≥ 11 – “kept”") == '>= 11 - "kept"'
