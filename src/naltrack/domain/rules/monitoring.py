"""Safety monitoring: the alerts a patient's record raises on a given day.

:func:`run_monitoring` runs every monitoring rule. The end of protection comes from an
``estimate_protection_end(chart, today) -> date | None`` callable: the default,
:func:`protection_end_of`, is the coverage engine's end of protection (the typical
subject's last protected day, docs/pk.md "End of protection"), the one the chart, the
dashboard and the CDS services show; only a chart with no administration at all falls back
to the days' supply of naltrexone known as a medicine (:func:`medication_supply_protection_end`).

Sources: clinical.md §1.2 (schedule, naloxone at every injection and after a missed dose),
§2.6, §2.7, §3 (warnings), §5 (PHQ-9 item 9); pk.md §4.1, §7 (end of protection).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from naltrack.domain.catalog import find_medication, is_rescue_naloxone
from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import estimate_protection_end
from naltrack.domain.records import current
from naltrack.domain.rules import facts
from naltrack.domain.rules.base import Alert, AlertSeverity, get_rule
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds

ProtectionEstimator = Callable[[PatientChart, date], date | None]


def protection_end_of(chart: PatientChart, today: date) -> date | None:
    """The end of protection rule MON-PROTECTION-END reads by default.

    The coverage engine's :func:`~naltrack.domain.coverage.estimate_protection_end` when the
    chart holds an administration (oral dose taken, injection, implant); otherwise, for
    naltrexone known only as a medicine (an imported bundle), its days' supply.
    """
    given = (any(d.was_taken for d in current(chart.oral_doses)) or bool(current(chart.injections))
             or bool(current(chart.implants)))
    return estimate_protection_end(chart, today) if given else medication_supply_protection_end(chart, today)


def medication_supply_protection_end(chart: PatientChart, today: date,
                                     thresholds: Thresholds = DEFAULT) -> date | None:
    """Naltrexone known only as a medicine, dispensed or reported: the last day taken plus the
    blockade of its form (XR-NTX 28 days, clinical.md §1.2; oral 1 day, §1.1; implant the
    configured default, §1.3). ``None`` when there is none."""
    days = {"naltrexone-xr": thresholds.xr_ntx_blockade_days, "naltrexone-oral": 1,
            "naltrexone-implant": thresholds.implant_default_days}
    ends = []
    for med in current(chart.medications):
        entry = find_medication(med.rxnorm)
        if entry is None or entry.medication_class not in days or med.source == "prescribed" or med.start > today:
            continue
        ends.append(facts.medication_last_day(med, today) + timedelta(days=days[entry.medication_class]))
    return max(ends) if ends else None


def run_monitoring(
    chart: PatientChart,
    today: date,
    *,
    estimate_protection_end: ProtectionEstimator = protection_end_of,
    thresholds: Thresholds = DEFAULT,
) -> list[Alert]:
    """Every alert the chart raises on ``today``, most severe first.

    Parameters
    ----------
    chart : PatientChart
        The patient's record.
    today : date
        The clinic's local date.
    estimate_protection_end : callable
        ``(chart, today) -> date | None``: last day of expected opioid blockade
        (default :func:`protection_end_of`).
    thresholds : Thresholds
        Configurable defaults.

    Returns
    -------
    list of Alert
        Each with rule id, severity, message, source and suggested action.
    """
    alerts: list[Alert] = []
    alerts += injection_due(chart, today, thresholds)
    alerts += protection_end(chart, today, estimate_protection_end(chart, today), thresholds)
    alerts += liver_rising(chart, today, thresholds)
    alerts += phq9_item9(chart, today, thresholds)
    alerts += injection_site(chart, today, thresholds)
    alerts += eosinophilic_pneumonia(chart, today)
    alerts += pregnancy(chart, today)
    alerts += surgery(chart, today, thresholds)
    alerts += pain_guidance(chart, today)
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(alerts, key=lambda a: order[a.severity])


def _alert(rule: str, severity: AlertSeverity, message: str, action: str, subject: str | None = None) -> Alert:
    return Alert(rule, severity, message, get_rule(rule).source, action, subject)


def _recent_injection(chart: PatientChart, today: date, t: Thresholds) -> bool:
    last = chart.last_injection(today)
    return last is not None and (today - last.given_at.date()).days <= t.opioid_order_window_after_injection_days


def _on_naltrexone(chart: PatientChart, today: date) -> bool:
    return bool(chart.active_regimens_on(today)) or bool(chart.implants_in_place(today))


def injection_due(chart: PatientChart, today: date, t: Thresholds) -> list[Alert]:
    """Due from ``interval - window`` days, overdue after the interval; UDS and consult by the late-dose table."""
    regimens = [r for r in chart.active_regimens_on(today) if r.form == "xr-ntx"]
    last = chart.last_injection(today)
    if not regimens or last is None:
        return []
    interval = regimens[0].interval_days or t.injection_interval_days
    day = (today - last.given_at.date()).days
    if day >= t.injection_consult_from_day:
        return [_alert("MON-INJECTION-DUE", "critical", f"Injection overdue: day {day} since the last one "
                       f"({last.given_at.date()}).", "Consult the prescriber before the next injection; "
                       f"reassess opioid use and readiness. {_naloxone_offer(chart, today)}", last.id)]
    if day >= t.injection_uds_required_from_day:
        return [_alert("MON-INJECTION-DUE", "critical", f"Injection overdue: day {day} since the last one.",
                       "Point-of-care urine drug screen before injecting; if positive do not inject, consult. "
                       f"{_naloxone_offer(chart, today)}", last.id)]
    if day > interval:
        return [_alert("MON-INJECTION-DUE", "warning", f"Injection overdue: day {day} since the last one (due on "
                       f"day {interval}).", f"Give the next dose as soon as possible. {_naloxone_offer(chart, today)}",
                       last.id)]
    if day >= interval - t.injection_due_window_days:
        return [_alert("MON-INJECTION-DUE", "info", f"Injection due: day {day} of {interval}.",
                       "Schedule the injection in the other buttock.", last.id)]
    return []


def _has_rescue_naloxone(chart: PatientChart, today: date) -> bool:
    for med in current(chart.medications):
        entry = find_medication(med.rxnorm)
        if entry is not None and is_rescue_naloxone(entry) and med.start <= today:
            return True
    return False


def _naloxone_offer(chart: PatientChart, today: date) -> str:
    """After a missed dose, offer an overdose reversal agent (label 2.2, clinical.md §1.2)."""
    if _has_rescue_naloxone(chart, today):
        return "Rescue naloxone is on file: confirm the patient still has it."
    return "No rescue naloxone on file (buprenorphine/naloxone does not count): prescribe or give naloxone."


def protection_end(chart: PatientChart, today: date, end: date | None, t: Thresholds) -> list[Alert]:
    """End of blockade: overdose risk after detox; offer rescue naloxone (label 2.2, clinical.md §1.2, §3).

    ``end`` is the last day the estimated level stays protective (>= 2 ng/mL, docs/pk.md). On XR-NTX
    the typical level falls below that a few days before the label's 4-week interval: through the
    late-dose table's administer window (day 34, clinical.md §1.2) the alert is a warning that the
    blockade is incomplete until the injection is given; from day 35 (a urine screen is required
    first), or on oral or implant, a lapse is critical for a patient with OUD (or no
    indication on file) and a warning without the overdose wording for an AUD-only patient.
    """
    if end is None:
        return []
    naloxone = _naloxone_offer(chart, today)
    if end < today and (today - end).days <= t.lapse_alert_days:
        due_day = _injection_in_administer_window(chart, today, t)
        if due_day is not None:
            late = (f"incomplete until the injection due on {due_day}." if today <= due_day else
                    f"the injection due on {due_day} is late; it can still be given without a urine screen "
                    f"until day {t.injection_uds_required_from_day - 1}.")
            return [_alert("MON-PROTECTION-END", "warning", f"Estimated blockade below the protective level "
                           f"since {end}: {late}", f"Give the injection on time; do not let it slip. {naloxone}")]
        if _aud_only(chart, today):
            return [_alert("MON-PROTECTION-END", "warning", f"Naltrexone blockade ended on {end} "
                           f"({(today - end).days} days ago): a dose was missed or treatment lapsed.",
                           f"Contact the patient; resume treatment. {naloxone}")]
        return [_alert("MON-PROTECTION-END", "critical", f"Opioid blockade ended on {end} ({(today - end).days} days "
                       "ago): tolerance is low after detox, so overdose risk is high.",
                       f"Contact the patient; resume treatment. {naloxone}")]
    if today <= end and (end - today).days <= t.protection_warning_days:
        return [_alert("MON-PROTECTION-END", "warning", f"Opioid blockade is expected to end on {end}.",
                       f"Give the next dose before then. {naloxone}")]
    return []


def _aud_only(chart: PatientChart, today: date) -> bool:
    """AUD on record (episode or F10 diagnosis) and no sign of OUD: no OUD/OUD+AUD episode, no F11
    diagnosis, no opioid use reported, taken or detected. A chart with neither indication counts as OUD."""
    episodes = [e for e in current(chart.episodes) if e.start <= today]
    diagnoses = facts.active_diagnoses(chart, today)
    if (any(e.treats_oud for e in episodes) or facts.has_code(diagnoses, facts.SNOMED_OUD, ("F11",))
            or facts.last_opioid_use(chart, today)):
        return False
    return any(e.treats_aud for e in episodes) or bool(facts.has_code(diagnoses, facts.SNOMED_AUD, ("F10",)))


def _injection_in_administer_window(chart: PatientChart, today: date, t: Thresholds) -> date | None:
    """The due date of the next XR-NTX injection while the late-dose table still says administer.

    That is through day ``injection_uds_required_from_day - 1`` (day 34) after the last injection
    (clinical.md §1.2 late-dose table; label blockade about 28 days); from day 35 a urine screen
    is required first, so ``None`` (and ``None`` when the patient is not on XR-NTX).
    """
    regimens = [r for r in chart.active_regimens_on(today) if r.form == "xr-ntx"]
    last = chart.last_injection(today)
    if not regimens or last is None:
        return None
    due = last.given_at.date() + timedelta(days=regimens[0].interval_days or t.injection_interval_days)
    window_ends = last.given_at.date() + timedelta(days=t.injection_uds_required_from_day - 1)
    return due if today <= max(due, window_ends) else None


def liver_rising(chart: PatientChart, today: date, t: Thresholds) -> list[Alert]:
    """ALT/AST above 3x or 5x ULN, or rising above the ULN (clinical.md §2.7)."""
    alerts: list[Alert] = []
    oldest = today - timedelta(days=t.liver_lookback_days)
    for loinc, name in (("1742-6", "ALT"), ("1920-8", "AST")):
        labs = [lab for lab in chart.labs_for(loinc, on_or_before=today) if lab.collected_at.date() >= oldest]
        if not labs or labs[-1].times_upper_limit is None:
            continue
        latest, times = labs[-1], labs[-1].times_upper_limit or 0.0
        text = f"{name} {latest.value:g} {latest.unit} on {latest.collected_at.date()} is {times:g}x the upper limit"
        if times > t.liver_not_ready_above_x_uln:
            alerts.append(_alert("MON-LIVER-RISING", "critical", f"{text}.", "Assess for acute hepatitis; stop "
                                 "naltrexone if signs of acute hepatitis.", latest.id))
        elif times > t.liver_review_above_x_uln:
            alerts.append(_alert("MON-LIVER-RISING", "warning", f"{text}.", "Check for hepatitis symptoms; repeat "
                                 "liver tests sooner.", latest.id))
        elif len(labs) > 1 and times > 1 and latest.value >= labs[-2].value * t.liver_rise_ratio:
            alerts.append(_alert("MON-LIVER-RISING", "warning", f"{text}, up from {labs[-2].value:g}.",
                                 "Repeat liver tests; ask about alcohol and other hepatotoxic drugs.", latest.id))
    return alerts


def phq9_item9(chart: PatientChart, today: date, t: Thresholds) -> list[Alert]:
    """The latest PHQ-9 with item 9 above 0 (clinical.md §5; depression and suicidality, §3)."""
    latest = facts.latest_response(chart, "phq-9", today)
    if latest is None or (today - latest.completed_at.date()).days > t.phq9_lookback_days:
        return []
    item9 = latest.answers[8] if len(latest.answers) >= 9 else None
    if (item9 is not None and item9 > 0) or "item-9-positive" in latest.flags:
        return [_alert("MON-PHQ9-ITEM9", "critical", f"PHQ-9 on {latest.completed_at.date()}: item 9 (thoughts of "
                       f"self-harm) answered {item9:g}." if item9 is not None else "PHQ-9 item 9 positive.",
                       "Urgent: assess suicide risk today and follow the safety plan.", latest.id)]
    return []


def injection_site(chart: PatientChart, today: date, t: Thresholds) -> list[Alert]:
    """Unresolved injection-site reactions; escalate after 2 weeks or with necrosis (clinical.md §3)."""
    alerts: list[Alert] = []
    for event in current(chart.adverse_events):
        if event.kind != "injection-site-reaction" or event.outcome in ("resolved", "resolved-with-sequelae"):
            continue
        if event.onset > today:
            continue
        days = (today - event.onset).days
        necrosis = event.site is not None and event.site.necrosis
        if necrosis or days >= t.injection_site_escalate_days:
            alerts.append(_alert("MON-INJECTION-SITE", "critical", f"Injection-site reaction since {event.onset} "
                                 f"({days} days){', with necrosis' if necrosis else ''} is not resolved.",
                                 "Refer to a surgeon; report the reaction to the manufacturer/FDA.", event.id))
        else:
            alerts.append(_alert("MON-INJECTION-SITE", "warning", f"Injection-site reaction since {event.onset} "
                                 f"({days} days).", "Follow up the site; refer if it worsens.", event.id))
    return alerts


def eosinophilic_pneumonia(chart: PatientChart, today: date) -> list[Alert]:
    """Dyspnea/hypoxemia or diagnosed eosinophilic pneumonia not resolved (clinical.md §3)."""
    alerts: list[Alert] = []
    for event in current(chart.adverse_events):
        if event.onset > today or event.outcome in ("resolved", "resolved-with-sequelae"):
            continue
        if event.kind == "eosinophilic-pneumonia":
            alerts.append(_alert("MON-EOSINOPHILIC-PNEUMONIA", "critical", f"Eosinophilic pneumonia since "
                                 f"{event.onset} is not resolved.", "Seek medical care; hospitalization may be "
                                 "needed.", event.id))
        elif event.kind == "dyspnea":
            alerts.append(_alert("MON-EOSINOPHILIC-PNEUMONIA", "warning", f"Dyspnea reported since {event.onset}: "
                                 "consider eosinophilic pneumonia.", "Assess (oxygen saturation, chest imaging); "
                                 "consider it if antibiotics do not help.", event.id))
    return alerts


def pregnancy(chart: PatientChart, today: date) -> list[Alert]:
    """A pregnancy reported while on naltrexone (clinical.md §2.6, NYSDOH B3)."""
    status = chart.patient.reproductive
    if status is None or not status.pregnant or status.as_of > today or not _on_naltrexone(chart, today):
        return []
    return [_alert("MON-PREGNANCY", "warning", f"Pregnancy reported on {status.as_of} during naltrexone treatment.",
                   "Inform the patient of risks and benefits and of the preferred options; involve obstetrics.")]


def surgery(chart: PatientChart, today: date, t: Thresholds) -> list[Alert]:
    """Planned procedures: oral stops 72 h before, XR-NTX 30 days before (clinical.md §3, ASAM)."""
    alerts: list[Alert] = []
    regimens = chart.active_regimens_on(today)
    forms = {r.form for r in regimens}
    for proc in current(chart.procedures):
        ahead = (proc.planned_on - today).days
        if not 0 <= ahead <= t.surgery_horizon_days:
            continue
        if "xr-ntx" in forms or _recent_injection(chart, today, t):
            stop = proc.planned_on - timedelta(days=t.xr_ntx_stop_before_surgery_days)
            severity: AlertSeverity = "critical" if today > stop else "warning"
            alerts.append(_alert("MON-SURGERY", severity, f"{proc.description} planned on {proc.planned_on}: no "
                                 f"XR-NTX injection after {stop} (30 days before).",
                                 "Tell the surgical team; plan non-opioid and regional analgesia.", proc.id))
        if "oral" in forms:
            stop_at = datetime.combine(proc.planned_on, datetime.min.time()) - timedelta(
                hours=t.oral_stop_before_surgery_hours)
            alerts.append(_alert("MON-SURGERY", "warning", f"{proc.description} planned on {proc.planned_on}: stop "
                                 f"oral naltrexone by {stop_at.date()} (72 h before).",
                                 "Give the stop date to the patient and the surgical team.", proc.id))
        if chart.implants_in_place(today):
            alerts.append(_alert("MON-SURGERY", "warning", f"{proc.description} planned on {proc.planned_on} with a "
                                 "naltrexone implant in place.", "Discuss removal or analgesia with the surgeon.",
                                 proc.id))
    return alerts


def pain_guidance(chart: PatientChart, today: date) -> list[Alert]:
    """On naltrexone without emergency pain-management guidance or wallet card on file (clinical.md §3)."""
    if not _on_naltrexone(chart, today):
        return []
    kinds = {d.kind for d in current(chart.documents) if d.issued_on <= today}
    if "emergency-pain-guidance" in kinds:
        return []
    return [_alert("MON-PAIN-GUIDANCE", "warning", "No emergency pain-management guidance on file for a patient on "
                   "naltrexone.", "Give the emergency pain guidance and a wallet card; record them.")]
