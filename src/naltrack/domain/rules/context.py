"""What a readiness check sees: the chart, the form, the day, the thresholds, the indication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from naltrack.domain.chart import PatientChart
from naltrack.domain.regimens import Form
from naltrack.domain.rules.base import ReadinessSeverity, Reason, get_rule
from naltrack.domain.rules.thresholds import Thresholds

if TYPE_CHECKING:
    from naltrack.domain.dose_classes import DoseClass


@dataclass(frozen=True)
class Context:
    """The inputs of every readiness check."""

    chart: PatientChart
    form: Form
    on: date
    thresholds: Thresholds
    indication: tuple[bool, bool] | None
    #: The kind of dose (first, continuation, late, restart) when the caller classified it.
    dose_class: DoseClass | None = None

    @property
    def treats_oud(self) -> bool:
        return self.indication is not None and self.indication[0]

    @property
    def treats_aud(self) -> bool:
        return self.indication is not None and self.indication[1]


def reason(rule_id: str, severity: ReadinessSeverity, message: str, ready_on: date | None = None) -> Reason:
    """A reason of a registered rule, with the rule's source."""
    return Reason(rule_id, severity, message, get_rule(rule_id).source, ready_on)


def or_info(found: list[Reason], rule_id: str, message: str) -> list[Reason]:
    """``found``, or when a check found nothing, one ``info`` reason of its rule saying so (``message``)."""
    return found or [reason(rule_id, "info", message)]
