"""What each CDS service says: from a patient's chart, the draft orders and today, to cards.

The clinical judgement is the domain's: readiness (:func:`assess_readiness`), interactions
(:func:`check_interactions`), the blockade and end of protection (:mod:`naltrack.domain.protection`),
the next injection (:mod:`naltrack.domain.due_dates`) and the indication and naloxone on file
(:mod:`naltrack.domain.indications`). This module only picks which of those apply to the draft
orders and renders them as cards. Days are those of the clinic's zone ``tz``.

* ``naltrexone-order-check``: by the kind of dose (first, continuation, late, restart:
  :mod:`naltrack.domain.dose_classes`), a contraindication or a not-ready reason is critical, review
  items are a warning, a ready verdict is info (clinical.md §1.2, §2).
* ``opioid-order-on-naltrexone``: an opioid, buprenorphine or methadone while naltrexone blocks
  is critical with the expected end of blockade and non-opioid options (clinical.md §3, §4);
  disulfiram and thioridazine are warnings (clinical.md §4). A draft's medicine is read by
  :func:`~naltrack.domain.terminology.resolve_rxnorm` from any RxNorm code with its display (the catalog,
  the code tables of the public value sets, the words of the name); a medicine nothing classifies gets an
  information card naming it while naltrexone blocks, never silence.
* ``naltrexone-patient-view``: protection today, the next injection, lapse and overdose risk with
  naloxone (clinical.md §3); naltrexone counts as treatment for OUD, which the CDC opioid IG's
  Recommendation 12 misses (anchors.md §3.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta, tzinfo
from typing import Any

from naltrack.cds.cards import (
    LABEL_LINK,
    SUMMARY_MAX,
    Card,
    create_action,
    delete_action,
    draft_medication_request,
    suggestion,
)
from naltrack.domain.catalog import (
    FORM_CODE,
    FORM_OF_CLASS,
    RESCUE_NALOXONE_CODE,
    RXNORM,
    Medication,
    is_naltrexone_therapy,
)
from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.dose_classes import DoseClass, classify_dose
from naltrack.domain.due_dates import injection_due_on, injection_interval_days, next_injection_due
from naltrack.domain.indications import has_oud, has_rescue_naloxone
from naltrack.domain.protection import Blockade, has_naltrexone_treatment, last_protection_end, naltrexone_on_board
from naltrack.domain.records import current
from naltrack.domain.regimens import Form
from naltrack.domain.rules.base import Alert
from naltrack.domain.rules.interactions import check_interactions
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.terminology import resolve_rxnorm

FORM_NAME = {"oral": "oral naltrexone", "xr-ntx": "XR-naltrexone", "implant": "a naltrexone implant"}
#: How the suggested rescue naloxone is named on the draft order (catalog, codes.md §2n).
NALOXONE_DISPLAY = "naloxone hydrochloride 4 mg nasal spray"
_MOUD_CLASSES = frozenset({"buprenorphine-oud", "methadone"})
#: Readiness rules a late dose is held to besides the contraindications (clinical.md §1.2 late-dose table).
_LATE_DOSE_RULES = frozenset({"RDY-UDS-MISSING", "RDY-UDS-POSITIVE", "RDY-DOSE-CLASS"})
_CLASS_OF_ALERT = {"critical": "critical", "warning": "warning", "info": "info"}
_MEDICATION_SYSTEMS = (RXNORM, "urn:naltrack:medication")
_UNCLASSIFIED = "naltrack could not tell whether {name} contains an opioid; check before ordering"
_UNCLASSIFIED_SOURCE = "clinical.md §3, §4"


@dataclass(frozen=True)
class DraftOrder:
    """A draft medication order from ``context.draftOrders``: its id, its medicine as the terminology resolves
    it (``None`` when nothing classifies it) and what the order names (its display, text or code)."""

    resource_type: str
    id: str
    medication: Medication | None
    named: str = ""

    @property
    def name(self) -> str:
        """The medicine's display, else what the order names, else the order's reference."""
        if self.medication is not None and self.medication.display:
            return self.medication.display
        return self.named or f"{self.resource_type}/{self.id}"


def draft_medications(resources: Iterable[dict[str, Any]]) -> list[DraftOrder]:
    """Draft MedicationRequests, each with its medicine as :func:`resolve_rxnorm` reads the order's (code,
    display) pairs: a code the catalog or the code tables know first, then the words of a display or of the
    concept's text. A medicine nothing classifies is kept, with ``medication=None``, so that it is named."""
    out = []
    for resource in resources:
        if resource.get("resourceType") != "MedicationRequest":
            continue
        pairs = _codes(resource)
        med = next((m for code, _ in pairs if (m := resolve_rxnorm(code)) is not None), None) or next(
            (m for code, text in pairs if text and (m := resolve_rxnorm(code, text)) is not None), None)
        named = next((text for _, text in pairs if text), "") or next((code for code, _ in pairs if code), "")
        out.append(DraftOrder("MedicationRequest", str(resource.get("id", "")), med, named))
    return out


