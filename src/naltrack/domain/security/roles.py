"""Roles and the least-privilege matrix: role x record category x action, in ONE place.

Access inside a Part 2 program is by role and need (DESIGN.md "Privacy"; anchors.md §2.8
ask 2: sensitivity that holds everywhere). Every face asks :func:`is_permitted` or
:func:`require_permitted`; nothing else decides. ``docs/security.md`` renders
:data:`MATRIX` with :func:`matrix_table`, and a test keeps the two equal.

Examples
--------
>>> is_permitted("front-desk", "demographics", "read")
True
>>> is_permitted("front-desk", "urine-screens", "read")
False
>>> is_permitted("counselor", "administrations", "read")
False
>>> is_permitted("manager", "program-measures", "read"), is_permitted("manager", "demographics", "read")
(True, False)
"""

from __future__ import annotations

from typing import Literal

from naltrack.domain.errors import AccessDenied as AccessDenied

Role = Literal["admin", "prescriber", "nurse", "counselor", "front-desk", "auditor", "manager", "patient"]
#: The staff roles: the roles an account of the clinic (a ``User``) may hold.
ROLES: tuple[Role, ...] = ("admin", "prescriber", "nurse", "counselor", "front-desk", "auditor", "manager")
#: A patient signed in to the portal (``domain/security/patient_accounts.py``): never a staff account, and every
#: access must name their own patient (``services.access.authorize``), so the row below reads "own record only".
PATIENT_ROLE: Role = "patient"
#: Every role of the matrix: the staff roles, then the patient's.
MATRIX_ROLES: tuple[Role, ...] = (*ROLES, PATIENT_ROLE)

Category = Literal[
    "demographics", "schedule", "episodes", "diagnoses", "regimens", "administrations", "medications",
    "allergies", "labs", "urine-screens", "substance-use", "questionnaires", "counseling",
    "adverse-events", "safety-assessments", "clinical-views", "consents", "disclosures", "break-glass", "audit",
    "users", "program-measures", "contact",
]
CATEGORIES: tuple[Category, ...] = (
    "demographics", "schedule", "episodes", "diagnoses", "regimens", "administrations", "medications",
    "allergies", "labs", "urine-screens", "substance-use", "questionnaires", "counseling",
    "adverse-events", "safety-assessments", "clinical-views", "consents", "disclosures", "break-glass", "audit",
    "users", "program-measures", "contact",
)
"""``program-measures`` are the program's outcome and quality measures: aggregate figures, and patient-level
lists under a keyed pseudonym (never an id, MRN or name); not clinical content. ``contact`` is a patient's consent
to be contacted per channel (e-mail, SMS), the reminders sent under it and their calendar link: who may be told
what, where; not clinical content."""
#: Categories that hold clinical content (what break-the-glass opens, and what a disclosure can carry).
CLINICAL_CATEGORIES: tuple[Category, ...] = (
    "demographics", "schedule", "episodes", "diagnoses", "regimens", "administrations", "medications",
    "allergies", "labs", "urine-screens", "substance-use", "questionnaires", "counseling", "adverse-events",
    "safety-assessments", "clinical-views",
)

Action = Literal["read", "create", "update", "retract", "disclose"]
ACTIONS: tuple[Action, ...] = ("read", "create", "update", "retract", "disclose")

_R: frozenset[Action] = frozenset({"read"})
_RW: frozenset[Action] = frozenset({"read", "create", "update", "retract"})
_RC: frozenset[Action] = frozenset({"read", "create"})
_NONE: frozenset[Action] = frozenset()


def _row(default: frozenset[Action], **cells: frozenset[Action]) -> dict[Category, frozenset[Action]]:
    row: dict[Category, frozenset[Action]] = {c: default for c in CATEGORIES}
    for name, actions in cells.items():
        row[name.replace("_", "-")] = actions  # type: ignore[index]
    return row


