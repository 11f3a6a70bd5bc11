"""The patient chart as the page shows it: plain values computed from a :class:`PatientChart`.

Nothing here decides a clinical question: alerts come from
:func:`~naltrack.domain.rules.monitoring.run_monitoring`, the end of protection from
:func:`~naltrack.domain.protection.protection_end` and the next injection from
:func:`~naltrack.domain.due_dates.next_injection_due` (what the dashboard, the REST API and the
CDS services show), liver multiples from :attr:`LabResult.times_upper_limit`. Days are those of
the clinic's zone. Sections follow the least-privilege matrix: a section shows only if the role
may read its category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from naltrack.domain.chart import PatientChart
from naltrack.domain.code_search import describe_medication
from naltrack.domain.dose_decisions import OUTCOME_LABELS, DoseDecision
from naltrack.domain.drinking import DiaryWeek, diary_weeks, heavy_drinking_from
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.episodes import INDICATION_LABELS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import ANALYTES, LIVER_LOINC, QuestionnaireResponse
from naltrack.domain.records import current
from naltrack.domain.regimens import KIND_LABELS, ORAL_TEST_DOSE_MG, Regimen, form_label
from naltrack.domain.rules.base import Alert
from naltrack.domain.rules.facts import active_diagnoses
from naltrack.domain.rules.monitoring import phq9_item9, run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.safety import ACTION_LABELS, RISK_LABELS
from naltrack.domain.security.roles import is_permitted
from naltrack.instruments.definitions import Instrument, get_instrument, instrument_ids
from naltrack.instruments.scoring import FLAGS, score
from naltrack.web.chart_history import allergy_rows, challenge_rows, last_use_rows

#: Chart sections and the category each reads (domain/security/roles.py).
SECTION_CATEGORY: dict[str, str] = {
    "alerts": "clinical-views", "coverage": "clinical-views", "administrations": "administrations",
    "labs": "labs", "screens": "urine-screens", "questionnaires": "questionnaires",
    "adverse_events": "adverse-events", "counseling": "counseling", "schedule": "schedule",
    "safety": "safety-assessments", "episodes": "episodes", "drinking": "substance-use",
    "medications": "medications", "diagnoses": "diagnoses", "pregnancy": "clinical-views",
    "allergies": "allergies", "last_use": "substance-use", "challenges": "labs",
}
#: Record links on the chart: (label, path suffix, category written).
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Record injection", "injections/new", "administrations"),
    ("Oral dose", "oral-doses/new", "administrations"),
    ("Implant", "implants/new", "administrations"),
    ("Lab result", "labs/new", "labs"),
    ("Urine screen", "screens/new", "urine-screens"),
    ("Questionnaire", "questionnaires", "questionnaires"),
    ("Counseling", "counseling/new", "counseling"),
    ("Safety assessment", "safety-assessments/new", "safety-assessments"),
    ("Last use", "substance-use/new", "substance-use"),
    ("Naloxone challenge", "naloxone-challenges/new", "labs"),
    ("Allergy", "allergies/new", "allergies"),
    ("Drinking diary", "drinking-diary/new", "substance-use"),
    ("Episode of care", "episodes/new", "episodes"),
    ("Pregnancy status", "pregnancy", "clinical-views"),
    ("Medication", "medications/new", "medications"),
    ("Adverse event", "adverse-events/new", "adverse-events"),
    ("Diagnosis", "diagnoses/new", "diagnoses"),
    ("Readiness checklist", "readiness", "clinical-views"),
    ("Order naltrexone", "orders/new", "regimens"),
    ("Book appointment", "appointments/new", "schedule"),
    ("Consents", "consents", "consents"),
)
UDS_COLUMNS = 8
#: Weeks of the drinking diary on the chart.
DIARY_WEEKS = 4
#: Brief Addiction Monitor responses in the chart's BAM table.
BAM_ROWS = 6


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class TimelineItem:
    when: datetime
    text: str
    by: str | None


@dataclass
class ChartView:
    patient: Any
    age: int
    status: str
    sections: dict[str, bool]
    actions: list[Link]
    alerts: list[Alert] = field(default_factory=list)
    acknowledged: dict[tuple[str, str], Any] = field(default_factory=dict)
    coverage: Any = None
    next_injection_due: date | None = None
    timeline: list[TimelineItem] = field(default_factory=list)
    liver: list[dict[str, Any]] = field(default_factory=list)
    liver_alert_times_uln: float = DEFAULT.liver_review_above_x_uln
    uds: dict[str, Any] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    score_series: list[dict[str, Any]] = field(default_factory=list)
    bam: dict[str, Any] | None = None
    instruments: list[Any] = field(default_factory=list)
    adverse_events: list[Any] = field(default_factory=list)
    counseling: list[Any] = field(default_factory=list)
    support_groups: list[Any] = field(default_factory=list)
    appointments: list[Any] = field(default_factory=list)
    safety_assessments: list[Any] = field(default_factory=list)
    item9_open: list[Alert] = field(default_factory=list)
    episode: Any = None
    episodes: list[Any] = field(default_factory=list)
    drinking: list[DiaryWeek] = field(default_factory=list)
    heavy_drinking_from: float | None = None
    pregnancy: dict[str, Any] | None = None
    medications: list[dict[str, Any]] = field(default_factory=list)
    diagnoses: list[Any] = field(default_factory=list)
    allergies: list[Any] = field(default_factory=list)
    last_use: list[Any] = field(default_factory=list)
    challenges: list[Any] = field(default_factory=list)
    orders: list[dict[str, Any]] | None = None


def sections_for(role: str) -> dict[str, bool]:
    return {name: is_permitted(role, category, "read") for name, category in SECTION_CATEGORY.items()}


def status_of(chart: PatientChart, today: date) -> str:
    """In treatment with which form, in induction, or discharged."""
    regimens = chart.active_regimens_on(today)
    if regimens:
        forms = sorted({r.form for r in regimens})
        since = min(r.start for r in regimens)
        return f"on {', '.join(forms)} since {since.isoformat()}"
    if chart.implants_in_place(today):
        return "implant in place"
    episode = chart.active_episode_on(today)
    if episode is not None:
        return f"in program ({episode.indication}, {episode.level_of_care}), no naltrexone yet"
    return "not in an open episode"


def timeline(chart: PatientChart) -> list[TimelineItem]:
    """Every administration, newest first."""
    items = [TimelineItem(i.given_at, f"XR-NTX 380 mg IM, {i.side} buttock, lot {i.lot}, "
                                      f"needle {i.needle_length_in:g} in", i.given_by)
             for i in current(chart.injections)]
    items += [TimelineItem(d.taken_at, f"oral {d.dose_mg:g} mg ({d.dose_status})", d.observed_by)
              for d in current(chart.oral_doses)]
    items += [TimelineItem(m.inserted_at, f"implant {m.dose_mg:g} mg ({m.product})", m.inserted_by)
              for m in current(chart.implants)]
    items += [TimelineItem(r.removed_at, f"implant removed: {r.reason}", r.removed_by)
              for r in current(chart.implant_removals)]
    items += [TimelineItem(d.decided_at, _decision_text(d), d.decided_by) for d in current(chart.dose_decisions)
              if d.outcome != "given" or d.is_override]
    return sorted(items, key=lambda t: t.when, reverse=True)


def _decision_text(decision: DoseDecision) -> str:
    form = form_label(decision.form, first=True)
    if decision.outcome != "given":
        return f"{form} {OUTCOME_LABELS[decision.outcome].lower()}: {decision.reason}"
    reasons = len(decision.overridden)
    return (f"{form} given despite {reasons} not-ready reason{'s' if reasons != 1 else ''}, overridden by the "
            f"prescriber: {decision.override_reason}")


def _order_dose(regimen: Regimen) -> str:
    if regimen.kind == "oral-schedule":
        text = ", ".join(f"{d.weekday.capitalize()} {d.dose_mg:g} mg" for d in regimen.schedule)
    else:
        text = f"{regimen.dose_mg:g} mg" + (" as needed" if regimen.kind == "targeted" else "")
    extras = [regimen.implant_product, f"about {regimen.expected_duration_days} days"
              if regimen.expected_duration_days else None,
              f"{ORAL_TEST_DOSE_MG:g} mg test dose first" if regimen.induction_test_dose else None,
              f"{regimen.days_supply} days' supply" if regimen.days_supply else None]
    return "; ".join([text, *(e for e in extras if e)])


def order_rows(chart: PatientChart, today: date) -> list[dict[str, Any]]:
    """Naltrexone orders (corrected ones left out), newest start first, in words: active, planned or ended."""
    regimens = sorted(current(chart.regimens), key=lambda r: r.start, reverse=True)
    return [{"id": r.id, "kind": KIND_LABELS[r.kind], "dose": _order_dose(r), "start": r.start, "end": r.end,
             "status": "active" if r.is_active_on(today) else "planned" if r.start > today else "ended",
             "prescriber": r.prescriber, "note": r.note,
             "indication": INDICATION_LABELS[r.indication] if r.indication else None} for r in regimens]


def in_words(code: str) -> str:
    """A coded value as words: ``not-resolved`` -> "Not resolved"."""
    return {"depression-suicidality": "Depression or suicidality"}.get(code, code.replace("-", " ").capitalize())


def pregnancy_line(chart: PatientChart) -> dict[str, Any]:
    """Pregnancy and breastfeeding as last recorded, in words (unknown when never recorded)."""
    status = chart.patient.reproductive
    words = {True: "yes", False: "no", None: "unknown"}
    if status is None:
        return {"pregnant": "unknown", "breastfeeding": "unknown", "as_of": None}
    return {"pregnant": words[status.pregnant], "breastfeeding": words[status.breastfeeding], "as_of": status.as_of}


def medication_rows(chart: PatientChart, today: date) -> list[dict[str, Any]]:
    """Medications taken on ``today``, newest start first, named and classed by the terminology."""
    taken = sorted((m for m in current(chart.medications) if m.is_active_on(today)), key=lambda m: m.start,
                   reverse=True)
    return [{"use": m, "med": describe_medication(m.rxnorm)} for m in taken]


def adverse_event_rows(chart: PatientChart) -> list[dict[str, Any]]:
    """Adverse events in force, newest onset first, in words."""
    events = sorted(current(chart.adverse_events), key=lambda a: a.onset, reverse=True)
    return [{"event": a, "kind": in_words(a.kind), "outcome": in_words(a.outcome)} for a in events]


def liver_rows(chart: PatientChart, thresholds: Thresholds) -> list[dict[str, Any]]:
    """Liver tests, newest first, as multiples of the upper limit of normal (clinical.md §2.7)."""
    labs = sorted((lab for lab in current(chart.labs) if lab.loinc in LIVER_LOINC),
                  key=lambda lab: lab.collected_at, reverse=True)
    return [{"day": lab.collected_at.date(), "name": LIVER_LOINC[lab.loinc], "value": lab.value, "unit": lab.unit,
             "times_uln": lab.times_upper_limit, "alert_times_uln": thresholds.liver_review_above_x_uln}
            for lab in labs]


def uds_grid(chart: PatientChart) -> dict[str, Any]:
    """The last screens as columns, newest left (in view without scrolling), one row per analyte tested at least
    once; a screen's column is headed by its clinic-recorded date."""
    screens = sorted(current(chart.screens), key=lambda s: s.collected_at, reverse=True)[:UDS_COLUMNS]
    tested = {r.analyte for s in screens for r in s.results}
    rows = [{"analyte": analyte, "cells": [s.result_for(analyte) for s in screens]}
            for analyte in ANALYTES if analyte in tested]
    return {"dates": [s.collected_at.date() for s in screens], "rows": rows}


