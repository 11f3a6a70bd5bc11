"""Which readiness checks a classified dose gets (:mod:`naltrack.domain.dose_classes`).

A first dose or a restart gets every check; a continuation or a late dose skips the induction
checks (clinical.md §2.1-§2.2 are for starting), and a late dose gets what the late-dose table
asks first (clinical.md §1.2): the urine screen, the prescriber's review.
"""

from __future__ import annotations

from naltrack.domain.dose_classes import DoseClass
from naltrack.domain.rules.base import Reason
from naltrack.domain.rules.context import Context, reason

#: Readiness checks (:mod:`naltrack.domain.rules.readiness`) for starting only (clinical.md §2.1-§2.2, §1.1
#: test dose, §1.2 no drinking at the initial injection): a continuation or late dose skips them.
INDUCTION_CHECKS = frozenset({"check_opioid_free", "check_screens", "check_naloxone_challenge", "check_withdrawal",
                              "check_aud_drinking", "check_oral_test_dose"})


def runs_check(dose: DoseClass | None, check: str) -> bool:
    """Whether readiness runs the check named ``check`` for this dose: every check for a first dose, a
    restart or an unclassified one; for a continuation or late dose none of :data:`INDUCTION_CHECKS`,
    except the urine screens when the late-dose table asks for one."""
    if dose is None or dose.is_induction or check not in INDUCTION_CHECKS:
        return True
    return check == "check_screens" and dose.uds_required


def dose_class_reasons(ctx: Context) -> list[Reason]:
    """The kind of a continuation or late dose as a readiness reason; ``review`` when the late-dose table
    asks for the prescriber (clinical.md §1.2)."""
    dose = ctx.dose_class
    if dose is None or dose.is_induction:
        return []
    return [reason("RDY-DOSE-CLASS", "review" if dose.consult_required else "info",
                   f"{dose.kind.capitalize()} dose: {dose.reason}")]
