"""Treatment episodes and diagnoses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.units import require_choice, require_icd10cm, require_not_before, require_text

Indication = Literal["OUD", "AUD", "OUD+AUD", "stimulant"]
INDICATIONS: tuple[Indication, ...] = get_args(Indication)
#: Plain names of the indications (the forms, the chart).
INDICATION_LABELS: dict[str, str] = {
    "OUD": "Opioid use disorder", "AUD": "Alcohol use disorder", "OUD+AUD": "Opioid and alcohol use disorder",
    "stimulant": "Stimulant use disorder",
}
LevelOfCare = Literal["PHP", "IOP", "OP", "aftercare"]
LEVELS_OF_CARE: tuple[LevelOfCare, ...] = get_args(LevelOfCare)
DischargeReason = Literal[
    "completed", "transferred", "left-against-advice", "lost-to-follow-up",
    "administrative", "incarcerated", "deceased", "other",
]
DISCHARGE_REASONS: tuple[DischargeReason, ...] = get_args(DischargeReason)
CodeSystem = Literal["icd10cm", "snomed"]
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
DiagnosisStatus = Literal["active", "in-remission", "resolved"]


@dataclass(frozen=True, kw_only=True)
class Episode(ClinicalRecord):
    """A treatment episode: from admission to discharge, at one level of care."""

    indication: Indication
    level_of_care: LevelOfCare
    """``PHP`` partial hospitalization, ``IOP`` intensive outpatient, ``OP`` outpatient or ``aftercare``; a
    change of level is recorded as a correction of the episode."""
    start: date
    end: date | None = None
    """The day of discharge, ``None`` while the episode is open; an ended episode names its discharge reason."""
    discharge_reason: DischargeReason | None = None
    referral_source: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("episode.indication", self.indication, INDICATIONS)
        require_choice("episode.level_of_care", self.level_of_care, LEVELS_OF_CARE)
        require_not_before("episode.end", self.end, self.start, "the start")
        if self.end is not None:
            if self.discharge_reason is None:
                raise InvalidInput("episode.discharge_reason", None, "is required when the episode ends")
            require_choice("episode.discharge_reason", self.discharge_reason, DISCHARGE_REASONS)

    def is_open_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def treats_oud(self) -> bool:
        return self.indication in ("OUD", "OUD+AUD")

    @property
    def treats_aud(self) -> bool:
        return self.indication in ("AUD", "OUD+AUD")


@dataclass(frozen=True, kw_only=True)
class Diagnosis(ClinicalRecord):
    """A coded condition: ICD-10-CM (``F11.20``) or SNOMED CT (``75544000``)."""

    system: CodeSystem
    code: str
    """ICD-10-CM with its dot (``F11.20``; the FHIR import adds a missing one) or a SNOMED CT concept id;
    :func:`~naltrack.domain.terminology.classify_condition` reads it as OUD or AUD."""
    display: str
    onset: date | None = None
    clinical_status: DiagnosisStatus = "active"

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("diagnosis.system", self.system, get_args(CodeSystem))
        if self.system == "icd10cm":
            require_icd10cm("diagnosis.code", self.code)
        elif not self.code.isdigit() or not 6 <= len(self.code) <= 18:
            raise InvalidInput("diagnosis.code", self.code, "is not a SNOMED CT concept id")
        require_text("diagnosis.display", self.display)
        require_choice("diagnosis.clinical_status", self.clinical_status, get_args(DiagnosisStatus))