def subscale_scores(response: QuestionnaireResponse) -> tuple[tuple[str, int | float], ...]:
    """The subscale scores of a stored response, from its answers (:func:`naltrack.instruments.score`); empty for an
    instrument without subscales or a response stored without its answers (a total imported alone)."""
    try:
        if not response.answers or not get_instrument(response.instrument).subscales:
            return ()
        return score(response.instrument, response.answers).subscales
    except InvalidInput:
        return ()


def score_series(chart: PatientChart) -> list[dict[str, Any]]:
    """Totals over time, one series per instrument answered at least twice (for the small charts); an instrument
    scored by subscale (the BAM) gets one series per subscale instead of its total."""
    by_instrument: dict[str, list[Any]] = {}
    for response in sorted(current(chart.questionnaires), key=lambda q: q.completed_at):
        by_instrument.setdefault(response.instrument, []).append(response)
    series = []
    for instrument_id, responses in sorted(by_instrument.items()):
        if len(responses) < 2:
            continue
        try:
            instrument = get_instrument(instrument_id)
        except InvalidInput:
            continue
        days = [r.completed_at.date().isoformat() for r in responses]
        if instrument.subscales:
            series += _subscale_series(instrument, responses, days)
            continue
        series.append({"id": instrument_id, "title": instrument_id.upper(), "max": instrument.max_total, "days": days,
                       "totals": [r.total for r in responses],
                       "bands": [instrument.band_label(r.band) for r in responses]})
    return series


