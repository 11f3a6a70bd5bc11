"""Side effects a patient reports in the portal, and which of them are urgent for the nurse.

The kinds are plain words a patient can choose from; the urgency rule is
:func:`is_urgent_side_effect`. Its source: the XR-NTX label warns of injection-site reactions
(pain, swelling, induration), some very severe, with necrosis that needed surgical
intervention, and the FDA (2008) asks clinics to monitor the site and refer to a surgeon when a
reaction worsens (reference/clinical.md §3, "Injection-site reactions"). A patient cannot grade
necrosis at home, so every injection-site problem they report is looked at the same day.

Examples
--------
>>> from datetime import UTC, datetime
>>> r = SideEffectReport(id="s1", patient_id="p1", kind="injection-site-swelling", severity="mild",
...                      reported_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
>>> r.urgent, r.label
(True, 'Swelling at the injection site')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from naltrack.domain.errors import InvalidInput
from naltrack.domain.units import require_choice

SideEffectKind = Literal[
    "injection-site-pain", "injection-site-swelling", "injection-site-lump", "nausea", "headache", "low-mood",
    "other",
]
#: Each kind in the patient's words, in the order the form offers them.
SIDE_EFFECT_LABELS: dict[SideEffectKind, str] = {
    "injection-site-pain": "Pain where the shot was given",
    "injection-site-swelling": "Swelling at the injection site",
    "injection-site-lump": "A hard lump, redness or an open sore at the injection site",
    "nausea": "Feeling sick to my stomach (nausea) or throwing up",
    "headache": "Headache",
    "low-mood": "Feeling down, hopeless or low",
    "other": "Something else",
}
SIDE_EFFECT_KINDS: tuple[SideEffectKind, ...] = tuple(SIDE_EFFECT_LABELS)
#: The kinds at the injection site (label: injection-site reactions incl. necrosis; clinical.md §3).
INJECTION_SITE_KINDS: frozenset[SideEffectKind] = frozenset(
    {"injection-site-pain", "injection-site-swelling", "injection-site-lump"})
Severity = Literal["mild", "moderate", "severe"]
SEVERITIES: tuple[Severity, ...] = ("mild", "moderate", "severe")
SEVERITY_LABELS: dict[Severity, str] = {
    "mild": "Mild: I notice it, it does not stop me", "moderate": "Moderate: it gets in the way of my day",
    "severe": "Severe: I can hardly do anything",
}
MAX_OTHER_CHARS = 500
URGENCY_SOURCE = ("XR-NTX label and FDA 2008: injection-site reactions, some with necrosis needing surgical "
                  "intervention; monitor the site, refer to a surgeon if worsening (clinical.md §3)")


def is_urgent_side_effect(kind: str, severity: str) -> bool:
    """Whether a report is urgent for the care team today: any injection-site problem, or anything severe.

    Parameters
    ----------
    kind : str
        One of :data:`SIDE_EFFECT_KINDS`.
    severity : str
        ``mild``, ``moderate`` or ``severe``, as the patient rates it.

    Returns
    -------
    bool
        ``True`` for every injection-site kind whatever its severity (the label's injection-site
        reactions can progress to necrosis that needs surgical evaluation: :data:`URGENCY_SOURCE`),
        and for any kind the patient calls severe.

    Examples
    --------
    >>> is_urgent_side_effect("injection-site-pain", "mild"), is_urgent_side_effect("headache", "moderate")
    (True, False)
    >>> is_urgent_side_effect("nausea", "severe")
    True
    """
    require_choice("side_effect.kind", kind, SIDE_EFFECT_KINDS)
    require_choice("side_effect.severity", severity, SEVERITIES)
    return kind in INJECTION_SITE_KINDS or severity == "severe"


@dataclass(frozen=True, kw_only=True)
class SideEffectReport:
    """One side effect as the patient reported it; ``reviewed_at``/``reviewed_by`` once staff looked at it."""

    id: str
    patient_id: str
    kind: SideEffectKind
    severity: Severity
    reported_at: datetime
    other_text: str | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None

    def __post_init__(self) -> None:
        require_choice("side_effect.kind", self.kind, SIDE_EFFECT_KINDS)
        require_choice("side_effect.severity", self.severity, SEVERITIES)
        text = (self.other_text or "").strip()
        if self.kind == "other" and not text:
            raise InvalidInput("side_effect.other_text", self.other_text, "is required for 'something else'")
        if len(text) > MAX_OTHER_CHARS:
            raise InvalidInput("side_effect.other_text", f"{len(text)} characters",
                               f"must be at most {MAX_OTHER_CHARS} characters")
        if self.reported_at.tzinfo is None:
            raise InvalidInput("side_effect.reported_at", self.reported_at, "must be timezone-aware")

    @property
    def urgent(self) -> bool:
        return is_urgent_side_effect(self.kind, self.severity)

    @property
    def label(self) -> str:
        return SIDE_EFFECT_LABELS[self.kind]

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None
