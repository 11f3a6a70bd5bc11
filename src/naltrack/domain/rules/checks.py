"""Readiness checks about the body rather than opioids: allergies, liver, pregnancy, bleeding.

Sources: clinical.md §2.5 (contraindications, bleeding), §2.6 (pregnancy), §2.7 (liver), §1.3 (implants).
"""

from __future__ import annotations

from datetime import timedelta

from naltrack.domain.observations import LIVER_LOINC, PLATELET_COUNT_LOINCS, LabResult
from naltrack.domain.records import current
from naltrack.domain.rules import facts
from naltrack.domain.rules.base import Reason
from naltrack.domain.rules.context import Context, or_info, reason
from naltrack.domain.terminology import resolve_rxnorm

#: Components of the XR-NTX kit besides naltrexone (clinical.md §2.5).
XR_COMPONENTS = ("polylactide-co-glycolide", "carboxymethylcellulose")
AMINOTRANSFERASES = ("1742-6", "1920-8")
BILIRUBIN_TOTAL = "1975-2"


def check_hypersensitivity(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    for allergy in current(ctx.chart.allergies):
        note = "" if allergy.verified else " (unverified)"
        if allergy.substance == "naltrexone":
            out.append(reason("RDY-HYPERSENSITIVITY", "contraindication",
                              f"Hypersensitivity to naltrexone{note}: contraindicated in every form."))
        elif allergy.substance in XR_COMPONENTS and ctx.form == "xr-ntx":
            out.append(reason("RDY-HYPERSENSITIVITY", "contraindication",
                              f"Hypersensitivity to {allergy.substance}{note}, a component of the XR-NTX kit."))
        elif allergy.substance in XR_COMPONENTS and ctx.form == "implant":
            out.append(reason("RDY-HYPERSENSITIVITY", "review", f"Hypersensitivity to {allergy.substance}{note}: "
                              "check the compounded implant's excipients."))
    return or_info(out, "RDY-HYPERSENSITIVITY", "No hypersensitivity to naltrexone or its components.")


def _latest_lab(ctx: Context, loinc: str, max_age_days: int) -> LabResult | None:
    labs = ctx.chart.labs_for(loinc, on_or_before=ctx.on)
    oldest = ctx.on - timedelta(days=max_age_days)
    recent = [lab for lab in labs if lab.collected_at.date() >= oldest]
    return recent[-1] if recent else None


def check_liver(ctx: Context) -> list[Reason]:
    t = ctx.thresholds
    out: list[Reason] = []
    for loinc in AMINOTRANSFERASES:
        name = LIVER_LOINC[loinc]
        lab = _latest_lab(ctx, loinc, t.lft_max_age_days)
        if lab is None:
            out.append(reason("RDY-LIVER-ULN", "review", f"No {name} in the last {t.lft_max_age_days} days: "
                              "liver tests are part of the pre-treatment work-up."))
            continue
        times = lab.times_upper_limit
        when = f"{name} {lab.value:g} {lab.unit} on {lab.collected_at.date()}"
        if times is None:
            out.append(reason("RDY-LIVER-ULN", "review", f"{when} has no upper limit of normal: cannot compare."))
        elif times > t.liver_not_ready_above_x_uln:
            out.append(reason("RDY-LIVER-ULN", "not-ready", f"{when} is {times:g}x the upper limit "
                              f"(above {t.liver_not_ready_above_x_uln:g}x): evaluate liver disease before starting."))
        elif times > t.liver_review_above_x_uln:
            out.append(reason("RDY-LIVER-ULN", "review", f"{when} is {times:g}x the upper limit (above "
                              f"{t.liver_review_above_x_uln:g}x): caution; monitor liver tests more often."))
        else:
            out.append(reason("RDY-LIVER-ULN", "info", f"{when} is {times:g}x the upper limit."))
    bilirubin = _latest_lab(ctx, BILIRUBIN_TOTAL, t.lft_max_age_days)
    if bilirubin is not None and (bilirubin.times_upper_limit or 0) > 1:
        out.append(reason("RDY-LIVER-ULN", "review", f"Total bilirubin {bilirubin.value:g} {bilirubin.unit} is above "
                          "the upper limit of normal."))
    return out


def check_hepatitis(ctx: Context) -> list[Reason]:
    found = facts.has_code(facts.active_diagnoses(ctx.chart, ctx.on), facts.SNOMED_HEPATITIS_OR_FAILURE,
                           facts.ICD_HEPATITIS_OR_FAILURE)
    out: list[Reason] = []
    for dx in found:
        if ctx.form == "oral" and ctx.thresholds.hepatitis_contraindicates_oral:
            out.append(reason("RDY-HEPATITIS", "contraindication", f"{dx.display} ({dx.code}): oral naltrexone "
                              "monographs list acute hepatitis and liver failure as contraindications."))
        else:
            out.append(reason("RDY-HEPATITIS", "review", f"{dx.display} ({dx.code}): the current XR-NTX label no "
                              "longer contraindicates it, but hepatotoxicity is a warning; weigh it."))
    for event in current(ctx.chart.adverse_events):
        if event.kind == "hepatotoxicity" and event.outcome in ("not-resolved", "resolving", "unknown"):
            out.append(reason("RDY-HEPATITIS", "review", f"Hepatotoxicity adverse event since {event.onset} is not "
                              "resolved."))
    return out


def check_pregnancy(ctx: Context) -> list[Reason]:
    patient, t = ctx.chart.patient, ctx.thresholds
    status = patient.reproductive
    fresh = (status is not None and status.as_of <= ctx.on
             and (ctx.on - status.as_of).days <= t.pregnancy_status_max_age_days)
    out: list[Reason] = []
    if status is not None and status.as_of <= ctx.on and status.pregnant:
        using = _opioid_use_within_window(ctx)
        if using is not None:
            out.append(reason("RDY-PREGNANCY", "not-ready", f"Pregnant (recorded {status.as_of}) and using opioids "
                              f"({using}): naltrexone initiation is not recommended; opioid agonist treatment "
                              "(buprenorphine or methadone) is preferred (NYSDOH A2)."))
        else:
            out.append(reason("RDY-PREGNANCY", "review", f"Pregnant (recorded {status.as_of}), no opioid use in the "
                              "opioid-free interval: discuss naltrexone as an alternative with its risks and benefits "
                              "(NYSDOH A3)."))
    if status is not None and status.as_of <= ctx.on and status.breastfeeding:
        out.append(reason("RDY-PREGNANCY", "review", f"Breastfeeding (recorded {status.as_of}): naltrexone passes "
                          "into breast milk; discuss risks and benefits."))
    age = patient.age_on(ctx.on)
    of_age = t.reproductive_age_min_years <= age <= t.reproductive_age_max_years
    if patient.sex_at_birth == "female" and of_age and (not fresh or status is None or status.pregnant is None):
        out.append(reason("RDY-PREGNANCY", "review", f"Pregnancy status not recorded in the last "
                          f"{t.pregnancy_status_max_age_days} days: do a pregnancy test."))
    return or_info(out, "RDY-PREGNANCY", "Not pregnant or breastfeeding, or not applicable.")


def _opioid_use_within_window(ctx: Context) -> str | None:
    """The latest opioid use still inside its required opioid-free interval (clinical.md §2.1), if any."""
    for action, use in sorted(facts.last_opioid_use(ctx.chart, ctx.on, ctx.thresholds).items()):
        if action == "long-acting-buprenorphine":
            window = ctx.thresholds.depot_buprenorphine_review_days
        else:
            window = ctx.thresholds.opioid_free_days(action)
        if facts.days_between(use.day, ctx.on) < window:
            return f"last {use.evidence} on {use.day}"
    return None


#: What bleeds with each form: the label's IM injection, or the implant's trocar insertion (clinical.md §1.3).
_PROCEDURE = {"xr-ntx": "an IM injection", "implant": "the implant's trocar insertion"}
#: Platelet units whose counts compare with the threshold (10*3/uL equals 10*9/L).
_PLATELET_UNITS = ("10*3/uL", "10*9/L")


def check_bleeding(ctx: Context) -> list[Reason]:
    """Bleeding risk before an IM injection or an implant insertion (clinical.md §2.5, §1.3)."""
    procedure = _PROCEDURE.get(ctx.form)
    if procedure is None:
        return []
    out: list[Reason] = []
    for dx in facts.has_code(facts.active_diagnoses(ctx.chart, ctx.on), facts.SNOMED_BLEEDING, facts.ICD_BLEEDING):
        out.append(reason("RDY-BLEEDING", "review", f"{dx.display} ({dx.code}): use caution with {procedure}."))
    low = _low_platelets(ctx)
    if low is not None:
        out.append(reason("RDY-BLEEDING", "review", f"{low}: thrombocytopenia; use caution with {procedure}."))
    for med in facts.medications_used(ctx.chart, ctx.on):
        entry = resolve_rxnorm(med.rxnorm)
        if entry is not None and entry.medication_class == "anticoagulant" and med.is_active_on(ctx.on):
            out.append(reason("RDY-BLEEDING", "review", f"{entry.display} is active: anticoagulant; use caution "
                              f"with {procedure}."))
    return or_info(out, "RDY-BLEEDING", "No bleeding disorder, low platelets or anticoagulant on file.")


def _low_platelets(ctx: Context) -> str | None:
    """The latest platelet count when it is below the lab's lower limit or the configured count."""
    found = [lab for loinc in PLATELET_COUNT_LOINCS
             if (lab := _latest_lab(ctx, loinc, ctx.thresholds.lft_max_age_days)) is not None]
    if not found:
        return None
    latest = max(found, key=lambda lab: lab.collected_at)
    below = ctx.thresholds.platelets_review_below_10e9_per_l
    when = f"Platelets {latest.value:g} {latest.unit} on {latest.collected_at.date()}"
    if latest.reference_low is not None and latest.value < latest.reference_low:
        return f"{when} below the lab's lower limit {latest.reference_low:g}"
    if latest.unit in _PLATELET_UNITS and latest.value < below:
        return f"{when} below {below:g}"
    return None
