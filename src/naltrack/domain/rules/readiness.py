"""Induction readiness: may this patient start naltrexone in this form on this day?

Every check is a small function returning :class:`~naltrack.domain.rules.base.Reason` s;
:func:`assess_readiness` runs them all and combines them. Two guarantees, tested as
properties: a contraindication in force never gives ``ready``, and data a rule needs but
cannot find gives ``review`` (naming what is missing), never ``ready``.

Sources: ``../shared/reference/clinical.md`` §1.1-§1.3, §2.1-§2.7, §4, §8.1, §9 (cited per rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from naltrack.domain.chart import PatientChart
from naltrack.domain.dose_classes import DoseClass
from naltrack.domain.indications import indication
from naltrack.domain.observations import MedicationUse, UrineDrugScreen
from naltrack.domain.records import current
from naltrack.domain.regimens import FORMS, Form
from naltrack.domain.rules import facts
from naltrack.domain.rules.base import ReadinessSeverity, Reason, Verdict, get_rule, verdict_of
from naltrack.domain.rules.cautions import check_disulfiram, check_duplicate_naltrexone, check_oral_for_oud
from naltrack.domain.rules.checks import (
    check_bleeding,
    check_hepatitis,
    check_hypersensitivity,
    check_liver,
    check_pregnancy,
)
from naltrack.domain.rules.context import Context, reason
from naltrack.domain.rules.dose_checks import dose_class_reasons, runs_check
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.terminology import resolve_rxnorm
from naltrack.domain.units import require_choice

#: Analytes a screen must include to verify the opioid-free interval (clinical.md §8.3); others are
#: added when the patient used that opioid (buprenorphine, methadone).
REQUIRED_ANALYTES: tuple[str, ...] = ("opiates", "fentanyl")
OPIOID_CLASSES_BLOCKING = frozenset(
    {"opioid-analgesic", "opioid-antitussive", "opioid-antidiarrheal", "mixed-agonist-antagonist", "illicit-opioid",
     "kratom"}
)
AGONIST_CLASSES = frozenset({"buprenorphine-oud", "buprenorphine-pain", "methadone"})
#: The opioid action of extended-release buprenorphine (Sublocade, Brixadi, Probuphine), clinical.md §2.1.
DEPOT = "long-acting-buprenorphine"


@dataclass(frozen=True)
class Readiness:
    """The verdict for one form on one day, with every reason behind it."""

    form: Form
    on: date
    verdict: Verdict
    reasons: tuple[Reason, ...]
    earliest_ready_date: date | None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``naltrack readiness``."""
        return {
            "verdict": self.verdict,
            "reasons": [r.as_dict() for r in self.reasons],
            "earliest_ready_date": self.earliest_ready_date.isoformat() if self.earliest_ready_date else None,
        }


def assess_readiness(
    chart: PatientChart,
    form: Form,
    on: date,
    thresholds: Thresholds = DEFAULT,
    *,
    unread: tuple[str, ...] = (),
    dose_class: DoseClass | None = None,
) -> Readiness:
    """Assess whether naltrexone can be started in ``form`` on ``on``.

    Parameters
    ----------
    chart : PatientChart
        The patient's record; records dated after ``on`` are ignored.
    form : {"oral", "xr-ntx", "implant"}
        The form to start.
    on : date
        The day of the planned first dose (the clinic's local date).
    thresholds : Thresholds
        Configurable defaults (opioid-free days, liver multiples, ...).
    unread : tuple of str
        Records the caller could not map to the chart (e.g. medicines outside the catalog
        in an imported bundle); each gives ``review``, since it could hide an opioid.
    dose_class : DoseClass, optional
        From ``classify_dose``: a continuation or late dose skips the induction checks (``dose_checks``).

    Returns
    -------
    Readiness
        ``ready``, ``not-ready`` or ``review``; every reason (most severe first); and the
        earliest date it could become ready, when every blocking reason has one.

    Raises
    ------
    InvalidInput
        For an unknown form.
    """
    require_choice("form", form, FORMS)
    ctx = Context(chart, form, on, thresholds, indication(chart, on), dose_class)
    reasons = dose_class_reasons(ctx)
    for check in (c for c in CHECKS if runs_check(dose_class, c.__name__)):
        reasons.extend(check(ctx))
    reasons += [reason("RDY-UNREAD-DATA", "review", f"Could not read {item}: review it by hand (it could be an "
                       "opioid or an interacting medicine).") for item in unread]
    order = {"contraindication": 0, "not-ready": 1, "review": 2, "info": 3}
    reasons.sort(key=lambda r: order[r.severity])
    verdict = verdict_of(reasons)
    return Readiness(form, on, verdict, tuple(reasons), _earliest(verdict, reasons, on))


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _earliest(verdict: Verdict, reasons: list[Reason], on: date) -> date | None:
    if verdict == "ready":
        return on
    blocking = [r for r in reasons if r.blocks]
    if not blocking or any(r.ready_on is None for r in blocking):
        return None
    # Never a day before the assessment: a date in the past would read as "ready already".
    return max(on, *(r.ready_on for r in blocking if r.ready_on is not None))


