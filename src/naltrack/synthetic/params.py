"""The numbers that shape a synthetic program, each with its source.

Trial numbers come from ``../shared/reference/clinical.md`` (cited ``clinical.md §N``).
Where the reference gives no number, the default is a plain assumption for a realistic
demo, named ``ASSUMED`` in its comment; change it through :class:`ProgramParams`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProgramParams:
    """Rates and mixes of a synthetic program (probabilities are per patient unless stated)."""

    #: Clinics in the network.
    n_clinics: int = 3
    #: Patients enrol uniformly over this many days before the program end date. ASSUMED.
    enrolment_days: int = 540
    #: Mix of indications. ASSUMED (an OUD-heavy naltrexone program with AUD patients).
    indication_mix: dict[str, float] = field(default_factory=lambda: {
        "OUD": 0.50, "AUD": 0.33, "OUD+AUD": 0.12, "stimulant": 0.05})
    #: Forms assigned per indication. ASSUMED.
    regimen_mix: dict[str, dict[str, float]] = field(default_factory=lambda: {
        "OUD": {"xr-ntx-q4w": 0.55, "oral-daily": 0.22, "oral-schedule": 0.10, "implant": 0.13},
        "AUD": {"xr-ntx-q4w": 0.40, "oral-daily": 0.33, "targeted": 0.20, "oral-schedule": 0.07},
        "OUD+AUD": {"xr-ntx-q4w": 0.70, "oral-daily": 0.20, "implant": 0.10},
        "stimulant": {"xr-ntx-bupropion": 1.0},
    })
    #: Assigned to XR-NTX after opioid detox but never inducted: X:BOT 28% (79/283)
    #: "dropped out before XR-NTX induction" (clinical.md §6, Lee 2018).
    xr_ntx_non_start_oud: float = 0.28
    #: The same for AUD and stimulant patients, who need no opioid-free interval. ASSUMED.
    xr_ntx_non_start_other: float = 0.12
    #: Staying on XR-NTX from one 4-week injection to the next: 0.88**6 = 46% still in at
    #: 24 weeks, near the X:BOT per-protocol 48% relapse-free (clinical.md §6). ASSUMED rate.
    xr_ntx_continue_per_cycle: float = 0.88
    #: Staying on oral naltrexone for another 4 weeks: 0.70**6 = 12% at 6 months, near
    #: Krupitsky 2012 oral arm 15.7% retained without relapse (clinical.md §6).
    oral_continue_per_4_weeks: float = 0.70
    #: Staying on implants for another implant: Krupitsky 2012 implant 52.9% at 6 months
    #: with 2-month implants (clinical.md §6, §1.3): 0.81**3 = 53%.
    implant_continue_per_implant: float = 0.81
    #: Share of on-time (day 26-30), late (31-35) and very late (36-50) XR-NTX injections. ASSUMED.
    injection_timing: tuple[float, float, float] = (0.68, 0.24, 0.08)
    #: Injection-site reaction recorded per injection. ASSUMED: the label lists site
    #: reactions among the most common adverse events but the reference gives no rate (clinical.md §3).
    injection_site_reaction_per_injection: float = 0.08
    #: Of those, a severe one (induration >5 cm, necrosis, surgical referral). ASSUMED (clinical.md §3).
    severe_site_reaction_share: float = 0.02
    #: Nausea after starting naltrexone (common AE, clinical.md §3). ASSUMED rate.
    nausea: float = 0.10
    #: Headache and insomnia after starting (common AEs, clinical.md §3). ASSUMED rates.
    headache: float = 0.06
    insomnia: float = 0.05
    #: Liver tests rising during treatment: ALT >3x ULN in about 1% (LiverTox, clinical.md §2.7);
    #: a few more rise less. ASSUMED split.
    rising_liver_tests: float = 0.03
    #: Of the rising ones, clinically significant hepatotoxicity recorded as an adverse event.
    hepatotoxicity_share_of_rising: float = 0.3
    #: PHQ-9 responses with item 9 (thoughts of self-harm) above 0. ASSUMED.
    phq9_item9_positive: float = 0.03
    #: Of those, assessed for suicide risk by a counselor or prescriber the same day (the alert then
    #: closes); the rest within a week, so the latest ones are still open on the demo dashboard. ASSUMED.
    phq9_item9_assessed_same_day: float = 0.85
    #: Counseling every 14 days (biweekly counselling, Krupitsky 2011, clinical.md §6).
    counseling_interval_days: int = 14
    #: Counseling sessions attended. ASSUMED.
    counseling_attendance: float = 0.8
    #: Patients who go to mutual-help meetings (AA, NA, SMART). ASSUMED.
    support_group_share: float = 0.35
    #: Records corrected later (old version kept, entered-in-error). ASSUMED.
    correction_rate: float = 0.005
    #: Drinking diary kept for the first weeks of AUD treatment (days). ASSUMED (12-week window).
    diary_days: int = 84
    #: Diary days filled in. ASSUMED.
    diary_completion: float = 0.6
    #: Oral doses older than this many days before the end are not kept (a diary window). ASSUMED.
    oral_dose_window_days: int = 120
    #: Days between Brief Addiction Monitor responses in treatment: about monthly, as the BAM asks about the past
    #: 30 days (BAM manual, VA VISN 4 MIRECC; "recommended frequency: monthly", Blueprint's BAM summary).
    bam_interval_days: int = 30
    #: Share of the intake level of BAM risk factors kept after each month in treatment (0.85**6 = 38% at six
    #: months). ASSUMED: the BAM's risk and protective scores change in treatment (Cacciola 2013) but no
    #: monthly rate is published.
    bam_risk_kept_per_month: float = 0.85
    #: Share of the gap to full protection that each month in treatment closes. ASSUMED (as above).
    bam_protection_gain_per_month: float = 0.12
