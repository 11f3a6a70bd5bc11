"""The suicide-risk safety assessment that answers a PHQ-9 with item 9 above 0.

Item 9 of the PHQ-9 asks about thoughts of self-harm; any answer above 0 starts the
safety workflow (clinical.md §5), and the label warns of depression and suicidality on
naltrexone (clinical.md §3). A :class:`SafetyAssessment` documents that workflow: the risk
level the clinician judged, what was done (a safety plan, lethal-means counselling, the 988
crisis line, an emergency evaluation, a follow-up) and when to see the patient again. Rule
MON-PHQ9-ITEM9 (:func:`naltrack.domain.rules.monitoring.phq9_item9`) stays open until one
closes it (:func:`closes_response`).

Examples
--------
>>> from datetime import UTC, datetime
>>> a = SafetyAssessment(id="sa1", patient_id="p", assessed_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
...                      risk_level="low", actions=("safety-plan",), assessed_by="Cora Test",
...                      assessor_role="counselor")
>>> a.risk_level, a.actions
('low', ('safety-plan',))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import QuestionnaireResponse
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.roles import ROLES, Role
from naltrack.domain.units import require_aware, require_choice, require_not_before, require_text

RiskLevel = Literal["low", "moderate", "high", "imminent"]
RISK_LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)
SafetyAction = Literal[
    "safety-plan", "lethal-means-counselling", "crisis-line-988", "emergency-evaluation", "follow-up-booked", "other",
]
SAFETY_ACTIONS: tuple[SafetyAction, ...] = get_args(SafetyAction)
#: Plain-language labels of the risk levels and actions (the web form and the FHIR export).
RISK_LABELS: dict[str, str] = {"low": "Low", "moderate": "Moderate", "high": "High",
                               "imminent": "Imminent (danger now)"}
ACTION_LABELS: dict[str, str] = {
    "safety-plan": "Safety plan made or reviewed",
    "lethal-means-counselling": "Lethal-means counselling",
    "crisis-line-988": "Crisis line given (988)",
    "emergency-evaluation": "Emergency evaluation arranged",
    "follow-up-booked": "Follow-up booked",
    "other": "Other (say what in the note)",
}
#: Roles whose assessment closes the item 9 alert: the clinicians who assess suicide risk
#: (prescribers and counselors); a nurse's note alone does not.
ASSESSING_ROLES: frozenset[Role] = frozenset({"prescriber", "counselor"})
#: Monitoring rules that only a documented assessment closes: an acknowledgement never hides them.
NOT_ACKNOWLEDGEABLE: frozenset[str] = frozenset({"MON-PHQ9-ITEM9"})
#: Longest free-text note, in characters.
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True, kw_only=True)
class SafetyAssessment(ClinicalRecord):
    """A suicide-risk safety assessment: risk level, actions taken, follow-up, by whom."""

    assessed_at: datetime
    risk_level: RiskLevel
    actions: tuple[SafetyAction, ...]
    assessed_by: str
    assessor_role: Role
    """The role of the user who recorded it: the face sets it from the signed-in user, and it is never
    typed in."""
    response_id: str | None = None
    """The questionnaire response it answers (such as a PHQ-9 with item 9 above 0), when there is one."""
    follow_up_on: date | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("safety_assessment.assessed_at", self.assessed_at)
        require_choice("safety_assessment.risk_level", self.risk_level, RISK_LEVELS)
        _check_actions(self.actions, self.risk_level, self.note)
        require_text("safety_assessment.assessed_by", self.assessed_by, 100)
        require_choice("safety_assessment.assessor_role", self.assessor_role, ROLES)
        if self.response_id is not None:
            require_text("safety_assessment.response_id", self.response_id, 64)
        require_not_before("safety_assessment.follow_up_on", self.follow_up_on, self.assessed_at.date(),
                           "the assessment")
        if self.risk_level != "low" and self.follow_up_on is None and "emergency-evaluation" not in self.actions:
            raise InvalidInput("safety_assessment.follow_up_on", None,
                               f"is required at {self.risk_level} risk (or arrange an emergency evaluation)")
        if self.note is not None:
            require_text("safety_assessment.note", self.note, MAX_NOTE_CHARS)


def _check_actions(actions: tuple[str, ...], risk_level: str, note: str | None) -> None:
    """At least one action, each a known one and named once; imminent risk needs an emergency
    evaluation; "other" needs a note that says what."""
    if not isinstance(actions, tuple) or not actions:
        raise InvalidInput("safety_assessment.actions", actions, "must name at least one action taken")
    for action in actions:
        require_choice("safety_assessment.actions", action, SAFETY_ACTIONS)
    if len(set(actions)) != len(actions):
        raise InvalidInput("safety_assessment.actions", actions, "must name each action once")
    if risk_level == "imminent" and "emergency-evaluation" not in actions:
        raise InvalidInput("safety_assessment.actions", actions,
                           "must include emergency-evaluation at imminent risk")
    if "other" in actions and (note is None or not note.strip()):
        raise InvalidInput("safety_assessment.note", note, 'is required to say what "other" action was taken')


def closes_response(assessment: SafetyAssessment, response: QuestionnaireResponse) -> bool:
    """Whether ``assessment`` closes the item 9 alert of ``response``.

    It does when it is in force, was recorded by a prescriber or counselor
    (:data:`ASSESSING_ROLES`), and names the response or was made at or after the time the
    response was completed.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> q = QuestionnaireResponse(id="q1", patient_id="p", instrument="phq-9", answers=(0.0,) * 8 + (1.0,),
    ...                           completed_at=datetime(2026, 3, 2, 9, tzinfo=UTC), total=1.0, band="minimal")
    >>> a = SafetyAssessment(id="sa1", patient_id="p", assessed_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
    ...                      risk_level="low", actions=("safety-plan",), assessed_by="Dr A", assessor_role="nurse")
    >>> closes_response(a, q)
    False
    """
    if not assessment.is_active or assessment.assessor_role not in ASSESSING_ROLES:
        return False
    return assessment.response_id == response.id or assessment.assessed_at >= response.completed_at