def check_indication(ctx: Context) -> list[Reason]:
    if ctx.indication is None:
        return [reason("RDY-INDICATION", "review", "No OUD or AUD indication on file (open episode or F10/F11 "
                       "diagnosis): confirm what naltrexone treats.")]
    names = [n for n, on in zip(("OUD", "AUD"), ctx.indication, strict=True) if on]
    return [reason("RDY-INDICATION", "info", f"Indication: {' and '.join(names)}.")]


def check_age(ctx: Context) -> list[Reason]:
    age = ctx.chart.patient.age_on(ctx.on)
    if age < 18:
        return [reason("RDY-AGE", "review", f"Patient is {age}: naltrexone is not recommended under 18.")]
    return []


def check_opioid_free(ctx: Context) -> list[Reason]:
    uses = facts.last_opioid_use(ctx.chart, ctx.on, ctx.thresholds)
    if not uses:
        if ctx.treats_oud:
            return [reason("RDY-OPIOID-FREE", "review", "Last opioid use is not recorded: record the date and "
                           "substance of last use before induction.")]
        return [reason("RDY-OPIOID-FREE", "info", "No opioid use reported or detected.")]
    reported = facts.reported_last_use(ctx.chart, ctx.on)
    out = []
    for action, use in sorted(uses.items()):
        if action == DEPOT:
            out.append(_depot_buprenorphine(ctx, use))
            continue
        required = ctx.thresholds.opioid_free_days(action)
        since = facts.days_between(use.day, ctx.on)
        label = f"{action}-acting opioid" if action in ("short", "long") else action
        wins = ""
        if action in reported and use.day > reported[action].day:
            wins = f" It is later than the reported last use on {reported[action].day}: the screen wins."
        if since < required:
            ready_on = use.day + timedelta(days=required)
            out.append(reason("RDY-OPIOID-FREE", "not-ready",
                              f"Last {label} use {use.day} ({use.evidence}) was {_days(since)} ago; "
                              f"{required} opioid-free days are needed, so not before {ready_on}.{wins}", ready_on))
        else:
            out.append(reason("RDY-OPIOID-FREE", "info",
                              f"Opioid-free {_days(since)} since {label} on {use.day} ({use.evidence}); "
                              f"{required} needed.{wins}"))
    return out


def _depot_buprenorphine(ctx: Context, use: facts.LastUse) -> Reason:
    """Sublocade, Brixadi, Probuphine: the depot persists, so no interval is computed (clinical.md §2.1)."""
    since = facts.days_between(use.day, ctx.on)
    window = ctx.thresholds.depot_buprenorphine_review_days
    if since >= window:
        return reason("RDY-OPIOID-FREE", "info", f"Last long-acting buprenorphine {use.day} ({use.evidence}), "
                      f"{_days(since)} ago (reviewed within {window} days).")
    return reason("RDY-OPIOID-FREE", "review", f"Long-acting buprenorphine {use.evidence}, last on {use.day} "
                  f"({_days(since)} ago): the depot keeps releasing buprenorphine; the label's 'up to two weeks' is "
                  "for daily agonists. Decide the start with the prescriber (no earliest date; a configurable "
                  "judgement).")