def _subscale_series(instrument: Instrument, responses: list[Any], days: list[str]) -> list[dict[str, Any]]:
    scores = [dict(subscale_scores(r)) for r in responses]
    return [{"id": f"{instrument.id}-{sub.name}", "title": f"{instrument.id.upper()} {sub.label.lower()}",
             "max": instrument.subscale_max(sub), "days": days, "totals": [s.get(sub.name) for s in scores],
             "bands": [FLAGS[sub.flag].label if sub.flag in r.flags else "" for r in responses]}
            for sub in instrument.subscales]


def score_rows(chart: PatientChart) -> list[dict[str, Any]]:
    """Every response, newest first; an instrument scored by subscale shows its subscales (``use 2 · risk 9 ...``)."""
    responses = sorted(current(chart.questionnaires), key=lambda q: q.completed_at, reverse=True)
    return [{"day": q.completed_at.date(), "instrument": q.instrument.upper(),
             "total": " · ".join(f"{name} {value:g}" for name, value in subscale_scores(q)) or f"{q.total:g}",
             "band": q.band, "flags": q.flags} for q in responses]


def bam_trend(chart: PatientChart, shown: int = BAM_ROWS) -> dict[str, Any] | None:
    """The last Brief Addiction Monitor responses, newest first: each subscale as a column (label, highest score,
    what its flag means) and each response's scores, marked where the response carries the subscale's flag."""
    responses = sorted((q for q in current(chart.questionnaires) if q.instrument == "bam"),
                       key=lambda q: q.completed_at, reverse=True)
    rows = [{"day": q.completed_at.date(), "scores": dict(scores), "flags": q.flags}
            for q in responses[:shown] if (scores := subscale_scores(q))]
    if not rows:
        return None
    bam = get_instrument("bam")
    columns = [{"name": sub.name, "label": sub.label, "max": bam.subscale_max(sub), "flag": sub.flag,
                "meaning": FLAGS[sub.flag].meaning} for sub in bam.subscales]
    return {"columns": columns, "rows": rows, "source": FLAGS[bam.subscales[0].flag].source}


