"""The numbers the rules use, as one frozen, configurable set of defaults.

Each field names its source in ``../shared/reference/clinical.md``. A number the
reference marks UNCONFIRMED, or that no source gives (a local scheduling choice), is a
configurable default and says so in :data:`THRESHOLD_SOURCES`. Build a stricter or local
set with :func:`dataclasses.replace`, e.g. ``replace(DEFAULT, opioid_free_days_short=10)``
(:data:`STRICT` is that set).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from naltrack.errors import InvalidInput


@dataclass(frozen=True)
class Thresholds:
    """Defaults of the readiness and monitoring rules (units in the names)."""

    # Opioid-free interval before naltrexone, by the action of the last opioid (clinical.md §2.1).
    opioid_free_days_short: int = 7
    opioid_free_days_long: int = 14
    opioid_free_days_fentanyl: int = 10
    opioid_free_days_buprenorphine: int = 14
    opioid_free_days_methadone: int = 14
    # Hidden opioid exposure: kratom (mitragynine) and loperamide above a daily amount count as opioid use.
    opioid_free_days_kratom: int = 7
    opioid_free_days_loperamide: int = 7
    loperamide_opioid_exposure_above_mg_per_day: float = 16.0
    # Long-acting buprenorphine (depot injection or implant): readiness is reviewed, never dated, this long.
    depot_buprenorphine_review_days: int = 180
    # Freshness of the data the readiness rules read.
    uds_max_age_days: int = 3
    # Reported prescription-opioid use or an oxycodone medicine this recent requires the oxycodone analyte.
    oxycodone_analyte_required: bool = True
    oxycodone_analyte_lookback_days: int = 30
    cows_max_age_days: int = 1
    lft_max_age_days: int = 30
    pregnancy_status_max_age_days: int = 30
    # Withdrawal on the COWS (clinical.md §2.4): from 5 (mild) the patient shows withdrawal.
    cows_withdrawal_from: int = 5
    # Liver tests as multiples of the upper limit of normal (clinical.md §2.7).
    liver_review_above_x_uln: float = 3.0
    liver_not_ready_above_x_uln: float = 5.0
    liver_rise_ratio: float = 1.5
    liver_lookback_days: int = 90
    # Acute hepatitis / liver failure contraindicates oral naltrexone (older ReVia monographs).
    hepatitis_contraindicates_oral: bool = True
    # Bleeding review before an IM injection or an implant's trocar insertion: platelets (10*9/L = 10*3/uL)
    # below this count (clinical.md §2.5 names thrombocytopenia without a number).
    platelets_review_below_10e9_per_l: float = 150.0
    # Pregnancy status is asked of female patients of these ages.
    reproductive_age_min_years: int = 12
    reproductive_age_max_years: int = 55
    # AUD: days without a drink before the first XR-NTX injection, and before oral naltrexone.
    alcohol_free_days_xr_ntx: int = 3
    alcohol_free_days_oral: int = 3
    alcohol_free_days_implant: int = 3
    # A heavy drinking day: at least this many standard drinks in a day, by sex at birth (clinical.md §6).
    heavy_drinking_drinks_male: float = 5.0
    heavy_drinking_drinks_female: float = 4.0
    # AUD: an XR-NTX restart this many days after the last injection counts as a first injection.
    xr_ntx_restart_gap_days: int = 56
    # XR-NTX schedule (clinical.md §1.2).
    injection_interval_days: int = 28
    injection_due_window_days: int = 2
    injection_uds_required_from_day: int = 35
    injection_consult_from_day: int = 56
    # Protection (days' supply of a medicine known without doses) and overdose risk.
    xr_ntx_blockade_days: int = 28
    # After an XR-NTX injection, an opioid order is flagged (and surgery planned) for this many days.
    opioid_order_window_after_injection_days: int = 30
    implant_default_days: int = 60
    protection_warning_days: int = 3
    lapse_alert_days: int = 30
    # Oral naltrexone: hours a dose blocks opioids, also the days' supply of an oral medicine known without doses.
    oral_blockade_hours: int = 72
    # CDS: days after the end of protection a lapse is reported, and the window of "treated with naltrexone".
    lapse_window_days: int = 90
    # CDS patient view: the next injection is flagged as due this many days before protection ends.
    cds_due_soon_days: int = 7
    # Monitoring look-backs.
    injection_site_escalate_days: int = 14
    surgery_horizon_days: int = 60
    oral_stop_before_surgery_hours: int = 72
    xr_ntx_stop_before_surgery_days: int = 30
    # Dose classification (domain/dose_classes.py) and blockade-based alerts.
    # A naltrexone dose after this many whole days without blockade is a restart: full induction again.
    restart_after_unblocked_days: int = 28
    # A late oral dose or implant needs a urine screen after this many whole days without blockade.
    late_dose_uds_from_unblocked_days: int = 2
    # An injection-site reaction of this CTCAE grade or above is critical (refer to a surgeon).
    injection_site_critical_from_grade: int = 3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                continue
            if not isinstance(value, int | float) or value <= 0:
                raise InvalidInput(f"thresholds.{f.name}", value, "must be a number greater than 0")
        if self.liver_not_ready_above_x_uln < self.liver_review_above_x_uln:
            raise InvalidInput("thresholds.liver_not_ready_above_x_uln", self.liver_not_ready_above_x_uln,
                               f"must be at least liver_review_above_x_uln ({self.liver_review_above_x_uln:g})")

    def opioid_free_days(self, action: str) -> int:
        """Required opioid-free days after an opioid of this action.

        Examples
        --------
        >>> DEFAULT.opioid_free_days("methadone"), STRICT.opioid_free_days("short")
        (14, 10)
        """
        return {
            "short": self.opioid_free_days_short,
            "long": self.opioid_free_days_long,
            "fentanyl": self.opioid_free_days_fentanyl,
            "buprenorphine": self.opioid_free_days_buprenorphine,
            "methadone": self.opioid_free_days_methadone,
            "kratom": self.opioid_free_days_kratom,
            "loperamide": self.opioid_free_days_loperamide,
        }.get(action, self.opioid_free_days_long)


DEFAULT = Thresholds()
#: The top of the label's 7-10 day range for short-acting opioids (clinical.md §2.1).
STRICT = replace(DEFAULT, opioid_free_days_short=10)

_C = "configurable default"
#: Where each default comes from; ``UNCONFIRMED`` marks numbers no retrieved source confirms.
THRESHOLD_SOURCES: dict[str, str] = {
    "opioid_free_days_short": "clinical.md §2.1: label minimum 7-10 days; default 7, STRICT uses 10",
    "opioid_free_days_long": f"UNCONFIRMED {_C}: no '10-14 days for long-acting opioids' source was found "
                             "(clinical.md §2.1, §10 item 2); 14 follows the label's 'up to two weeks'",
    "opioid_free_days_fentanyl": f"UNCONFIRMED {_C}: the label's 7-10 days covers all opioids and no "
                                 "fentanyl-specific interval was found (clinical.md §2.1); default is the top "
                                 "of the range because fentanyl use needs caution (clinical.md §1.2 late-dose table)",
    "opioid_free_days_buprenorphine": "clinical.md §2.1: label 'as long as two weeks'; ASAM 7-14 days",
    "opioid_free_days_methadone": "clinical.md §2.1: label 'as long as two weeks'",
    "opioid_free_days_kratom": f"UNCONFIRMED {_C}: clinical.md has no kratom entry; kratom's mitragynine is a "
                               "mu-opioid partial agonist, so it is treated as a short-acting opioid (label minimum "
                               "7-10 days, clinical.md §2.1)",
    "opioid_free_days_loperamide": f"UNCONFIRMED {_C}: no source gives an interval after loperamide misuse; treated "
                                   "as a short-acting opioid (label minimum 7-10 days, clinical.md §2.1)",
    "loperamide_opioid_exposure_above_mg_per_day": f"UNCONFIRMED {_C}: loperamide labels (not in clinical.md): OTC "
                                                   "maximum 8 mg/day, prescription maximum 16 mg/day; FDA Drug Safety "
                                                   "Communications of 2016-06-07 and 2018-01-30 (cited, not retrieved "
                                                   "here) report misuse at far higher doses to get opioid effects or "
                                                   "ease withdrawal. Above the prescription maximum loperamide counts "
                                                   "as opioid exposure; clinical.md §4, §10 item 5: the label does "
                                                   "not name loperamide",
    "depot_buprenorphine_review_days": f"UNCONFIRMED {_C}: a clinical judgement; clinical.md §2.1 gives 'up to "
                                       "two weeks' for daily agonists only, and a Sublocade/Brixadi depot or "
                                       "Probuphine implant persists, so within this window readiness is review",
    "uds_max_age_days": f"UNCONFIRMED {_C}: label says verify by urine analysis (clinical.md §1.1) without an age",
    "oxycodone_analyte_required": f"UNCONFIRMED {_C}: clinical judgement, not in clinical.md (opiate "
                                  "immunoassays often miss oxycodone); the screen verifies the interval (§1.1, §2.2)",
    "oxycodone_analyte_lookback_days": f"UNCONFIRMED {_C}: clinical judgement; how recent reported "
                                       "prescription-opioid use or an oxycodone medicine must be",
    "cows_max_age_days": f"UNCONFIRMED {_C}: withdrawal is assessed on the day (clinical.md §1.1)",
    "lft_max_age_days": f"UNCONFIRMED {_C}: LFTs are part of the pre-treatment work-up (clinical.md §1.1)",
    "pregnancy_status_max_age_days": f"UNCONFIRMED {_C}: pregnancy test in the work-up (clinical.md §1.1)",
    "cows_withdrawal_from": f"{_C}: clinical.md §2.4, mild withdrawal starts at 5; no naltrexone-specific COWS "
                            "cut-off exists",
    "liver_review_above_x_uln": "clinical.md §2.7: TIP 28 caution above 3x normal; Krupitsky excluded >3x ULN",
    "liver_not_ready_above_x_uln": f"{_C}: clinical.md §2.7, 5x ULN is an X:BOT trial exclusion, not a label "
                                   "number (the label has none)",
    "liver_rise_ratio": f"UNCONFIRMED {_C}: the reference gives no numeric 'rising' criterion",
    "liver_lookback_days": f"{_C}: window in which two liver results are compared",
    "hepatitis_contraindicates_oral": "clinical.md §2.5: older oral monographs list it; version-dependent",
    "platelets_review_below_10e9_per_l": f"UNCONFIRMED {_C}: clinical.md §2.5 (label, as with any IM "
                                         "injection: caution with thrombocytopenia) gives no count; 150 x "
                                         "10^9/L is the usual lower limit of normal, the definition of "
                                         "thrombocytopenia; also applied to an implant's trocar insertion (§1.3)",
    "reproductive_age_min_years": f"UNCONFIRMED {_C}",
    "reproductive_age_max_years": f"UNCONFIRMED {_C}",
    "alcohol_free_days_xr_ntx": f"UNCONFIRMED {_C}: label 'not actively drinking at initial administration' "
                                "(clinical.md §1.2); TIP 28 3-7 days (§1.1); payer example 7 days (§2.5)",
    "alcohol_free_days_oral": "clinical.md §1.1: TIP 28 abstinent 3-7 days before naltrexone (lower bound)",
    "alcohol_free_days_implant": "clinical.md §1.1: TIP 28 abstinent 3-7 days before naltrexone (lower bound); "
                                 "implants are not FDA-approved (§1.3), so no label condition applies",
    "heavy_drinking_drinks_male": "clinical.md §6: heavy drinking days (HDD), at least 5 drinks a day for men",
    "heavy_drinking_drinks_female": "clinical.md §6: heavy drinking days (HDD), at least 4 drinks a day for women; "
                                    "also applied when the sex at birth is intersex or unknown (the lower count)",
    "xr_ntx_restart_gap_days": f"UNCONFIRMED {_C}: clinical.md §1.2 says 'data on resumption of treatment after "
                               "a break are not available'; default is the late-dose table's consult day 56 (>8 "
                               "weeks, local protocol), from which the no-drinking condition of the initial "
                               "administration applies again",
    "injection_interval_days": "clinical.md §1.2: 380 mg every 4 weeks",
    "injection_due_window_days": f"{_C}: shows the injection as due this many days before day 28",
    "injection_uds_required_from_day": "clinical.md §1.2: public late-dose table (local protocol, not a standard)",
    "injection_consult_from_day": "clinical.md §1.2: public late-dose table (local protocol, not a standard)",
    "xr_ntx_blockade_days": "clinical.md §1.2: blockade about 28 days",
    "opioid_order_window_after_injection_days": f"{_C}: clinical.md §2.1, ASAM: wait about 30 days after "
                                                "XR-NTX before an agonist (label blockade about 28 days, §1.2)",
    "implant_default_days": f"{_C}: clinical.md §1.3, US pellets about 2 months (2-6 months by product)",
    "protection_warning_days": f"{_C}: how early the end of protection is announced",
    "lapse_alert_days": f"{_C}: how long after a lapse the overdose-risk alert stays",
    "oral_blockade_hours": f"{_C}: clinical.md §3, ASAM: stop oral naltrexone 72 h before elective surgery; used "
                           "for the blockade of oral naltrexone known only as a medicine (no dose time to model)",
    "lapse_window_days": f"UNCONFIRMED {_C}: no reference fixes it; after detox tolerance stays low for weeks "
                         "(clinical.md §3). CDS lapse card and the 'treated with naltrexone' window (anchors.md §3.1)",
    "cds_due_soon_days": f"{_C}: clinical.md §1.2 (every 4 weeks); the CDS patient view flags the injection as "
                         "due this many days before the end of protection",
    "injection_site_escalate_days": "clinical.md §3: report reactions not improving within 2 weeks (FDA 2008)",
    "surgery_horizon_days": f"{_C}: how far ahead planned procedures are shown",
    "oral_stop_before_surgery_hours": "clinical.md §3: ASAM, stop oral naltrexone 72 h before elective surgery",
    "xr_ntx_stop_before_surgery_days": "clinical.md §3: ASAM, XR-NTX 30 days before elective surgery",
    "restart_after_unblocked_days": f"UNCONFIRMED {_C}: clinical.md §1.2 says 'data on resumption of treatment "
                                    "after a break are not available'; a whole dosing interval (4 weeks, §1.2) "
                                    "without blockade, for every form. For XR-NTX (blocked through day 32, "
                                    "docs/pk.md) that is from day 61, after the late-dose table's consult "
                                    "from day 56 (local protocol)",
    "late_dose_uds_from_unblocked_days": f"UNCONFIRMED {_C}: the late-dose table (clinical.md §1.2, local "
                                         "protocol) requires a urine screen from day 35, after two whole days "
                                         "without blockade for the typical XR-NTX patient (blocked through day "
                                         "32, docs/pk.md); the same two days apply to a late oral dose or implant",
    "injection_site_critical_from_grade": "CTCAE grade 3 (ulceration or necrosis; operative intervention "
                                          "indicated); clinical.md §3: severe reactions needed surgical "
                                          "intervention, refer to a surgeon if worsening (FDA 2008)",
}
