"""Drug interactions of naltrexone, in both directions.

Ordering naltrexone for a patient who takes an interacting drug, and ordering an
interacting drug for a patient on naltrexone, raise the same rule with a message for
that direction. Classes come from the catalog or, for any other RxNorm code, the code tables
(:func:`~naltrack.domain.terminology.resolve_rxnorm`, :func:`medication_of`), which assign them by
product so that the traps of public value sets do not misfire (codes.md §3): Contrave contains naltrexone
but is not MAT; buprenorphine/naloxone is an agonist, not rescue naloxone;
dextromethorphan is not an opioid; loperamide is not named in the label (UNCONFIRMED);
kratom (mitragynine, a mu-opioid partial agonist) is an opioid.

Contrave (bupropion/naltrexone) is checked against opioids whether or not the patient is on
naltrexone therapy (:func:`~naltrack.domain.catalog.contains_naltrexone`): Contrave ordered for
a patient taking an opioid is critical (the Contrave label contraindicates it with chronic
opioid use, agonists such as methadone and partial agonists such as buprenorphine), and an
opioid ordered for a patient on Contrave is a warning (its naltrexone partly blocks the
opioid). Loperamide above the configured daily amount is opioid exposure
(:func:`~naltrack.domain.rules.facts.loperamide_exposure`): with the chart known
(:func:`check_order_for_chart`), naltrexone ordered against it is critical.

Sources: clinical.md §4 (interactions), §2.1 and §2.5 (precipitated withdrawal), §3
(emergency pain management), §8.1 (Contrave); the Contrave label's contraindications
(not quoted in clinical.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from naltrack.domain.catalog import FORM_CODE, Medication, contains_naltrexone, is_naltrexone_therapy
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import NotFound
from naltrack.domain.observations import MedicationUse
from naltrack.domain.records import current
from naltrack.domain.rules.base import Alert, AlertSeverity, get_rule
from naltrack.domain.rules.facts import loperamide_exposure
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.terminology import resolve_rxnorm

OPIOID_BLOCKED = frozenset({"opioid-analgesic", "opioid-antitussive", "opioid-antidiarrheal", "illicit-opioid"})
AGONIST_TREATMENT = frozenset({"buprenorphine-oud", "methadone"})
_PAIN_ACTION = ("Use regional analgesia or non-opioid analgesics; if an opioid is essential, give it only with "
                "close monitoring in a setting equipped for resuscitation.")


@dataclass(frozen=True)
class _Pairing:
    rule: str
    severity: AlertSeverity
    forward: str  # naltrexone ordered, other drug current
    reverse: str  # other drug ordered, naltrexone current
    action: str


_BY_CLASS: dict[str, _Pairing] = {
    **{cls: _Pairing("IX-OPIOID", "critical",
                     "{other} is an opioid: naltrexone would precipitate withdrawal and block it.",
                     "The patient is on naltrexone: {other} will be blocked, and trying to overcome the blockade "
                     "can cause a fatal overdose.", _PAIN_ACTION) for cls in OPIOID_BLOCKED},
    **{cls: _Pairing("IX-AGONIST-TREATMENT", "critical",
                     "{other} is opioid agonist treatment: naltrexone would precipitate withdrawal (wait up to "
                     "14 days after the last dose).",
                     "The patient is on naltrexone: {other} will be blocked and cannot be started until the "
                     "blockade ends (about 1 day after oral, 30 days after XR-NTX).",
                     "Do not combine; plan the switch with the prescriber.") for cls in AGONIST_TREATMENT},
    "buprenorphine-pain": _Pairing(
        "IX-AGONIST-TREATMENT", "critical",
        "{other} is buprenorphine for pain (a partial opioid agonist analgesic, not OUD treatment): naltrexone "
        "would precipitate withdrawal and block its analgesia (wait up to 14 days after the last dose).",
        "The patient is on naltrexone: {other} (buprenorphine for pain) will be blocked, and trying to overcome "
        "the blockade can cause a fatal overdose.", _PAIN_ACTION),
    "kratom": _Pairing(
        "IX-OPIOID", "critical",
        "{other} contains mitragynine, a mu-opioid partial agonist: naltrexone would precipitate withdrawal and "
        "block it.",
        "The patient is on naltrexone: {other} (a mu-opioid partial agonist) will be blocked, and trying to "
        "overcome the blockade can cause a fatal overdose.",
        "Ask about kratom use and its last day; count it in the opioid-free interval."),
    "mixed-agonist-antagonist": _Pairing(
        "IX-MIXED-AGONIST", "critical",
        "{other} is a mixed agonist-antagonist opioid: naltrexone would precipitate withdrawal and block it.",
        "The patient is on naltrexone: {other} will be blocked.", _PAIN_ACTION),
    "peripheral-opioid-antidiarrheal": _Pairing(
        "IX-LOPERAMIDE", "warning",
        "{other} is a peripherally acting opioid antidiarrheal; the label names opioid antidiarrheals as a class "
        "but not loperamide (UNCONFIRMED).",
        "The patient is on naltrexone: {other} may be less effective (UNCONFIRMED).",
        "Review the need; a non-opioid antidiarrheal avoids the question."),
    "disulfiram": _Pairing(
        "IX-DISULFIRAM", "warning",
        "{other} with naltrexone: two potentially hepatotoxic drugs; not ordinarily recommended.",
        "The patient is on naltrexone: adding {other} combines two potentially hepatotoxic drugs.",
        "Combine only if the benefit outweighs the risk; monitor liver tests."),
    "thioridazine": _Pairing(
        "IX-THIORIDAZINE", "warning",
        "{other} with naltrexone: lethargy and somnolence were reported.",
        "The patient is on naltrexone: {other} may cause lethargy and somnolence.",
        "Watch for sedation."),
    "naltrexone-not-mat": _Pairing(
        "IX-CONTRAVE", "warning",
        "{other} contains naltrexone (weight-loss product): it is not MAT and duplicates naltrexone.",
        "{other} contains naltrexone, so opioids may be blocked; it is not MAT and does not count as treatment.",
        "Do not count it as naltrexone treatment; review the combination."),
    "opioid-reversal": _Pairing(
        "IX-NOT-AN-INTERACTION", "info",
        "{other} is rescue naloxone/nalmefene: recommended with naltrexone, not an interaction.",
        "{other} is rescue naloxone/nalmefene: recommended for a patient on naltrexone.",
        "Keep it; teach overdose recognition."),
    "non-opioid-antitussive": _Pairing(
        "IX-NOT-AN-INTERACTION", "info",
        "{other} is not a mu-opioid agonist: naltrexone does not block it.",
        "{other} is not a mu-opioid agonist: naltrexone does not block it.",
        "No action."),
}


def medication_of(item: str | Medication) -> Medication:
    """The entry of a medicine given by code (:func:`~naltrack.domain.terminology.resolve_rxnorm`: the
    catalog, then the code tables) or already resolved; raises :class:`NotFound` naming an unknown code."""
    if isinstance(item, Medication):
        return item
    med = resolve_rxnorm(item)
    if med is None:
        raise NotFound("RxNorm code", item)
    return med


def check_interactions(ordered: str | Medication, current_codes: Iterable[str | Medication]) -> list[Alert]:
    """Interactions between an ordered medicine and the medicines the patient takes.

    Parameters
    ----------
    ordered : str or Medication
        RxNorm (or local) code of the medicine being ordered, or its entry as
        :func:`~naltrack.domain.terminology.resolve_rxnorm` resolved it (with the order's display).
    current_codes : iterable of str or Medication
        The medicines the patient takes now, by code or entry; codes the terminology does not know are skipped.

    Returns
    -------
    list of Alert
        One alert per interacting pair, most severe first (empty when nothing interacts).

    Raises
    ------
    NotFound
        If ``ordered`` is a code the terminology does not know.

    Examples
    --------
    >>> [a.rule for a in check_interactions("637213", ["1049621"])]
    ['IX-OPIOID']
    >>> [a.rule for a in check_interactions("1049621", ["637213"])]
    ['IX-OPIOID']
    >>> check_interactions("637213", ["3289"])[0].severity  # dextromethorphan
    'info'
    """
    new = medication_of(ordered)
    others = [m for m in (_known(c) for c in current_codes) if m is not None and m.code != new.code]
    alerts: list[Alert] = []
    if is_naltrexone_therapy(new):
        alerts += [a for other in others if (a := _alert(other, forward=True)) is not None]
    elif any(is_naltrexone_therapy(o) for o in others):
        alert = _alert(new, forward=False)
        if alert is not None:
            alerts.append(alert)
    alerts += _contrave_with_opioids(new, others)
    return _by_severity(alerts)


def _known(item: str | Medication) -> Medication | None:
    return item if isinstance(item, Medication) else resolve_rxnorm(item)


def _by_severity(alerts: list[Alert]) -> list[Alert]:
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(alerts, key=lambda a: order[a.severity])


def _alert(other: Medication, *, forward: bool) -> Alert | None:
    pairing = _BY_CLASS.get(other.medication_class)
    if pairing is None:
        return None
    text = (pairing.forward if forward else pairing.reverse).format(other=other.display)
    return Alert(pairing.rule, pairing.severity, text, get_rule(pairing.rule).source, pairing.action, other.code)


def _contrave_with_opioids(new: Medication, others: list[Medication]) -> list[Alert]:
    """Contrave against opioids, in both directions (Contrave label; clinical.md §4, §8.1)."""
    rule = "IX-CONTRAVE"
    source = f"{get_rule(rule).source}; Contrave label (contraindications, opioid analgesics)"
    if contains_naltrexone(new) and not is_naltrexone_therapy(new):
        return [Alert(rule, "critical", f"{new.display} contains naltrexone (8 mg per tablet) and is contraindicated "
                      f"with opioids: {opioid.display} is an opioid, so it would precipitate withdrawal and block the "
                      "opioid. Contrave is not MAT.", source,
                      "Do not start Contrave while the patient takes opioids, including methadone or buprenorphine "
                      "treatment.", opioid.code)
                for opioid in others if opioid.is_opioid]
    if not new.is_opioid:
        return []
    return [Alert(rule, "warning", f"The patient takes {contrave.display}, which contains naltrexone: {new.display} "
                  "may not work (partial opioid blockade), and more opioid to overcome it risks overdose. Contrave is "
                  "not MAT and does not count as naltrexone treatment.", source,
                  "Prefer a non-opioid analgesic; if an opioid is needed, stop Contrave and review the combination.",
                  contrave.code)
            for contrave in others if contains_naltrexone(contrave) and not is_naltrexone_therapy(contrave)]


def naltrexone_codes_on(chart: PatientChart, on: date, *,
                        blockade_days: int = DEFAULT.opioid_order_window_after_injection_days) -> list[str]:
    """Codes of naltrexone therapy the patient is on: active regimens, implants in place, and an injection
    within ``blockade_days`` (default 30: ASAM waits about 30 days after XR-NTX, clinical.md §2.1)."""
    codes: list[str] = []
    for regimen in chart.active_regimens_on(on):
        codes.append(regimen.rxnorm or FORM_CODE[regimen.form])
    last = chart.last_injection(on)
    if last is not None and (on - last.given_at.date()) <= timedelta(days=blockade_days):
        codes.append(FORM_CODE["xr-ntx"])
    if chart.implants_in_place(on):
        codes.append(FORM_CODE["implant"])
    return sorted(set(codes))


def check_order_for_chart(chart: PatientChart, ordered: str | Medication, on: date,
                          thresholds: Thresholds = DEFAULT) -> list[Alert]:
    """:func:`check_interactions` against everything the patient takes on ``on``, naltrexone included.

    This is the check for a chart: it sees Contrave and every other medicine on the medication list,
    and the daily amount of loperamide. Naltrexone ordered while the patient takes loperamide above
    ``thresholds.loperamide_opioid_exposure_above_mg_per_day`` is critical (opioid misuse), where the
    code alone gives only the warning.

    Examples
    --------
    >>> from datetime import date
    >>> from naltrack.domain.patients import Patient
    >>> patient = Patient(id="p1", clinic_id="c1", given_name="A", family_name="B",
    ...                   birth_date=date(1990, 1, 1), sex_at_birth="male")
    >>> contrave = MedicationUse(id="m1", patient_id="p1", rxnorm="1551468", start=date(2026, 1, 5))
    >>> [(a.rule, a.severity) for a in check_order_for_chart(
    ...     PatientChart(patient=patient, medications=(contrave,)), "1049621", date(2026, 3, 1))]
    [('IX-CONTRAVE', 'warning')]
    """
    taking = [m for m in current(chart.medications) if m.is_active_on(on)]
    on_board = naltrexone_codes_on(chart, on, blockade_days=thresholds.opioid_order_window_after_injection_days)
    alerts = check_interactions(ordered, [m.rxnorm for m in taking] + on_board)
    misused = [m for m in taking if loperamide_exposure(m, thresholds)]
    if not misused or not is_naltrexone_therapy(medication_of(ordered)):
        return alerts
    kept = [a for a in alerts if a.rule != "IX-LOPERAMIDE"]
    return _by_severity(kept + [_loperamide_misuse(m, thresholds) for m in misused])


def _loperamide_misuse(med: MedicationUse, thresholds: Thresholds) -> Alert:
    entry = medication_of(med.rxnorm)
    limit = thresholds.loperamide_opioid_exposure_above_mg_per_day
    return Alert("IX-LOPERAMIDE", "critical", f"{entry.display} {med.daily_dose_mg:g} mg/day is above {limit:g} "
                 "mg/day: opioid misuse (the label maximum is 16 mg/day); naltrexone would precipitate withdrawal.",
                 get_rule("IX-LOPERAMIDE").source, "Count the last high-dose day in the opioid-free interval; assess "
                 "withdrawal and cardiac risk (FDA 2016, 2018) before naltrexone.", entry.code)
