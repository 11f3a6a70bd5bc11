"""Each figure of the program outcomes page and the monthly report, in plain words, with its source.

The page shows :data:`FIGURES` under "How this is counted"; the PDF report prints the same texts, so the
two never disagree. The measures themselves are :mod:`naltrack.analytics` (docs/outcomes.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from naltrack.analytics.definitions import MeasureDefinitions
from naltrack.analytics.report import ReportRow, is_suppressed
from naltrack.domain.regimens import FORM_LABELS

#: The small-cell rule, as the page and the report state it.
SUPPRESSION_RULE = ("Counts below {min_cell} are shown as \"fewer than {min_cell}\", and so is every rate whose "
                    "numerator or denominator is below {min_cell}; a rate that leaves out some, but fewer than "
                    "{min_cell}, of its patients is shown as \"all but fewer than {min_cell}\", so that no small "
                    "group of patients can be recognised or worked out (the CMS cell-size suppression policy).")


@dataclass(frozen=True)
class FigureText:
    """One figure: its section key (as the report rows name it), its title, how it is counted, and the source."""

    key: str
    title: str
    counted: str
    source: str


FIGURES: tuple[FigureText, ...] = (
    FigureText(
        "retention", "Retention in treatment",
        "Days from a patient's first naltrexone dose to the last day they were still treated (blocked by the "
        "blockade estimate, or covered by an oral supply). A run of more than {gap} untreated days ends the "
        "treatment (a discontinuation); a patient still treated on the report's day, or whose episode closed as "
        "transferred, is followed up to that day without counting as stopped. The curve is Kaplan-Meier's "
        "estimate of the share still in treatment N days after the first dose, with its 95% confidence band; the "
        "table reads it at 30, 90 and 180 days. A cohort is the quarter of the first dose.",
        "Kaplan-Meier product-limit estimate with the exponential Greenwood (log-log) interval, as the lifelines "
        "library computes it; the allowed gap of {gap} days is HEDIS POD's (clinical.md section 7.2). Retention "
        "by medication is how X:BOT (Lee et al., Lancet 2018) reports it."),
    FigureText(
        "cascade", "Cascade of care",
        "Of the patients in the filter: assessed (an episode of care opened), found ready for a first dose (a "
        "pre-dose check with nothing overridden), given a first dose, and still in treatment 30, 90 and 180 days "
        "after it. A retained-N stage counts only the patients whose first dose was at least N days before the "
        "report's day; its denominator says how many those are.",
        "The OUD cascade of care (Williams et al., 2019), with retention as defined above."),
    FigureText(
        "adherence", "Protected days, PDC and injections",
        "Protected days: the share of the days since each patient's first dose that the blockade estimate marks "
        "as blocked. PDC: each patient's proportion of days covered by naltrexone, its median across patients. "
        "Injections are on time when given within the allowed window of the due day, late when after it; a due "
        "day passed with no injection is missed.",
        "Blockade estimate of the coverage engine (docs/coverage.md); PDC as in analytics/adherence.py; the "
        "injection window is the program's threshold (domain/rules/thresholds.py)."),
    FigureText(
        "screens", "Urine screens negative for opioids and fentanyl",
        "Urine drug screens by month of treatment (month 0 is the 30 days before the first dose, month 1 the "
        "first 30 days after it): the share negative for opioids, and among screens that tested fentanyl, the "
        "share negative for fentanyl.",
        "Share of opioid-negative urine tests, an outcome of the naltrexone trials (clinical.md section 6)."),
    FigureText(
        "drinking", "Heavy drinking days",
        "From the drinking diaries, by month of treatment: heavy drinking days per 30 reported days (a heavy day "
        "is 5 or more standard drinks for men, 4 or more for women), and the mean change from the patient's own "
        "baseline (month 0) among patients who have one.",
        "Heavy drinking days, the FDA 2015 draft guidance endpoint for alcohol use disorder (clinical.md section "
        "6); the threshold by sex is domain/drinking.py's."),
    FigureText(
        "naloxone", "Naloxone offered after a lapse",
        "A lapse is a day protection ended. It counts as followed by naloxone when rescue naloxone was "
        "prescribed, dispensed or taught within {naloxone} days before or after it.",
        "Overdose risk after naltrexone ends (Vivitrol label section 5.1); the {naloxone}-day window is the "
        "program's own choice (configurable)."),
    FigureText(
        "bam", "Brief Addiction Monitor (BAM)",
        "Mean Brief Addiction Monitor scores by month of treatment, as the instrument is scored: use (items 4, 5 "
        "and 6: days of drinking, of heavy drinking and of drug use in the past 30 days), risk factors (items 1, "
        "2, 3, 8, 11 and 15) and protective factors (items 9, 10, 12, 13, 14 and 16). Lower use and risk scores "
        "and higher protective scores are better.",
        "Cacciola et al., J Subst Abuse Treat 2013 (the BAM and its scoring); measurement-based care, Joint "
        "Commission standard CTS.03.01.09."),
    FigureText(
        "quality", "Quality measures: HEDIS POD and IET",
        "POD (continuity of pharmacotherapy): of the opioid use disorder treatment events that started in the "
        "intake period, the share that lasted 180 days or more without a gap of 8 or more days (a naltrexone "
        "injection supplies 31 days). IET: patients with a new alcohol or opioid use disorder episode; initiation "
        "is a treatment contact within 14 days of the index date, engagement two more within 34 days after "
        "initiation. Numerator and denominator are shown with each rate.",
        "HEDIS MY2025 POD and IET (clinical.md sections 7.2 and 7.3), computed from the program's own doses and "
        "contacts through the same steps as a dispensing file."),
)

#: The section titles, by the report rows' section key.
SECTION_TITLES: dict[str, str] = {"program": "Patients in the filter"} | {f.key: f.title for f in FIGURES}
#: Sections whose values are means (the others are shares, shown as percentages).
MEAN_SECTIONS = frozenset({"drinking", "bam"})


def section_title(section: str) -> str:
    """The title of a report section (its key where it has none)."""
    return SECTION_TITLES.get(section, section[:1].upper() + section[1:])


def figure_text(key: str, definitions: MeasureDefinitions) -> FigureText:
    """The texts of one figure, with the definitions' numbers filled in."""
    figure = next(f for f in FIGURES if f.key == key)
    numbers = {"gap": definitions.retention_allowed_gap_days, "naloxone": definitions.naloxone_window_days}
    return FigureText(key, figure.title, figure.counted.format(**numbers), figure.source.format(**numbers))


