"""CDS Hooks 2.0 cards: summary under 140 characters naming the source, indicator, source,
suggestions with actions, override reasons and links (anchors.md §3.4).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Indicator = Literal["info", "warning", "critical"]
#: The CDS Hooks limit: the summary SHALL be under 140 characters.
SUMMARY_MAX = 139
SOURCE_LABEL = "naltrack"
#: Vivitrol label, pinned DailyMed set id (clinical.md, header).
LABEL_LINK = {"label": "Vivitrol prescribing information (DailyMed)", "type": "absolute",
              "url": "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=cd11c435-b0f0-4bb9-ae78-60f101f3703f"}
#: The heading of the notice against redisclosure on cards that carry Part 2 information.
PART2_NOTICE_TITLE = "42 CFR Part 2 notice (\u00a7 2.32)"
OVERRIDE_SYSTEM = "urn:naltrack:cds:override-reason"
OVERRIDE_REASONS = (
    {"system": OVERRIDE_SYSTEM, "code": "not-on-naltrexone", "display": "Patient no longer takes naltrexone"},
    {"system": OVERRIDE_SYSTEM, "code": "monitored-setting",
     "display": "Opioid given under monitoring in a setting equipped for resuscitation"},
    {"system": OVERRIDE_SYSTEM, "code": "benefit-outweighs-risk", "display": "Benefit outweighs the risk"},
    {"system": OVERRIDE_SYSTEM, "code": "information-wrong", "display": "Information shown is wrong"},
)


def summary_with_source(text: str, source: str) -> str:
    """``text (source)``, shortened so the whole stays under 140 characters (CDS Hooks 2.0).

    >>> len(summary_with_source("x" * 300, "Vivitrol label")) <= 139
    True
    """
    tail = f" ({source})"
    room = SUMMARY_MAX - len(tail)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "\u2026"
    return text + tail


@dataclass
class Card:
    """One card; :meth:`as_json` gives the CDS Hooks shape."""

    summary: str
    indicator: Indicator
    source: str
    detail: str
    rule: str
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    overridable: bool = True
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def as_json(self) -> dict[str, Any]:
        card: dict[str, Any] = {
            "uuid": self.uuid,
            "summary": summary_with_source(self.summary, self.source),
            "indicator": self.indicator,
            "detail": self.detail,
            "source": {"label": SOURCE_LABEL, "topic": {"system": "urn:naltrack:rule", "code": self.rule,
                                                         "display": self.source}},
        }
        if self.suggestions:
            card["suggestions"] = self.suggestions
            card["selectionBehavior"] = "at-most-one"
        if self.links:
            card["links"] = self.links
        if self.overridable and self.indicator != "info":
            card["overrideReasons"] = list(OVERRIDE_REASONS)
        return card


def suggestion(label: str, actions: list[dict[str, Any]], recommended: bool = False) -> dict[str, Any]:
    return {"label": label, "uuid": str(uuid.uuid4()), "isRecommended": recommended, "actions": actions}


def delete_action(description: str, resource_type: str, resource_id: str) -> dict[str, Any]:
    """Remove a draft order (CDS Hooks 2.0 ``delete`` with ``resourceId``)."""
    return {"type": "delete", "description": description, "resourceId": f"{resource_type}/{resource_id}"}


def create_action(description: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"type": "create", "description": description, "resource": resource}


def draft_medication_request(patient_id: str, text: str, code: tuple[str, str, str] | None = None,
                             dosage: str | None = None) -> dict[str, Any]:
    """A draft MedicationRequest for a suggestion (system, code, display when coded)."""
    medication: dict[str, Any] = {"text": text}
    if code is not None:
        system, value, display = code
        medication["coding"] = [{"system": system, "code": value, "display": display}]
    resource: dict[str, Any] = {"resourceType": "MedicationRequest", "status": "draft", "intent": "proposal",
                                "medicationCodeableConcept": medication,
                                "subject": {"reference": f"Patient/{patient_id}"}}
    if dosage:
        resource["dosageInstruction"] = [{"text": dosage}]
    return resource


def with_part2_notice(card: Card, notice: str) -> Card:
    """``card`` (same uuid) with the 42 CFR 2.32 notice against redisclosure at the end of its detail: for cards
    of an answer that drew on naltrack's Part 2 records."""
    return replace(card, detail=f"{card.detail}\n\n---\n**{PART2_NOTICE_TITLE}:** {notice}")
