"""Facts the rules read from a chart, as of a given day (records dated after it are ignored).

Codes come from ``../shared/reference/codes.md`` §4 (SNOMED CT) and clinical.md §8.2
(ICD-10-CM); the opioid action of a substance, analyte or medicine sets its opioid-free
interval (clinical.md §2.1). A medicine on the medication list is read by
:func:`~naltrack.domain.terminology.resolve_rxnorm` (the catalog, then the code tables of the public
value sets), so a list coded at any RxNorm level is understood; OUD and AUD diagnoses are read by
:func:`~naltrack.domain.terminology.classify_condition` (:mod:`naltrack.domain.indications`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from naltrack.domain.catalog import LOPERAMIDE_CLASS
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.observations import MedicationUse, QuestionnaireResponse, UrineDrugScreen
from naltrack.domain.records import current
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.terminology import resolve_rxnorm

#: Opioid action of a reported substance (clinical.md §2.1). Unspecified prescription opioids
#: count as short-acting; an extended-release product is read from its RxNorm code instead. Kratom
#: (mitragynine, a mu-opioid partial agonist) has its own configurable interval.
SUBSTANCE_ACTION: dict[str, str] = {
    "heroin": "short", "prescription-opioids": "short", "fentanyl": "fentanyl",
    "methadone": "methadone", "buprenorphine": "buprenorphine", "kratom": "kratom",
}
#: Opioid action implied by a positive screen for an analyte.
ANALYTE_ACTION: dict[str, str] = {
    "opiates": "short", "oxycodone": "short", "fentanyl": "fentanyl",
    "buprenorphine": "buprenorphine", "methadone": "methadone", "kratom": "kratom",
}

SNOMED_OPIOID_WITHDRAWAL = frozenset({"87132004", "703846009"})
SNOMED_ON_AGONIST = frozenset({"1081000119105"})
SNOMED_HEPATITIS_OR_FAILURE = frozenset({"37871000", "197271008", "59927004", "197270009"})
#: ICD-10-CM acute hepatitis and hepatic failure (clinical.md §2.5, §2.7): alcoholic hepatitis K70.1x
#: (K70.10, K70.11), alcoholic hepatic failure K70.4x (K70.40, K70.41), hepatic failure K72.x, toxic liver
#: disease with acute hepatitis K71.2, acute viral hepatitis B15-B17.
ICD_HEPATITIS_OR_FAILURE = ("K70.1", "K70.4", "K72", "K71.2", "B15", "B16", "B17")
SNOMED_BLEEDING = frozenset({"302215000", "699208000", "97571000119109"})
ICD_BLEEDING = ("D66", "D67", "D68", "D69.3", "D69.4", "D69.5", "D69.6")
ICD_OPIOID_WITHDRAWAL = ("F11.13", "F11.23", "F11.93")


@dataclass(frozen=True)
class LastUse:
    """The latest evidence of opioid use of one action, and where it comes from."""

    action: str
    day: date
    evidence: str


def active_diagnoses(chart: PatientChart, on: date) -> list[Diagnosis]:
    """Diagnoses in force on ``on`` (active or in remission, onset not after ``on``)."""
    return [d for d in current(chart.diagnoses)
            if d.clinical_status != "resolved" and (d.onset is None or d.onset <= on)]


def has_code(diagnoses: list[Diagnosis], snomed: frozenset[str], icd_prefixes: tuple[str, ...]) -> list[Diagnosis]:
    """The diagnoses whose SNOMED code is in ``snomed`` or whose ICD-10-CM code starts with a prefix."""
    return [d for d in diagnoses
            if (d.system == "snomed" and d.code in snomed)
            or (d.system == "icd10cm" and d.code.startswith(icd_prefixes))]


def medication_last_day(med: MedicationUse, on: date) -> date:
    """The last day a medicine was taken, as of ``on`` (``on`` itself while still taken)."""
    if med.is_active_on(on):
        return on
    candidates = [d for d in (med.last_dose, med.end) if d is not None]
    if med.days_supply is not None:
        candidates.append(med.start + timedelta(days=med.days_supply - 1))
    return min(max(candidates), on) if candidates else med.start


def medications_used(chart: PatientChart, on: date) -> list[MedicationUse]:
    """Medication records started on or before ``on``."""
    return [m for m in current(chart.medications) if m.start <= on]


def screens_until(chart: PatientChart, on: date) -> list[UrineDrugScreen]:
    """Screens collected on or before ``on``, oldest first."""
    return sorted((s for s in current(chart.screens) if s.collected_at.date() <= on),
                  key=lambda s: s.collected_at)


def reported_last_use(chart: PatientChart, on: date) -> dict[str, LastUse]:
    """The latest reported opioid use per action (reports made on or before ``on``)."""
    latest: dict[str, LastUse] = {}
    for report in current(chart.substance_use):
        action = SUBSTANCE_ACTION.get(report.substance)
        if action is None or report.reported_on > on:
            continue
        if action not in latest or report.last_use > latest[action].day:
            latest[action] = LastUse(action, report.last_use, f"reported use of {report.substance}")
    return latest


def loperamide_exposure(med: MedicationUse, thresholds: Thresholds = DEFAULT) -> bool:
    """True for loperamide taken above the configured daily amount: opioid exposure, not an antidiarrheal.

    At or below it (or with no daily amount recorded) loperamide stays a peripheral antidiarrheal
    that the readiness and interaction rules only review (clinical.md §4, §10 item 5).
    ``thresholds.loperamide_opioid_exposure_above_mg_per_day`` is an UNCONFIRMED default: the
    label's prescription maximum, 16 mg/day; misuse doses are far higher (FDA 2016, 2018).
    """
    entry = resolve_rxnorm(med.rxnorm)
    return (entry is not None and entry.medication_class == LOPERAMIDE_CLASS and med.daily_dose_mg is not None
            and med.daily_dose_mg > thresholds.loperamide_opioid_exposure_above_mg_per_day)


def last_opioid_use(chart: PatientChart, on: date, thresholds: Thresholds = DEFAULT) -> dict[str, LastUse]:
    """Latest evidence of opioid use per action: reports, opioid medicines and positive screens.

    A positive screen collected after the reported last use moves the last use to the
    screen's date: the screen wins over the report (clinical.md §2.2). Kratom (reported, on the
    medication list or in a screen) is opioid use; so is loperamide above the daily amount of
    ``thresholds`` (:func:`loperamide_exposure`).
    """
    latest = dict(reported_last_use(chart, on))

    def offer(candidate: LastUse) -> None:
        known = latest.get(candidate.action)
        if known is None or candidate.day > known.day:
            latest[candidate.action] = candidate

    for med in medications_used(chart, on):
        entry = resolve_rxnorm(med.rxnorm)
        if entry is not None and entry.is_opioid and entry.opioid_action is not None:
            offer(LastUse(entry.opioid_action, medication_last_day(med, on), f"{entry.display} ({med.source})"))
        elif entry is not None and loperamide_exposure(med, thresholds):
            limit = thresholds.loperamide_opioid_exposure_above_mg_per_day
            offer(LastUse("loperamide", medication_last_day(med, on), f"{entry.display} {med.daily_dose_mg:g} mg/day "
                          f"({med.source}), above {limit:g} mg/day: opioid misuse"))
    for screen in screens_until(chart, on):
        for analyte in screen.positive_opioids:
            offer(LastUse(ANALYTE_ACTION[analyte], screen.collected_at.date(), f"urine screen positive for {analyte}"))
    return latest


def latest_response(chart: PatientChart, instrument: str, on: date) -> QuestionnaireResponse | None:
    """The latest response to an instrument completed on or before ``on``."""
    found = [q for q in chart.responses_to(instrument) if q.completed_at.date() <= on]
    return found[-1] if found else None


def last_drink(chart: PatientChart, on: date) -> date | None:
    """The last day with alcohol, from the drinking diary and reports (``None`` when unknown)."""
    days = [d.day for d in current(chart.drinking_days) if d.standard_drinks > 0 and d.day <= on]
    days += [r.last_use for r in current(chart.substance_use) if r.substance == "alcohol" and r.reported_on <= on]
    return max(days) if days else None


def has_taken_naltrexone(chart: PatientChart, on: date, medication_class: str | None = None) -> bool:
    """True once naltrexone was given on or before ``on``: a dose, an injection, an implant, or a
    dispensed or reported naltrexone medicine (of ``medication_class`` when given)."""
    wanted = {"naltrexone-oral": "oral", "naltrexone-xr": "xr-ntx", "naltrexone-implant": "implant"}
    form = wanted.get(medication_class or "")
    oral = any(d.was_taken and d.taken_at.date() <= on for d in current(chart.oral_doses))
    given = ((form in (None, "oral") and oral)
             or (form in (None, "xr-ntx") and any(i.given_at.date() <= on for i in current(chart.injections)))
             or (form in (None, "implant") and any(i.inserted_at.date() <= on for i in current(chart.implants))))
    for med in current(chart.medications):
        entry = resolve_rxnorm(med.rxnorm)
        if (entry is not None and entry.medication_class in wanted and med.source != "prescribed"
                and med.start < on and (medication_class is None or entry.medication_class == medication_class)):
            given = True
    return given


def last_xr_ntx_day(chart: PatientChart, on: date) -> date | None:
    """The day of the latest XR-NTX injection on or before ``on``: a recorded injection, or a
    dispensed or reported XR-NTX medicine (its last dose, else its start); ``None`` if none."""
    days = [i.given_at.date() for i in current(chart.injections) if i.given_at.date() <= on]
    for med in current(chart.medications):
        entry = resolve_rxnorm(med.rxnorm)
        if (entry is not None and entry.medication_class == "naltrexone-xr" and med.source != "prescribed"
                and med.start < on):
            days.append(min(med.last_dose or med.start, on))
    return max(days) if days else None


def days_between(earlier: date, later: date) -> int:
    """Whole days from ``earlier`` to ``later``."""
    return (later - earlier).days