def safety_rows(chart: PatientChart) -> list[dict[str, Any]]:
    """Safety assessments, newest first, in plain words (domain/safety.py)."""
    rows = sorted(current(chart.safety_assessments), key=lambda a: a.assessed_at, reverse=True)
    return [{"when": a.assessed_at, "risk": RISK_LABELS[a.risk_level],
             "actions": "; ".join(ACTION_LABELS[x] for x in a.actions), "note": a.note,
             "follow_up_on": a.follow_up_on, "by": f"{a.assessed_by} ({a.assessor_role})"} for a in rows]


def add_program(view: ChartView, chart: PatientChart, today: date, thresholds: Thresholds) -> None:
    """The episode of care open today (and every episode, newest first) and the drinking diary's last weeks, up to
    the newest day reported (so that a week entered shows as one)."""
    if view.sections["episodes"]:
        view.episode = chart.active_episode_on(today)
        view.episodes = sorted(current(chart.episodes), key=lambda e: e.start, reverse=True)
    if view.sections["drinking"]:
        sex = chart.patient.sex_at_birth
        last = max((d.day for d in current(chart.drinking_days) if d.day <= today), default=today)
        view.drinking = diary_weeks(chart.drinking_days, last, DIARY_WEEKS, sex, thresholds)
        view.heavy_drinking_from = heavy_drinking_from(sex, thresholds)


