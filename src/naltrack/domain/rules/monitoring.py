"""Safety monitoring: the alerts a patient's record raises on a given day.

:func:`run_monitoring` runs every monitoring rule on a clinic-local day, in the clinic's zone.
The end of protection is :func:`naltrack.domain.protection.protection_end` (the last day the
typical subject is blocked by the opioid-blockade model for recorded doses, docs/pk.md "How the
domain uses the blockade estimate"), the next injection's due day
:mod:`naltrack.domain.due_dates`, the indication and rescue naloxone
:mod:`naltrack.domain.indications`: the same answers the chart, the dashboard, the REST API
and the CDS services give.

A patient whose doses follow a label schedule (oral 50 mg daily or 100/100/150 mg Mon/Wed/Fri,
XR-NTX every 4 weeks, an implant within its duration) gets no critical alert from these rules
(a property test); critical means overdose risk, an overdue injection needing a urine screen,
self-harm, necrosis, hepatitis.

Sources: clinical.md §1.2 (schedule, naloxone at every injection and after a missed dose),
§2.6, §2.7, §3 (warnings), §5 (PHQ-9 item 9); pk.md §4 (blockade).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from naltrack.domain.care import AdverseEvent
from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.due_dates import (
    days_since_last_injection,
    injection_due_on,
    injection_interval_days,
    next_dose_scheduled,
)
from naltrack.domain.indications import active_regimen, has_rescue_naloxone, is_aud_only
from naltrack.domain.observations import QuestionnaireResponse
from naltrack.domain.protection import announces_protection_end, protection_end
from naltrack.domain.records import current
from naltrack.domain.rules.base import Alert, AlertSeverity, get_rule
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.safety import closes_response


def run_monitoring(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds = DEFAULT) -> list[Alert]:
    """Every alert the chart raises on ``today``, most severe first.

    Parameters
    ----------
    chart : PatientChart
        The patient's record.
    today : date
        The clinic's local date.
    tz : tzinfo
        The clinic's time zone (``Clinic.zone``): the day of an injection is its day there.
    thresholds : Thresholds
        Configurable defaults.

    Returns
    -------
    list of Alert
        Each with rule id, severity, message, source and suggested action.
    """
    alerts: list[Alert] = []
    alerts += injection_due(chart, today, tz, thresholds)
    alerts += protection_end_alerts(chart, today, protection_end(chart, today, tz, thresholds), tz, thresholds)
    alerts += liver_rising(chart, today, thresholds)
    alerts += phq9_item9(chart, today)
    alerts += injection_site(chart, today, thresholds)
    alerts += eosinophilic_pneumonia(chart, today)
    alerts += pregnancy(chart, today)
    alerts += surgery(chart, today, tz, thresholds)
    alerts += pain_guidance(chart, today)
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(alerts, key=lambda a: order[a.severity])


def _alert(rule: str, severity: AlertSeverity, message: str, action: str, subject: str | None = None) -> Alert:
    return Alert(rule, severity, message, get_rule(rule).source, action, subject)


def _recent_injection(chart: PatientChart, today: date, tz: tzinfo, t: Thresholds) -> bool:
    days = days_since_last_injection(chart, today, tz)
    return days is not None and days <= t.opioid_order_window_after_injection_days


def _on_naltrexone(chart: PatientChart, today: date) -> bool:
    return bool(chart.active_regimens_on(today)) or bool(chart.implants_in_place(today))


def injection_due(chart: PatientChart, today: date, tz: tzinfo, t: Thresholds) -> list[Alert]:
    """Due from ``interval - window`` days, overdue after the interval; UDS and consult by the late-dose table."""
    regimen = active_regimen(chart, today, "xr-ntx")
    last = chart.last_injection(today, tz)
    if regimen is None or last is None:
        return []
    interval = injection_interval_days([regimen], t)
    given_on = local_day(last.given_at, tz)
    day = (today - given_on).days
    if day >= t.injection_consult_from_day:
        return [_alert("MON-INJECTION-DUE", "critical", f"Injection overdue: day {day} since the last one "
                       f"({given_on}).", "Consult the prescriber before the next injection; "
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


def _naloxone_offer(chart: PatientChart, today: date) -> str:
    """After a missed dose, offer an overdose reversal agent (label 2.2, clinical.md §1.2)."""
    if has_rescue_naloxone(chart, today):
        return "Rescue naloxone is on file: confirm the patient still has it."
    return "No rescue naloxone on file (buprenorphine/naloxone does not count): prescribe or give naloxone."


def protection_end_alerts(chart: PatientChart, today: date, end: date | None, tz: tzinfo,
                          t: Thresholds) -> list[Alert]:
    """End of blockade: overdose risk after detox; offer rescue naloxone (label 2.2, clinical.md §1.2, §3).

    ``end`` is the last day the patient is blocked (:func:`naltrack.domain.protection.protection_end`,
    the opioid-blockade estimate). Once it has passed (for ``lapse_alert_days``) the alert is critical
    for a patient with OUD (or no indication on file) and a warning without the overdose wording for
    an AUD-only patient; a patient on XR-NTX whose injection is not yet late (by the day it is due)
    gets a warning to give it now, since the label's 4-week schedule was followed. Before the end,
    it is announced ``protection_warning_days`` ahead unless the next dose is already scheduled: an
    XR-NTX injection (rule MON-INJECTION-DUE announces it) or a scheduled oral regimen (tomorrow's
    dose continues the blockade).
    """
    if end is None or not announces_protection_end(end, today, next_dose_scheduled(chart, today, tz), t):
        return []
    naloxone = _naloxone_offer(chart, today)
    if end < today:
        return [_lapse(chart, today, end, tz, t, naloxone)]
    return [_alert("MON-PROTECTION-END", "warning", f"Opioid blockade is expected to end on {end} (blocked "
                   f"through {end}).", f"Give the next dose before then. {naloxone}")]


def _lapse(chart: PatientChart, today: date, end: date, tz: tzinfo, t: Thresholds, naloxone: str) -> Alert:
    ago = (today - end).days
    due = _injection_due_not_late(chart, today, tz, t)
    if due is not None:
        return _alert("MON-PROTECTION-END", "warning", f"Estimated opioid blockade ended on {end}, before the "
                      f"injection due on {due}.", f"Give the injection now. {naloxone}")
    if is_aud_only(chart, today):
        return _alert("MON-PROTECTION-END", "warning", f"Naltrexone blockade ended on {end} ({ago} days ago): a "
                      "dose was missed or treatment lapsed.", f"Contact the patient; resume treatment. {naloxone}")
    return _alert("MON-PROTECTION-END", "critical", f"Opioid blockade ended on {end} ({ago} days ago): tolerance is "
                  "low after detox, so overdose risk is high.", f"Contact the patient; resume treatment. {naloxone}")


def _injection_due_not_late(chart: PatientChart, today: date, tz: tzinfo, t: Thresholds) -> date | None:
    """The due day of the next XR-NTX injection of a patient on an XR-NTX regimen while it is not late
    (today on or before it, clinical.md §1.2 every 4 weeks); else ``None``."""
    regimen = active_regimen(chart, today, "xr-ntx")
    last = chart.last_injection(today, tz)
    if regimen is None or last is None:
        return None
    due = injection_due_on(local_day(last.given_at, tz), injection_interval_days([regimen], t))
    return due if today <= due else None


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


def phq9_item9(chart: PatientChart, today: date) -> list[Alert]:
    """The latest PHQ-9 with item 9 above 0, open until a safety assessment answers it (clinical.md §5; §3).

    Item 9 (thoughts of self-harm) starts the safety workflow. The alert has no look-back and
    an acknowledgement does not close it: it stays open until a prescriber or counselor records a
    suicide-risk safety assessment made at or after the response, or naming it
    (:func:`naltrack.domain.safety.closes_response`).
    """
    positive = [q for q in chart.responses_to("phq-9") if q.completed_at.date() <= today and _item9_positive(q)]
    if not positive:
        return []
    latest = positive[-1]
    if any(closes_response(a, latest) for a in chart.safety_assessments):
        return []
    item9 = latest.answers[8] if len(latest.answers) >= 9 else None
    said = f"answered {item9:g}" if item9 is not None else "positive"
    return [_alert("MON-PHQ9-ITEM9", "critical", f"PHQ-9 on {latest.completed_at.date()}: item 9 (thoughts of "
                   f"self-harm) {said}; no safety assessment recorded since.",
                   "Urgent: assess suicide risk today and record the safety assessment.", latest.id)]


def _item9_positive(response: QuestionnaireResponse) -> bool:
    return (len(response.answers) >= 9 and response.answers[8] > 0) or "item-9-positive" in response.flags


def injection_site(chart: PatientChart, today: date, t: Thresholds = DEFAULT) -> list[Alert]:
    """Unresolved injection-site reactions, by their status (clinical.md §3; label, FDA 2008).

    Critical, refer to a surgeon: a worsening reaction (larger induration or a higher grade than the
    record it corrects), or, unless it is resolving, necrosis, a surgical referral or a severe one
    (``injection_site_critical_from_grade``: CTCAE grade 3, ulceration, necrosis or an abscess needing an
    operation). Warning: a resolving reaction (follow it to resolution); one not improving after
    ``injection_site_escalate_days`` (report it); a new one (follow it up).
    """
    alerts: list[Alert] = []
    for event in current(chart.adverse_events):
        if (event.kind != "injection-site-reaction" or event.outcome in ("resolved", "resolved-with-sequelae")
                or event.onset > today):
            continue
        days = (today - event.onset).days
        text = f"Injection-site reaction since {event.onset} ({days} days)"
        why = _worsening(chart, event) or ("" if event.outcome == "resolving" else _severe(event, t))
        if why:
            alerts.append(_alert("MON-INJECTION-SITE", "critical", f"{text}: {why}.",
                                 "Refer to a surgeon; report the reaction to the manufacturer/FDA.", event.id))
        elif event.outcome == "resolving":
            alerts.append(_alert("MON-INJECTION-SITE", "warning", f"{text}, resolving.",
                                 "Follow up the site until it has resolved; refer if it worsens.", event.id))
        elif days >= t.injection_site_escalate_days:
            alerts.append(_alert("MON-INJECTION-SITE", "warning", f"{text} is not improving.",
                                 "Report the reaction to the manufacturer/FDA (not improving within 2 weeks); "
                                 "refer to a surgeon if it worsens.", event.id))
        else:
            alerts.append(_alert("MON-INJECTION-SITE", "warning", f"{text}.", "Follow up the site; refer if it "
                                 "worsens.", event.id))
    return alerts


def _severe(event: AdverseEvent, t: Thresholds) -> str:
    """Necrosis, a surgical referral or a severe grade, or ``""``."""
    site = event.site
    if site is not None and site.necrosis:
        return "necrosis"
    if site is not None and site.surgical_referral:
        return "referred to a surgeon"
    return f"severe (CTCAE grade {event.ctcae_grade})" if event.ctcae_grade >= t.injection_site_critical_from_grade \
        else ""


def _worsening(chart: PatientChart, event: AdverseEvent) -> str:
    """Larger induration or a higher grade than the record this one corrects, or ``""``."""
    earlier = next((e for e in chart.adverse_events if e.id == event.supersedes), None)
    if earlier is None:
        return ""
    before = earlier.site.induration_cm if earlier.site is not None else None
    now = event.site.induration_cm if event.site is not None else None
    if before is not None and now is not None and now > before:
        return f"worsening (induration {before:g} to {now:g} cm)"
    if event.ctcae_grade > earlier.ctcae_grade:
        return f"worsening (grade {earlier.ctcae_grade} to {event.ctcae_grade})"
    return ""


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


def surgery(chart: PatientChart, today: date, tz: tzinfo, t: Thresholds) -> list[Alert]:
    """Planned procedures: oral stops 72 h before, XR-NTX 30 days before (clinical.md §3, ASAM)."""
    alerts: list[Alert] = []
    regimens = chart.active_regimens_on(today)
    forms = {r.form for r in regimens}
    for proc in current(chart.procedures):
        ahead = (proc.planned_on - today).days
        if not 0 <= ahead <= t.surgery_horizon_days:
            continue
        if "xr-ntx" in forms or _recent_injection(chart, today, tz, t):
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
