"""What was decided at the pre-dose check (:mod:`naltrack.domain.pre_dose`): the dose given, held or refused.

A :class:`DoseDecision` is written with every naltrexone dose given by staff (an injection, an implant,
an observed oral dose): the class of the dose, the review items confirmed and, when a prescriber
overrode contraindications or not-ready reasons, which ones and why. A dose held (by staff) or refused
(by the patient) is a decision with no dose and a reason. The chart, the audit log and the FHIR export
(a ``DetectedIssue`` for an override, a ``MedicationAdministration`` not done for a held or refused
dose) read it.

Examples
--------
>>> from datetime import UTC, datetime
>>> d = DoseDecision(id="dd1", patient_id="p", form="xr-ntx", decided_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
...                  outcome="given", dose_class="first", decided_by="u-rx", dose_id="inj1",
...                  overridden=("RDY-OPIOID-FREE",), override_reason="confirmed abstinent; naloxone challenge")
>>> d.is_override
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import FORMS, Form
from naltrack.domain.units import require_aware, require_choice, require_text

#: The class of a dose (:func:`naltrack.domain.dose_classes.classify_dose`).
DoseKind = Literal["first", "continuation", "late", "restart"]
DOSE_KINDS: tuple[DoseKind, ...] = get_args(DoseKind)
DecisionOutcome = Literal["given", "held", "refused"]
DECISION_OUTCOMES: tuple[DecisionOutcome, ...] = get_args(DecisionOutcome)
#: Plain-language names of the outcomes (the chart and the FHIR export).
OUTCOME_LABELS: dict[str, str] = {"given": "Given", "held": "Held by staff", "refused": "Refused by the patient"}
#: Longest reason (an override's or a held dose's), in characters.
MAX_REASON_CHARS = 500
#: Most finding keys one decision names (confirmed or overridden).
MAX_KEYS = 40


@dataclass(frozen=True, kw_only=True)
class DoseDecision(ClinicalRecord):
    """The pre-dose decision on one naltrexone dose of ``form`` at ``decided_at`` (clinic time of the dose)."""

    form: Form
    decided_at: datetime
    outcome: DecisionOutcome
    dose_class: DoseKind
    decided_by: str
    dose_id: str | None = None
    confirmed: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    override_reason: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("dose_decision.form", self.form, FORMS)
        require_aware("dose_decision.decided_at", self.decided_at)
        require_choice("dose_decision.outcome", self.outcome, DECISION_OUTCOMES)
        require_choice("dose_decision.dose_class", self.dose_class, DOSE_KINDS)
        require_text("dose_decision.decided_by", self.decided_by, 100)
        _check_keys("dose_decision.confirmed", self.confirmed)
        _check_keys("dose_decision.overridden", self.overridden)
        if self.outcome == "given" and not self.dose_id:
            raise InvalidInput("dose_decision.dose_id", self.dose_id, "is required for a dose given")
        if self.outcome != "given" and self.dose_id is not None:
            raise InvalidInput("dose_decision.dose_id", self.dose_id, f"must be empty for a dose {self.outcome}")
        if self.outcome != "given":
            _require_reason("dose_decision.reason", self.reason, f"is required for a dose {self.outcome}")
        if self.overridden:
            _require_reason("dose_decision.override_reason", self.override_reason,
                            "is required when a prescriber overrides")

    @property
    def is_override(self) -> bool:
        return bool(self.overridden)


def _require_reason(field: str, value: str | None, rule: str) -> None:
    if value is None or not value.strip():
        raise InvalidInput(field, value, rule)
    require_text(field, value, MAX_REASON_CHARS)


def _check_keys(field: str, keys: tuple[str, ...]) -> None:
    if len(keys) > MAX_KEYS:
        raise InvalidInput(field, len(keys), f"must name at most {MAX_KEYS} findings")
    for key in keys:
        require_text(field, key, 64)