#: The least-privilege matrix. A category a role does not list is closed to it.
MATRIX: dict[Role, dict[Category, frozenset[Action]]] = {
    # Runs accounts; sees who the patients are and when they come, not what they have.
    "admin": _row(_NONE, demographics=_R, schedule=_R, users=_RW, contact=_RW),
    # Orders and decides: the whole clinical record; discloses with consent.
    "prescriber": _row(
        _RW, clinical_views=_R, consents=_RW, disclosures=frozenset({"read", "disclose"}),
        break_glass=_RC, audit=_NONE, users=_NONE, program_measures=_R,
    ),
    # Gives the medication and takes samples; reads the orders; no counseling notes.
    "nurse": _row(
        _RW, episodes=_R, diagnoses=_R, regimens=_R, questionnaires=_RC, counseling=_NONE, safety_assessments=_R,
        clinical_views=_R, consents=_R, disclosures=_NONE, break_glass=_RC, audit=_NONE, users=_NONE,
        program_measures=_NONE,
    ),
    # Talks and screens; no injection lots, labs or urine screens.
    "counselor": _row(
        _NONE, demographics=_R, schedule=_RW, episodes=_R, diagnoses=_R, substance_use=_RW,
        questionnaires=_RW, counseling=_RW, safety_assessments=_RW, consents=_RC, contact=_R,
    ),
    # Registers and books; no clinical content at all.
    "front-desk": _row(_NONE, demographics=_RW, schedule=_RW, contact=_RW),
    # The privacy officer: who saw what, consents and disclosures; no clinical content.
    "auditor": _row(_NONE, consents=_R, disclosures=_R, break_glass=frozenset({"read", "update"}), audit=_R,
                    contact=_R),
    # Runs the program: its outcome and quality measures across every clinic, aggregate or under a
    # pseudonym; no patient's name, chart, notes or schedule.
    "manager": _row(_NONE, program_measures=_R),
    # Their own record only, in the portal: their schedule, doses and blocked-through date, their diary,
    # side-effect reports and questionnaires, and the accounting of their disclosures (42 CFR 2.24).
    "patient": _row(
        _NONE, demographics=_R, schedule=_R, administrations=_R, substance_use=_RC, questionnaires=_RC,
        adverse_events=_RC, clinical_views=_R, disclosures=_R,
    ),
}

#: The category of each kind of clinical record (the field names of ``PatientChart``).
KIND_CATEGORY: dict[str, Category] = {
    "episodes": "episodes", "diagnoses": "diagnoses", "regimens": "regimens",
    "oral_doses": "administrations", "injections": "administrations", "implants": "administrations",
    "implant_removals": "administrations", "medications": "medications", "substance_use": "substance-use",
    "drinking_days": "substance-use", "labs": "labs", "screens": "urine-screens", "naloxone_challenges": "labs",
    "questionnaires": "questionnaires", "allergies": "allergies", "adverse_events": "adverse-events",
    "counseling": "counseling", "support_groups": "counseling", "appointments": "schedule",
    "procedures": "episodes", "documents": "episodes", "safety_assessments": "safety-assessments",
    "dose_decisions": "administrations",
}

#: Roles that may break the glass in a medical emergency (clinicians who treat).
EMERGENCY_ROLES: frozenset[Role] = frozenset({"prescriber", "nurse"})



def is_permitted(role: str, category: str, action: str) -> bool:
    """Whether ``role`` may take ``action`` on records of ``category``; unknown names are never permitted."""
    row = MATRIX.get(role)  # type: ignore[call-overload]
    if row is None:
        return False
    return action in row.get(category, _NONE)


def require_permitted(role: str, category: str, action: str) -> None:
    """Raise :class:`AccessDenied` unless :func:`is_permitted`.

    Examples
    --------
    >>> require_permitted("auditor", "labs", "read")
    Traceback (most recent call last):
    ...
    naltrack.errors.AccessDenied: role 'auditor' may not read labs
    """
    if not is_permitted(role, category, action):
        raise AccessDenied(role, category, action)


def matrix_table() -> str:
    """The matrix as a Markdown table: one row per category, one column per role.

    Letters: r read, c create, u update (correct), x retract (entered-in-error), d disclose.
    """
    letters = {"read": "r", "create": "c", "update": "u", "retract": "x", "disclose": "d"}
    lines = ["| category | " + " | ".join(MATRIX_ROLES) + " |", "|---|" + "---|" * len(MATRIX_ROLES)]
    for category in CATEGORIES:
        cells = []
        for role in MATRIX_ROLES:
            granted = MATRIX[role][category]
            cells.append("".join(letters[a] for a in ACTIONS if a in granted) or "-")
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
