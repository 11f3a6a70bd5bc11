"""Naltrexone regimens: what was ordered, in which form and schedule.

Sources (``../shared/reference/clinical.md``):

* §1.1 oral 50 mg daily; OUD starts with a 25 mg test dose; label alternative schedules
  (50 mg weekdays + 100 mg Saturday; 100 mg every other day; 150 mg every third day) and
  the three-times-weekly 100/100/150 mg schedule (weekday assignment UNCONFIRMED, so the
  schedule is data, not a fixed rule).
* §1.2 XR-NTX 380 mg IM every 4 weeks, one strength only.
* §1.3 implants by dose (not FDA-approved; compounded).
* §1.4 targeted (Sinclair) dosing for AUD: 50 mg about one hour before drinking; off-label.
* XR-NTX with bupropion for stimulant use (ADAPT-2 style); bupropion is ordered separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args

from naltrack.domain.episodes import INDICATIONS, Indication
from naltrack.domain.errors import DoseLimitExceeded, InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.units import require_choice, require_not_before, require_positive, require_range_if_given

RegimenKind = Literal[
    "oral-daily", "oral-schedule", "xr-ntx-q4w", "implant", "targeted", "xr-ntx-bupropion"
]
REGIMEN_KINDS: tuple[RegimenKind, ...] = get_args(RegimenKind)
Form = Literal["oral", "xr-ntx", "implant"]
#: The naltrexone forms a dose can be given (and classed, and readiness assessed) in.
FORMS: tuple[Form, ...] = get_args(Form)
#: Plain-language names of the forms (messages, the chart, the forms).
FORM_LABELS: dict[str, str] = {"oral": "oral naltrexone", "xr-ntx": "XR-naltrexone injection",
                               "implant": "naltrexone implant"}


def form_label(form: str, *, first: bool = False) -> str:
    """The plain name of ``form``; ``first`` capitalises it to begin a sentence ("XR-naltrexone injection")."""
    label = FORM_LABELS[form]
    return label[:1].upper() + label[1:] if first else label
#: Oral regimens whose next tablet is scheduled (targeted dosing is taken as needed, clinical.md §1.4).
SCHEDULED_ORAL_KINDS: tuple[RegimenKind, ...] = ("oral-daily", "oral-schedule")
FORM_OF_KIND: dict[str, Form] = {
    "oral-daily": "oral", "oral-schedule": "oral", "targeted": "oral",
    "xr-ntx-q4w": "xr-ntx", "xr-ntx-bupropion": "xr-ntx", "implant": "implant",
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Largest single oral dose in the label's alternative schedules (clinical.md §1.1).
ORAL_MAX_SINGLE_DOSE_MG = 150.0
#: The usual oral dose, once daily (clinical.md §1.1), also the targeted dose before drinking (§1.4).
ORAL_DOSE_MG = 50.0
#: The oral test dose that starts OUD treatment before 50 mg daily (clinical.md §1.1).
ORAL_TEST_DOSE_MG = 25.0
#: XR-NTX comes in one strength (clinical.md §1.2).
XR_NTX_DOSE_MG = 380.0
#: XR-NTX interval in days: every 4 weeks (clinical.md §1.2).
XR_NTX_INTERVAL_DAYS = 28
#: Largest implant with published durations, 3.4 g (pk.md §7.3).
IMPLANT_MAX_DOSE_MG = 3400.0
#: Plain names of the regimen kinds (the order form, the chart).
KIND_LABELS: dict[str, str] = {
    "oral-daily": f"Oral naltrexone {ORAL_DOSE_MG:g} mg daily",
    "oral-schedule": "Oral, alternative schedule",
    "xr-ntx-q4w": f"XR-naltrexone {XR_NTX_DOSE_MG:g} mg every {XR_NTX_INTERVAL_DAYS // 7} weeks",
    "implant": "Implant",
    "targeted": "Targeted dosing before drinking (AUD)",
    "xr-ntx-bupropion": "XR-naltrexone with bupropion",
}


def default_dose_mg(kind: str) -> float | None:
    """The usual dose of a regimen kind: oral 50 mg (clinical.md §1.1, §1.4), XR-NTX 380 mg (§1.2); an implant
    has none (its dose is the product's).

    Examples
    --------
    >>> default_dose_mg("targeted"), default_dose_mg("xr-ntx-bupropion"), default_dose_mg("implant")
    (50.0, 380.0, None)
    """
    form = FORM_OF_KIND[kind]
    return ORAL_DOSE_MG if form == "oral" else XR_NTX_DOSE_MG if form == "xr-ntx" else None


def offered_oral_dose_mg(regimen: Regimen | None, day: date) -> float:
    """The oral dose a dose form offers on ``day``: what the active oral order gives that day (the weekday's dose of
    a schedule, a targeted order's dose), else the usual 50 mg (clinical.md §1.1). The check before the dose, not
    this offer, decides whether a dose may be given.

    Examples
    --------
    >>> fri = Regimen(id="r", patient_id="p", kind="oral-schedule", start=date(2026, 1, 5),
    ...               schedule=(ScheduledDose("mon", 100.0), ScheduledDose("fri", 150.0)))
    >>> offered_oral_dose_mg(fri, date(2026, 1, 9)), offered_oral_dose_mg(None, date(2026, 1, 9))
    (150.0, 50.0)
    """
    if regimen is None or regimen.form != "oral":
        return ORAL_DOSE_MG
    return regimen.oral_dose_on(day) or regimen.dose_mg or ORAL_DOSE_MG


@dataclass(frozen=True)
class ScheduledDose:
    """One dose of a weekly schedule, e.g. ``ScheduledDose("fri", 150.0)``."""

    weekday: str
    dose_mg: float

    def __post_init__(self) -> None:
        require_choice("schedule.weekday", self.weekday, WEEKDAYS)
        check_oral_dose("schedule.dose_mg", self.dose_mg)


def check_oral_dose(field_name: str, dose_mg: float) -> None:
    """Reject an oral dose that is not positive or above the largest labelled single dose."""
    require_positive(field_name, dose_mg)
    if dose_mg > ORAL_MAX_SINGLE_DOSE_MG:
        raise DoseLimitExceeded(
            field_name, dose_mg,
            f"exceeds the largest single oral dose {ORAL_MAX_SINGLE_DOSE_MG:g} mg (clinical.md §1.1)",
        )


@dataclass(frozen=True)
class SchedulePreset:
    """A weekly oral schedule offered when ordering: its name, its weekday doses and their source."""

    id: str
    label: str
    doses: tuple[ScheduledDose, ...]
    source: str


#: The label's alternative schedules that repeat weekly (clinical.md §1.1). The label's "100 mg every other day"
#: and "150 mg every third day" do not fall on the same weekdays each week; within a week they are given as the
#: three-times-weekly 100/100/150 mg schedule, whose weekday assignment is UNCONFIRMED in label text (so a
#: prescriber may move its days).
SCHEDULE_PRESETS: tuple[SchedulePreset, ...] = (
    SchedulePreset("weekdays-saturday", "50 mg every weekday and 100 mg on Saturday",
                   (*(ScheduledDose(day, ORAL_DOSE_MG) for day in WEEKDAYS[:5]), ScheduledDose("sat", 100.0)),
                   "clinical.md §1.1 (label)"),
    SchedulePreset("three-times-weekly", "100 mg Monday and Wednesday, 150 mg Friday",
                   (ScheduledDose("mon", 100.0), ScheduledDose("wed", 100.0), ScheduledDose("fri", 150.0)),
                   "clinical.md §1.1 (Kjome 2011; the weekdays are UNCONFIRMED in label text)"),
)


@dataclass(frozen=True, kw_only=True)
class Regimen(ClinicalRecord):
    """An order for naltrexone. ``dose_mg`` defaults to the form's usual dose (oral 50, XR-NTX 380);
    an implant needs its dose.

    Examples
    --------
    >>> Regimen(id="r1", patient_id="p1", kind="xr-ntx-q4w", start=date(2026, 1, 5)).form
    'xr-ntx'
    >>> try:
    ...     Regimen(id="r2", patient_id="p1", kind="oral-daily", start=date(2026, 1, 5), dose_mg=900)
    ... except DoseLimitExceeded as error:
    ...     print(error.rule)
    exceeds the largest single oral dose 150 mg (clinical.md §1.1)
    """

    kind: RegimenKind
    start: date
    end: date | None = None
    dose_mg: float = 0.0
    schedule: tuple[ScheduledDose, ...] = field(default_factory=tuple)
    interval_days: int | None = None
    expected_duration_days: int | None = None
    implant_product: str | None = None
    induction_test_dose: bool = False
    prescriber: str | None = None
    rxnorm: str | None = None
    """The product ordered; ``None`` stands for its form's catalog code
    (:data:`~naltrack.domain.catalog.FORM_CODE`) wherever a code is needed, e.g. by the interaction rules."""
    days_supply: int | None = None
    note: str | None = None
    indication: Indication | None = None
    """What the naltrexone is ordered for (OUD, AUD, both, stimulant use); ``None`` when the order does not say."""

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("regimen.kind", self.kind, REGIMEN_KINDS)
        if self.indication is not None:
            require_choice("regimen.indication", self.indication, INDICATIONS)
        require_not_before("regimen.end", self.end, self.start, "the start")
        require_range_if_given("regimen.days_supply", self.days_supply, 1, 365, "days")
        form = self.form
        if not self.dose_mg and form != "implant":
            object.__setattr__(self, "dose_mg", default_dose_mg(self.kind))
        if form == "oral":
            self._check_oral()
        elif form == "xr-ntx":
            if self.dose_mg != XR_NTX_DOSE_MG:
                raise InvalidInput("regimen.dose_mg", self.dose_mg,
                                   "must be 380 mg: XR-NTX has one strength (clinical.md §1.2)")
            require_range_if_given("regimen.interval_days", self.interval_days, 21, 35, "days")
        else:
            require_positive("regimen.dose_mg", self.dose_mg)
            if self.dose_mg > IMPLANT_MAX_DOSE_MG:
                raise DoseLimitExceeded("regimen.dose_mg", self.dose_mg,
                                        f"exceeds the largest studied implant {IMPLANT_MAX_DOSE_MG:g} mg")
            require_range_if_given("regimen.expected_duration_days", self.expected_duration_days, 14, 365, "days")

    def _check_oral(self) -> None:
        check_oral_dose("regimen.dose_mg", self.dose_mg)
        if self.kind == "oral-schedule" and not self.schedule:
            raise InvalidInput("regimen.schedule", (), "needs at least one weekday dose")
        days = [d.weekday for d in self.schedule]
        if len(days) != len(set(days)):
            raise InvalidInput("regimen.schedule", days, "names a weekday twice")

    @property
    def form(self) -> Form:
        return FORM_OF_KIND[self.kind]

    @property
    def injection_interval_days(self) -> int:
        """Days between injections (XR-NTX); the label's every 4 weeks unless set."""
        return self.interval_days or XR_NTX_INTERVAL_DAYS

    def is_active_on(self, day: date) -> bool:
        return self.is_active and self.start <= day and (self.end is None or day <= self.end)

    def oral_dose_on(self, day: date) -> float:
        """Scheduled oral dose in mg on ``day`` (0 when none is due)."""
        if self.form != "oral" or self.kind == "targeted" or not self.is_active_on(day):
            return 0.0
        if self.kind == "oral-daily":
            return self.dose_mg
        weekday = WEEKDAYS[day.weekday()]
        return next((d.dose_mg for d in self.schedule if d.weekday == weekday), 0.0)