def _codes(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, display or the concept's text) of each RxNorm (or local) coding of a draft order, from its
    concept or its contained Medication; ``("", text)`` when no such coding is there but a name is."""
    concept = resource.get("medicationCodeableConcept")
    reference = resource.get("medicationReference")
    ref = reference.get("reference", "") if isinstance(reference, dict) else ""
    if concept is None and isinstance(ref, str) and ref.startswith("#"):
        contained = [c for c in resource.get("contained") or [] if isinstance(c, dict) and c.get("id") == ref[1:]]
        concept = contained[0].get("code") if contained else None
    if not isinstance(concept, dict):
        display = reference.get("display") if isinstance(reference, dict) else None
        return [("", display)] if isinstance(display, str) and display.strip() else []
    text = concept.get("text") if isinstance(concept.get("text"), str) else ""
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    pairs = [(str(c.get("code", "")).strip(), str(c.get("display") or text or "")) for c in codings
             if c.get("system") in _MEDICATION_SYSTEMS]
    if pairs:
        return pairs
    name = text or next((str(c["display"]) for c in codings if c.get("display")), "")
    return [("", name)] if name.strip() else []


# naltrexone-order-check -------------------------------------------------------------------------

def order_check(chart: PatientChart, drafts: list[DraftOrder], today: date, tz: tzinfo,
                thresholds: Thresholds = DEFAULT) -> list[Card]:
    """Readiness for each draft naltrexone order, by the kind of dose it is
    (:func:`~naltrack.domain.dose_classes.classify_dose`): a first dose or a restart gets every
    induction check; a continuation only the contraindications; a late dose the late-dose table's
    urine screen and consult (clinical.md §1.2, §2.1-§2.2)."""
    cards: list[Card] = []
    for draft in drafts:
        if draft.medication is None or not is_naltrexone_therapy(draft.medication):
            continue
        form: Form = FORM_OF_CLASS[draft.medication.medication_class]  # type: ignore[assignment]
        cards.append(_readiness_card(chart, draft, form, today, classify_dose(chart, form, today, tz, thresholds),
                                     thresholds))
    return cards


def _readiness_card(chart: PatientChart, draft: DraftOrder, form: Form, today: date, dose: DoseClass,
                    thresholds: Thresholds) -> Card:
    result = assess_readiness(chart, form, today, thresholds, dose_class=dose)
    if not dose.is_induction:  # continuing: contraindications and the late-dose table's checks only
        result = replace(result, reasons=tuple(r for r in result.reasons if r.severity == "contraindication"
                                               or (r.rule in _LATE_DOSE_RULES and r.severity != "info")))
    blocking = [r for r in result.reasons if r.severity in ("contraindication", "not-ready")]
    review = [r for r in result.reasons if r.severity == "review"]
    lines = [f"- **{r.severity}** {r.message} _({r.source}; rule {r.rule})_" for r in result.reasons
             if r.severity != "info"]
    if result.earliest_ready_date and result.verdict != "ready":
        lines.append(f"\nEarliest date it could become ready: **{result.earliest_ready_date}**.")
    verb, doing = ("start", "starting") if dose.is_induction else ("give", "giving")
    if blocking:
        first = blocking[0]
        return Card(f"Do not {verb} {FORM_NAME[form]}: {first.message}", "critical", first.source,
                    "\n".join(lines), first.rule,
                    [suggestion("Remove the naltrexone order", [delete_action(
                        "Remove the draft naltrexone order", draft.resource_type, draft.id)], recommended=True)],
                    [LABEL_LINK], overridable=first.severity != "contraindication")
    if review:
        return Card(f"Review before {doing} {FORM_NAME[form]}: {review[0].message}", "warning", review[0].source,
                    "\n".join(lines), review[0].rule, links=[LABEL_LINK])
    if dose.kind == "continuation":
        return Card(f"Continuing {FORM_NAME[form]}: on time; no contraindication", "info", dose.source,
                    f"{dose.reason} The opioid-free interval, urine screens and naloxone challenge are induction "
                    "checks; contraindications were re-checked and none applies.", "CDS-CONTINUATION")
    if dose.kind == "late":
        return Card(f"Late dose of {FORM_NAME[form]}: give it now; late-dose checks met", "info", dose.source,
                    f"{dose.reason} Contraindications and the late-dose table's checks were met.", "CDS-LATE-DOSE")
    return Card(f"Ready to start {FORM_NAME[form]} today: induction checks met", "info",
                "clinical.md §2", f"{dose.reason} Every readiness rule was checked and met.", "READINESS-MET")


# opioid-order-on-naltrexone ---------------------------------------------------------------------

def opioid_on_naltrexone(chart: PatientChart, drafts: list[DraftOrder], today: date, tz: tzinfo,
                         thresholds: Thresholds = DEFAULT) -> list[Card]:
    """Opioids and interacting drugs ordered while naltrexone blocks (clinical.md §3, §4), and Contrave
    against opioids in both directions (its naltrexone, clinical.md §8.1; the Contrave label). A medicine
    the terminology cannot classify is named on an information card while naltrexone blocks."""
    blockade = opioid_blockade(chart, today, tz, thresholds)
    taking = [u.rxnorm for u in current(chart.medications) if u.is_active_on(today)]
    cards: list[Card] = []
    for draft in drafts:
        med = draft.medication
        if med is None:
            cards += [_unclassified_card(draft, blockade)] if blockade is not None else []
            continue
        if is_naltrexone_therapy(med):
            continue
        if blockade is not None:
            cards += [_interaction_card(chart, draft, alert, blockade) for alert in
                      check_interactions(med, [FORM_CODE[blockade.form]]) if alert.severity != "info"]
        for alert in check_interactions(med, taking):
            if alert.rule == "IX-CONTRAVE":
                cards.append(Card(_summary(f"{draft.name}: {alert.message}"), alert.severity,
                                  alert.source, f"{alert.message}\n\n**Action:** {alert.action}", alert.rule,
                                  links=[LABEL_LINK]))
    return cards


def opioid_blockade(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds) -> Blockade | None:
    """The blockade an opioid order meets: :func:`naltrexone_on_board`, and after an XR-NTX injection at least
    the label's ``xr_ntx_blockade_days`` (about 28 days, clinical.md §1.2, §3), whatever the estimate says."""
    blockade = naltrexone_on_board(chart, today, tz, thresholds)
    shot = chart.last_injection(today, tz)
    if shot is None:
        return blockade
    given = local_day(shot.given_at, tz)
    label_end = given + timedelta(days=thresholds.xr_ntx_blockade_days)
    if today > label_end or (blockade is not None and blockade.until >= label_end):
        return blockade
    return Blockade("xr-ntx", given, label_end, f"XR-NTX injection on {given}", "clinical.md §1.2, §3 (Vivitrol "
                    "label: blockade lasts the dosing interval)")


def _summary(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def _until_text(blockade: Blockade) -> str:
    return f"until about {blockade.until}"


def _unclassified_card(draft: DraftOrder, blockade: Blockade) -> Card:
    """An information card for a draft medicine that neither the catalog, the code tables nor the words of its
    name classify: it may be an opioid, which naltrexone would block (clinical.md §3, §4)."""
    room = SUMMARY_MAX - len(_UNCLASSIFIED.format(name="")) - len(f" ({_UNCLASSIFIED_SOURCE})")
    name = draft.name if len(draft.name) <= room else draft.name[: room - 1].rstrip() + "…"
    detail = (f"naltrack does not know what **{draft.name}** is: neither its code nor the words of its name match "
              "the catalog or the code tables of the public value sets (docs/terminology.md). If it contains an "
              "opioid (analgesic, antitussive, antidiarrheal, buprenorphine or methadone), naltrexone will block "
              "it, and trying to overcome the blockade can cause a fatal overdose.\n\nNaltrexone on board: "
              f"{blockade.basis}; blockade expected {_until_text(blockade)} ({blockade.source}).")
    return Card(_UNCLASSIFIED.format(name=name), "info", _UNCLASSIFIED_SOURCE, detail, "CDS-UNCLASSIFIED-MEDICINE",
                links=[LABEL_LINK])


def _interaction_card(chart: PatientChart, draft: DraftOrder, alert: Alert, blockade: Blockade) -> Card:
    name = draft.name
    detail = (f"{alert.message}\n\nNaltrexone on board: {blockade.basis}; blockade expected "
              f"{_until_text(blockade)} ({blockade.source}).\n\n**Action:** {alert.action} _({alert.source})_")
    if alert.severity == "critical":
        summary = f"{name} will be blocked: naltrexone on board {_until_text(blockade)}"
        options = [
            suggestion("Cancel the opioid order", [delete_action(f"Remove {name}", draft.resource_type, draft.id)],
                       recommended=True),
            suggestion("Order a non-opioid analgesic instead", [
                delete_action(f"Remove {name}", draft.resource_type, draft.id),
                create_action("Acetaminophen as a non-opioid option", draft_medication_request(
                    chart.patient.id, "acetaminophen (non-opioid analgesic)",
                    dosage="Non-opioid analgesia; consider regional anesthesia (clinical.md §3)")),
            ]),
        ]
        return Card(summary, "critical", alert.source, detail, alert.rule, options, [LABEL_LINK])
    summary = f"{name} with naltrexone: {alert.message}"
    return Card(summary, "warning", alert.source, detail, alert.rule, links=[LABEL_LINK])


# naltrexone-patient-view ------------------------------------------------------------------------

def patient_view(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds = DEFAULT) -> list[Card]:
    blockade = naltrexone_on_board(chart, today, tz, thresholds)
    cards: list[Card] = []
    if blockade is not None:
        cards.append(_protection_card(chart, blockade, today, tz, thresholds))
    else:
        lapse = _lapse_card(chart, today, tz, thresholds)
        if lapse is not None:
            cards.append(lapse)
    treatment = _oud_treatment_card(chart, today, tz, thresholds)
    if treatment is not None:
        cards.append(treatment)
    return cards


def injection_due_for_card(chart: PatientChart, blockade: Blockade, today: date, tz: tzinfo,
                           thresholds: Thresholds) -> date | None:
    """The next injection the card names: the chart's (:func:`next_injection_due`); for XR-NTX known only
    from the EHR's medication list (no injection, no regimen on file), one interval after its last dose."""
    due = next_injection_due(chart, today, tz, thresholds)
    if due is None and blockade.form == "xr-ntx" and chart.last_injection(today, tz) is None:
        return injection_due_on(blockade.since, injection_interval_days(chart.active_regimens_on(today), thresholds))
    return due


def _protection_card(chart: PatientChart, blockade: Blockade, today: date, tz: tzinfo,
                     thresholds: Thresholds) -> Card:
    detail = f"Naltrexone on board: {blockade.basis}; opioids blocked {_until_text(blockade)} ({blockade.source})."
    due = injection_due_for_card(chart, blockade, today, tz, thresholds) if blockade.form == "xr-ntx" else None
    if due is not None:
        detail += f"\n\nNext injection due **{due}** (every 4 weeks, clinical.md §1.2)."
        if (blockade.until - today).days <= thresholds.cds_due_soon_days:
            return Card(f"XR-naltrexone injection due {due}: protection ends about {blockade.until}", "warning",
                        "Vivitrol label", detail + _naloxone_note(chart, today), "CDS-INJECTION-DUE",
                        _naloxone_suggestions(chart, today), [LABEL_LINK])
        return Card(f"Protected by XR-naltrexone until about {blockade.until}; next injection due {due}", "info",
                    "Vivitrol label", detail, "CDS-PROTECTED", links=[LABEL_LINK])
    return Card(f"Opioids blocked by {FORM_NAME[blockade.form]} {_until_text(blockade)}", "info",
                blockade.source, detail, "CDS-PROTECTED")


def _lapse_card(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds) -> Card | None:
    ended = last_protection_end(chart, today, tz, thresholds)
    if ended is None or (today - ended).days > thresholds.lapse_window_days:
        return None
    detail = (f"Naltrexone protection ended about **{ended}** ({(today - ended).days} days ago). After detox, "
              "tolerance is low: opioid use now, or an attempt to overcome a waning blockade, can be fatal "
              "(clinical.md §3, Vivitrol label 5.1)." + _naloxone_note(chart, today))
    return Card(f"Naltrexone protection lapsed {ended}: high overdose risk, offer naloxone", "critical",
                "Vivitrol label 5.1", detail, "CDS-LAPSE", _naloxone_suggestions(chart, today), [LABEL_LINK],
                overridable=True)


def _naloxone_note(chart: PatientChart, today: date) -> str:
    if has_rescue_naloxone(chart, today):
        return "\n\nRescue naloxone is on the medication list; review overdose recognition."
    return "\n\nNo rescue naloxone on file: the label asks to consider prescribing it (clinical.md §3)."


def _naloxone_suggestions(chart: PatientChart, today: date) -> list[dict[str, Any]]:
    if has_rescue_naloxone(chart, today):
        return []
    code = (RXNORM, RESCUE_NALOXONE_CODE, NALOXONE_DISPLAY)
    order = draft_medication_request(chart.patient.id, NALOXONE_DISPLAY, code,
                                     "Use for suspected opioid overdose; call 911")
    return [suggestion("Prescribe rescue naloxone", [create_action("Order naloxone 4 mg nasal spray", order)],
                       recommended=True)]


def _oud_treatment_card(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds) -> Card | None:
    if not has_oud(chart, today):
        return None
    if has_naltrexone_treatment(chart, today, tz, thresholds):
        return Card("Treated for opioid use disorder with naltrexone (MOUD)", "info", "anchors.md §3.1",
                    "Naltrexone is medication for OUD. The CDC opioid IG's Recommendation 12 counts only "
                    "buprenorphine and methadone; this patient should not be flagged as untreated.",
                    "CDS-MOUD-NALTREXONE")
    since = today - timedelta(days=thresholds.lapse_window_days)
    meds = [resolve_rxnorm(u.rxnorm) for u in current(chart.medications) if u.end is None or u.end >= since]
    if any(m is not None and m.medication_class in _MOUD_CLASSES for m in meds):
        return None
    return Card("Opioid use disorder without medication treatment: offer MOUD (naltrexone included)", "warning",
                "anchors.md §3.1", "No buprenorphine, methadone or naltrexone in the last "
                f"{thresholds.lapse_window_days} days. Offer medication for OUD; XR-naltrexone after an opioid-free "
                "interval (clinical.md §2.1).", "CDS-MOUD-NONE")