def group_text(group: str) -> str:
    """A report row's group in words: a form by its name, month 0 as the baseline.

    Examples
    --------
    >>> group_text("xr-ntx"), group_text("month 0"), group_text("all"), group_text("2026 Q1")
    ('XR-naltrexone injection', 'month 0 (baseline)', 'all patients', '2026 Q1')
    """
    if group in FORM_LABELS:
        return FORM_LABELS[group][:1].upper() + FORM_LABELS[group][1:]
    if group == "all":
        return "all patients"
    return f"{group} (baseline)" if group == "month 0" else group


def month_label(group: str) -> str:
    """A ``month N`` group as a table's month cell: ``0 (baseline)``, ``1``, ..."""
    return group_text(group).removeprefix("month ")


def month_key(group: str) -> int:
    """The month number of a ``month N`` group, to sort months in order."""
    return int(group.removeprefix("month ")) if group.removeprefix("month ").isdigit() else -1


def count_text(count: int | None, note: str) -> str:
    """A count as shown: the number, "fewer than 11" where the row's note says it is suppressed, else a dash.

    Examples
    --------
    >>> count_text(1234, ""), count_text(None, "fewer than 11"), count_text(None, "95% CI 0.6-0.7")
    ('1,234', 'fewer than 11', '—')
    """
    if count is not None:
        return f"{count:,}"
    return note if is_suppressed(note) else "—"


def value_text(row: ReportRow) -> str:
    """A row's rate as a percentage, or its mean; the note where it is suppressed or missing.

    Examples
    --------
    >>> value_text(ReportRow("cascade", "First dose", "all", 30, 40, 0.75, ""))
    '75%'
    >>> value_text(ReportRow("drinking", "Change from baseline", "month 2", None, 12, -3.25, ""))
    '-3.2'
    >>> value_text(ReportRow("cascade", "Found ready", "all", None, 40, None, "fewer than 11"))
    'fewer than 11'
    """
    if row.value is None:
        return row.note or "—"
    if row.section in MEAN_SECTIONS:
        return f"{row.value:.1f}"
    return f"{row.value:.0%}"


def figure_cell(row: ReportRow) -> str:
    """A row's figure in one cell: the rate or mean with its counts, or the count alone, or the note.

    Examples
    --------
    >>> figure_cell(ReportRow("naloxone", "Naloxone offered at a lapse", "all", 128, 289, 0.443, ""))
    '44% (128 of 289)'
    >>> figure_cell(ReportRow("adherence", "Median PDC", "all", None, 368, 0.36, ""))
    '36% (368 patients)'
    >>> figure_cell(ReportRow("adherence", "Injections missed", "all", 613, None, None, ""))
    '613'
    >>> figure_cell(ReportRow("cascade", "Found ready", "all", None, 40, None, "fewer than 11"))
    'fewer than 11 (of 40)'
    """
    if row.value is None:
        if row.numerator is not None:
            return f"{row.numerator:,}"
        of = f" (of {row.denominator:,})" if row.denominator is not None else ""
        return f"{row.note or '—'}{of}"
    if row.numerator is not None and row.denominator is not None:
        return f"{value_text(row)} ({row.numerator:,} of {row.denominator:,})"
    if row.denominator is not None:
        return f"{value_text(row)} ({row.denominator:,} patients)"
    return value_text(row)
