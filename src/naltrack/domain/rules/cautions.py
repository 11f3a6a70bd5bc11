"""Readiness cautions about what else the patient takes, and about the form chosen for OUD.

None of them is a contraindication; each names a combination or a caveat a clinician weighs:

* another naltrexone product already taken (bupropion/naltrexone, Contrave): duplicate naltrexone
  (clinical.md §4, §8.1: Contrave sits in the eCQM "Opiate Antagonists" set but is not MAT);
* disulfiram: two potentially hepatotoxic drugs, "not ordinarily recommended unless the probable
  benefits outweigh the known risks" (clinical.md §4, oral label);
* oral naltrexone for OUD: ASAM 2020 does not recommend it except in limited, highly supervised
  circumstances (clinical.md §9); Krupitsky 2012 retained 15.7% without relapse on oral naltrexone
  (clinical.md §6). That poor adherence is the cause is UNCONFIRMED in the reference.
"""

from __future__ import annotations

from naltrack.domain.catalog import Medication
from naltrack.domain.rules import facts
from naltrack.domain.rules.base import Reason
from naltrack.domain.rules.context import Context, reason
from naltrack.domain.terminology import resolve_rxnorm

#: Catalog classes of naltrexone-containing products that are not naltrexone therapy (Contrave).
DUPLICATE_NALTREXONE_CLASSES = frozenset({"naltrexone-not-mat"})


def _active(ctx: Context, classes: frozenset[str]) -> list[Medication]:
    """Catalog entries of the medicines of these classes active on the day, once each."""
    found: dict[str, Medication] = {}
    for med in facts.medications_used(ctx.chart, ctx.on):
        entry = resolve_rxnorm(med.rxnorm)
        if entry is not None and entry.medication_class in classes and med.is_active_on(ctx.on):
            found.setdefault(entry.code, entry)
    return list(found.values())


def check_duplicate_naltrexone(ctx: Context) -> list[Reason]:
    """Bupropion/naltrexone (Contrave) on the medication list: stop it before starting naltrexone."""
    return [reason("RDY-DUPLICATE-NALTREXONE", "review", f"{entry.display} is active: it contains naltrexone "
                   "(duplicate naltrexone) and is not OUD/AUD treatment. Stop Contrave before starting "
                   "naltrexone.") for entry in _active(ctx, DUPLICATE_NALTREXONE_CLASSES)]


def check_disulfiram(ctx: Context) -> list[Reason]:
    """Disulfiram with naltrexone: both potentially hepatotoxic; weigh benefit and risk, not a contraindication."""
    return [reason("RDY-DISULFIRAM", "review", f"{entry.display} is active: disulfiram with naltrexone combines two "
                   "potentially hepatotoxic drugs; not ordinarily recommended unless the probable benefits outweigh "
                   "the known risks. Monitor liver tests if both are given.")
            for entry in _active(ctx, frozenset({"disulfiram"}))]


def check_oral_for_oud(ctx: Context) -> list[Reason]:
    """Oral naltrexone for OUD: poor outcomes outside supervised settings (adherence)."""
    if ctx.form != "oral" or not ctx.treats_oud:
        return []
    return [reason("RDY-ORAL-OUD", "info", "Oral naltrexone for OUD: ASAM 2020 does not recommend it except in "
                   "limited, highly supervised circumstances; unsupervised, adherence is poor and so are outcomes "
                   "(6 months without relapse: 15.7% on oral naltrexone vs 52.9% with an implant, Krupitsky "
                   "2012). Prefer XR-NTX, or observed dosing.")]