def build_chart_view(chart: PatientChart, role: str, today: date, tz: tzinfo, coverage: Any = None,
                     thresholds: Thresholds = DEFAULT) -> ChartView:
    """Everything the chart page shows for ``role`` on the clinic-local day ``today`` (``tz``: the clinic's zone)."""
    sections = sections_for(role)
    pid = chart.patient.id
    view = ChartView(
        patient=chart.patient, age=chart.patient.age_on(today),
        status=status_of(chart, today) if is_permitted(role, "regimens", "read") else "—",
        sections=sections,
        actions=[Link(label, f"/patients/{pid}/{suffix}") for label, suffix, category in ACTIONS
                 if is_permitted(role, category, "create" if category != "clinical-views" else "read")],
    )
    if is_permitted(role, "regimens", "read"):
        view.orders = order_rows(chart, today)
    if sections["alerts"]:
        view.alerts = run_monitoring(chart, today, tz, thresholds)
    if sections["coverage"]:
        view.coverage = coverage
        view.next_injection_due = next_injection_due(chart, today, tz, thresholds)
    if sections["administrations"]:
        view.timeline = timeline(chart)
    if sections["labs"]:
        view.liver = liver_rows(chart, thresholds)
    if sections["screens"]:
        view.uds = uds_grid(chart)
    if sections["questionnaires"]:
        view.scores = score_rows(chart)
        view.score_series = score_series(chart)
        view.bam = bam_trend(chart)
        view.instruments = [get_instrument(i) for i in instrument_ids()]
    if sections["adverse_events"]:
        view.adverse_events = adverse_event_rows(chart)
    if sections["counseling"]:
        view.counseling = sorted(current(chart.counseling), key=lambda c: c.held_on, reverse=True)
        view.support_groups = sorted(current(chart.support_groups), key=lambda g: g.attended_on, reverse=True)
    if sections["schedule"]:
        view.appointments = sorted((a for a in current(chart.appointments) if a.starts_at.date() >= today),
                                   key=lambda a: a.starts_at)
    if sections["pregnancy"]:
        view.pregnancy = pregnancy_line(chart)
    if sections["allergies"]:
        view.allergies = allergy_rows(chart)
    if sections["last_use"]:
        view.last_use = last_use_rows(chart)
    if sections["challenges"]:
        view.challenges = challenge_rows(chart)
    if sections["medications"]:
        view.medications = medication_rows(chart, today)
    if sections["diagnoses"]:
        view.diagnoses = active_diagnoses(chart, today)
    if sections["safety"]:
        view.safety_assessments = safety_rows(chart)
        view.item9_open = phq9_item9(chart, today) if sections["questionnaires"] else []
    add_program(view, chart, today, thresholds)
    return view