def check_screens(ctx: Context) -> list[Reason]:
    screens = facts.screens_until(ctx.chart, ctx.on)
    out: list[Reason] = []
    tested = {a for s in screens for a in (r.analyte for r in s.results) if a in facts.ANALYTE_ACTION}
    for analyte in sorted(tested):
        # The latest screen for the analyte; at the same time, a positive outweighs a negative.
        latest = max((s for s in screens if s.result_for(analyte) is not None),
                     key=lambda s: (s.collected_at, s.result_for(analyte) == "positive"))
        result, day = latest.result_for(analyte), latest.collected_at.date()
        if result == "positive":
            out.append(_positive_screen(ctx, analyte, day))
        elif result == "invalid":
            out.append(reason("RDY-UDS-POSITIVE", "review", f"Urine screen on {day} for {analyte} is invalid: "
                              "repeat it."))
    return out + _screen_recency(ctx, screens)


def _positive_screen(ctx: Context, analyte: str, day: date) -> Reason:
    """A positive screen contraindicates while fresh; an older one asks for a new screen (clinical.md §2.2)."""
    fresh_days = ctx.thresholds.uds_max_age_days
    if facts.days_between(day, ctx.on) > fresh_days:
        return reason("RDY-UDS-POSITIVE", "review", f"The latest urine screen for {analyte}, on {day}, was positive "
                      f"and is older than {fresh_days} days: screen again before starting.")
    retest = max(day + timedelta(days=ctx.thresholds.opioid_free_days(facts.ANALYTE_ACTION[analyte])), ctx.on)
    return reason("RDY-UDS-POSITIVE", "contraindication", f"Urine screen on {day} is positive for {analyte}: "
                  f"naltrexone is contraindicated. Re-test on or after {retest}.", retest)


def _screen_recency(ctx: Context, screens: list[UrineDrugScreen]) -> list[Reason]:
    oldest = ctx.on - timedelta(days=ctx.thresholds.uds_max_age_days)
    recent = [s for s in screens if s.collected_at.date() >= oldest]
    uses = facts.last_opioid_use(ctx.chart, ctx.on, ctx.thresholds)
    used = set(uses) | ({"buprenorphine"} if DEPOT in uses else set())
    needed = set(REQUIRED_ANALYTES) | {a for a in ("buprenorphine", "methadone") if a in used}
    if _oxycodone_suspected(ctx):
        needed.add("oxycodone")
    covered = {r.analyte for s in recent for r in s.results}
    missing = sorted(needed - covered)
    if missing:
        why = (" Opiate immunoassays often miss oxycodone: add the oxycodone analyte."
               if "oxycodone" in missing else "")
        return [reason("RDY-UDS-MISSING", "review",
                       f"No urine drug screen for {', '.join(missing)} in the last "
                       f"{ctx.thresholds.uds_max_age_days} days: screen to verify the opioid-free interval.{why}")]
    return [reason("RDY-UDS-MISSING", "info",
                   f"Recent urine screen covers {', '.join(sorted(needed))}.")]


def _oxycodone_suspected(ctx: Context) -> bool:
    """Reported prescription-opioid use, or an oxycodone medicine, within the look-back (UNCONFIRMED default)."""
    t = ctx.thresholds
    if not t.oxycodone_analyte_required:
        return False
    oldest = ctx.on - timedelta(days=t.oxycodone_analyte_lookback_days)
    if any(r.substance == "prescription-opioids" and oldest <= r.last_use and r.reported_on <= ctx.on
           for r in current(ctx.chart.substance_use)):
        return True
    for med in facts.medications_used(ctx.chart, ctx.on):
        entry = resolve_rxnorm(med.rxnorm)
        if entry is not None and "oxycodone" in entry.ingredient and facts.medication_last_day(med, ctx.on) >= oldest:
            return True
    return False


def check_naloxone_challenge(ctx: Context) -> list[Reason]:
    done = [c for c in current(ctx.chart.naloxone_challenges) if c.performed_at.date() <= ctx.on]
    if not done:
        return [reason("RDY-NALOXONE-CHALLENGE", "info", "No naloxone challenge recorded; do one if occult "
                       "opioid dependence is in question (not in withdrawal, urine free of opioids).")]
    # At the same time, a challenge showing withdrawal outweighs a clean one.
    latest = max(done, key=lambda c: (c.performed_at, c.shows_withdrawal))
    when = latest.performed_at.date()
    if not latest.shows_withdrawal:
        return [reason("RDY-NALOXONE-CHALLENGE", "info", f"Naloxone challenge passed on {when}.")]
    signs = f" (signs: {', '.join(latest.signs)})" if latest.signs else ""
    what = {"failed": "failed", "equivocal": "was equivocal",
            "passed": "was recorded as passed but withdrawal signs were noted"}[latest.result]
    return [reason("RDY-NALOXONE-CHALLENGE", "contraindication",
                   f"Naloxone challenge on {when} {what}{signs}: with any sign or doubt, do not give naltrexone; "
                   "it may be repeated in 24 hours.")]


def check_withdrawal(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    recent = ctx.on - timedelta(days=14)
    for dx in facts.has_code(facts.active_diagnoses(ctx.chart, ctx.on), facts.SNOMED_OPIOID_WITHDRAWAL,
                             facts.ICD_OPIOID_WITHDRAWAL):
        if dx.onset is None or dx.onset >= recent:
            out.append(reason("RDY-WITHDRAWAL", "review", f"Opioid withdrawal is on the problem list ({dx.code} "
                              f"{dx.display}): confirm it has resolved."))
    cows = facts.latest_response(ctx.chart, "cows", ctx.on)
    oldest = ctx.on - timedelta(days=ctx.thresholds.cows_max_age_days)
    if cows is None or cows.completed_at.date() < oldest:
        used = facts.last_opioid_use(ctx.chart, ctx.on, ctx.thresholds)
        severity: ReadinessSeverity = "review" if ctx.treats_oud or used else "info"
        out.append(reason("RDY-WITHDRAWAL", severity, f"No COWS score in the last {ctx.thresholds.cows_max_age_days} "
                          "day(s): assess withdrawal before the first dose."))
    elif cows.total >= ctx.thresholds.cows_withdrawal_from:
        out.append(reason("RDY-WITHDRAWAL", "contraindication", f"COWS {cows.total:g} ({cows.band}) on "
                          f"{cows.completed_at.date()}: the patient is in opioid withdrawal."))
    elif cows.total > 0:
        out.append(reason("RDY-WITHDRAWAL", "review", f"COWS {cows.total:g} on {cows.completed_at.date()}: some "
                          "withdrawal signs; the patient must not show withdrawal."))
    else:
        out.append(reason("RDY-WITHDRAWAL", "info", f"COWS 0 on {cows.completed_at.date()}: no withdrawal signs."))
    return out


def check_opioid_medicines(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    for med in facts.medications_used(ctx.chart, ctx.on):
        entry = resolve_rxnorm(med.rxnorm)
        if entry is None or not med.is_active_on(ctx.on):
            continue
        cls = entry.medication_class
        if cls in OPIOID_CLASSES_BLOCKING:
            out.append(_active_opioid(ctx, "RDY-OPIOID-RX", med, entry.display, entry.opioid_action or "short"))
        elif cls in AGONIST_CLASSES:
            out.append(_active_opioid(ctx, "RDY-AGONIST-TREATMENT", med, entry.display, entry.opioid_action or "long"))
        elif cls == "peripheral-opioid-antidiarrheal" and facts.loperamide_exposure(med, ctx.thresholds):
            misuse = f"{entry.display} {med.daily_dose_mg:g} mg/day (above the configured amount: opioid misuse)"
            out.append(_active_opioid(ctx, "RDY-OPIOID-RX", med, misuse, "loperamide", "not-ready"))
        elif cls == "peripheral-opioid-antidiarrheal":
            out.append(reason("RDY-OPIOID-RX", "review", f"{entry.display} is active: a peripheral opioid "
                              "antidiarrheal; the label does not name it (UNCONFIRMED interaction)."))
    for dx in facts.has_code(facts.active_diagnoses(ctx.chart, ctx.on), facts.SNOMED_ON_AGONIST, ()):
        out.append(reason("RDY-AGONIST-TREATMENT", "review", f"Problem list says '{dx.display}': confirm agonist "
                          "treatment has stopped."))
    if not out:
        out.append(reason("RDY-OPIOID-RX", "info", "No active opioid, buprenorphine or methadone medicine."))
    return out


def _active_opioid(ctx: Context, rule: str, med: MedicationUse, display: str, action: str,
                   severity: ReadinessSeverity = "contraindication") -> Reason:
    end = med.end
    if action == DEPOT:
        return reason(rule, "contraindication", f"{display} is active: a long-acting buprenorphine depot keeps "
                      "releasing buprenorphine after the last dose, so no earliest date is given; naltrexone would "
                      "precipitate withdrawal. Decide the start with the prescriber.")
    ready_on = end + timedelta(days=ctx.thresholds.opioid_free_days(action)) if end else None
    until = f" until {end}; not before {ready_on}" if end else ""
    return reason(rule, severity, f"{display} is active{until}: a patient receiving opioids or agonist "
                  "treatment must not start naltrexone (precipitated withdrawal).", ready_on)


def check_aud_drinking(ctx: Context) -> list[Reason]:
    if not ctx.treats_aud:
        return []
    last = facts.last_drink(ctx.chart, ctx.on)
    if ctx.form == "xr-ntx":
        previous = facts.last_xr_ntx_day(ctx.chart, ctx.on)
        gap = ctx.thresholds.xr_ntx_restart_gap_days
        if previous is not None and facts.days_between(previous, ctx.on) < gap:
            return [reason("RDY-AUD-DRINKING", "info", f"Continuing injections (last on {previous}, less than "
                           f"{gap} days ago): the no-drinking condition applies to the initial administration.")]
    if last is None:
        return [reason("RDY-AUD-DRINKING", "review", "Date of the last drink is not recorded: record it (drinking "
                       "diary or report).")]
    t = ctx.thresholds
    required = {"xr-ntx": t.alcohol_free_days_xr_ntx, "implant": t.alcohol_free_days_implant}.get(
        ctx.form, t.alcohol_free_days_oral)
    since = facts.days_between(last, ctx.on)
    if since >= required:
        return [reason("RDY-AUD-DRINKING", "info", f"Last drink {last}, {_days(since)} ago ({required} needed).")]
    ready_on = last + timedelta(days=required)
    if ctx.form == "xr-ntx":
        return [reason("RDY-AUD-DRINKING", "not-ready", f"Last drink {last} ({_days(since)} ago): the patient must not "
                       f"be actively drinking at the first injection; not before {ready_on}.", ready_on)]
    if ctx.form == "implant":
        return [reason("RDY-AUD-DRINKING", "not-ready", f"Last drink {last} ({_days(since)} ago): TIP 28 advises 3-7 "
                       f"abstinent days before naltrexone ({required} configured); not before {ready_on}.", ready_on)]
    return [reason("RDY-AUD-DRINKING", "review", f"Last drink {last} ({_days(since)} ago): TIP 28 advises 3-7 "
                   f"abstinent days before naltrexone ({required} configured).")]


def check_implant_approval(ctx: Context) -> list[Reason]:
    if ctx.form != "implant":
        return []
    return [reason("RDY-IMPLANT-UNAPPROVED", "review", "Naltrexone implants are not FDA-approved (patient-specific "
                   "compounded products): document informed consent and the product before insertion.")]


def check_oral_test_dose(ctx: Context) -> list[Reason]:
    if ctx.form != "oral" or not ctx.treats_oud:
        return []
    if ctx.dose_class is None and facts.has_taken_naltrexone(ctx.chart, ctx.on):
        return [reason("RDY-ORAL-TEST-DOSE", "info", "Naltrexone already given: no test dose needed.")]
    planned = [r for r in current(ctx.chart.regimens)
               if r.form == "oral" and (r.end is None or r.end >= ctx.on)]
    skipping = [r for r in planned if not r.induction_test_dose and r.dose_mg > 25]
    if skipping:
        return [reason("RDY-ORAL-TEST-DOSE", "review", f"Oral regimen starts at {skipping[0].dose_mg:g} mg without the "
                       "25 mg test dose: give 25 mg once, then 50 mg daily if no withdrawal.")]
    return [reason("RDY-ORAL-TEST-DOSE", "info", "Start with 25 mg once; 50 mg daily if no withdrawal signs.")]


CHECKS: tuple[Callable[[Context], list[Reason]], ...] = (
    check_indication, check_age, check_opioid_free, check_screens, check_naloxone_challenge, check_withdrawal,
    check_opioid_medicines, check_duplicate_naltrexone, check_disulfiram, check_hypersensitivity, check_liver,
    check_hepatitis, check_pregnancy, check_bleeding, check_aud_drinking, check_implant_approval,
    check_oral_test_dose, check_oral_for_oud,
)

__all__ = ["CHECKS", "FORMS", "Readiness", "assess_readiness", "get_rule"]
