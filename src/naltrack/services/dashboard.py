"""The dashboard use cases: the morning's work of one clinic, and its inductions in progress.

DESIGN.md "A day in the program", step 1. The lists are the read models'
(:class:`~naltrack.services.read_models.ReadModels`, set-based queries per clinic), read in
the same transaction as the access's audit entry (:func:`~naltrack.services.access.run_audited`).
The day is the clinic's own: ``now`` in the zone of the actor's clinic (``Clinic.timezone``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from naltrack.domain.patients import Clinic
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import is_permitted
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.portal import SideEffectOnBoard, side_effects_on_board
from naltrack.services.read_models import INDUCTION_LIST_LIMIT, Dashboard, InductionInProgress
from naltrack.services.security_ports import SecureUnitOfWork


def dashboard_sections(role: str) -> dict[str, bool]:
    """Which lists ``role`` may see: injections need administrations, the rest clinical views."""
    clinical = is_permitted(role, "clinical-views", "read")
    return {"injections": clinical and is_permitted(role, "administrations", "read"), "protection": clinical,
            "alerts": clinical, "inductions": clinical}


@dataclass(frozen=True)
class ClinicDashboard:
    """The dashboard of the actor's clinic, with the lists the actor's role may see."""

    clinic: Clinic
    board: Dashboard
    sections: Mapping[str, bool]
    side_effects: tuple[SideEffectOnBoard, ...] = ()
    """Side effects patients reported in the portal, not reviewed yet, urgent first (``services/portal.py``)."""


@dataclass(frozen=True)
class Inductions:
    """The clinic's patients in care with no naltrexone yet (at most the list limit), and their count."""

    today: date
    items: tuple[InductionInProgress, ...]
    total: int


def _clinic_today(uow: SecureUnitOfWork, actor: Actor, now: datetime) -> tuple[Clinic, ZoneInfo, date]:
    clinic = uow.clinics.get(actor.clinic_id)
    zone = clinic.zone
    return clinic, zone, now.astimezone(zone).date()


def get_dashboard(ctx: AppContext, actor: Actor, now: datetime) -> ClinicDashboard:
    """The dashboard of the actor's clinic on its local day of ``now``; acknowledged alerts left out.

    Raises
    ------
    AccessDenied
        For a role that sees no clinical views.
    """
    sections = dashboard_sections(actor.role)
    # Acknowledgements older than the longest alert look-back (liver) no longer matter.
    acknowledged_after = now - timedelta(days=ctx.thresholds.liver_lookback_days)
    access = Access(actor=actor, action="read", category="clinical-views", now=now, record_type="dashboard")

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicDashboard:
        authorize(uow, access)
        clinic, zone, today = _clinic_today(uow, actor, now)
        seen = uow.read_models.acknowledged_since(clinic.id, acknowledged_after)
        board = uow.read_models.dashboard(clinic.id, today, zone, ctx.thresholds, sections=sections,
                                          acknowledged=seen)
        reported = (side_effects_on_board(uow, clinic.id) if sections["alerts"]
                    and is_permitted(actor.role, "adverse-events", "read") else ())
        access.showed((ref.patient_id for group in (board.due_today, board.overdue, board.protection, board.alerts,
                                                    board.inductions, reported) for ref in group), "the dashboard")
        return ClinicDashboard(clinic, board, sections, reported)

    return run_audited(ctx.uow, access, body)


def list_inductions(ctx: AppContext, actor: Actor, now: datetime, limit: int = INDUCTION_LIST_LIMIT) -> Inductions:
    """The inductions in progress of the actor's clinic, newest episodes first.

    Raises
    ------
    AccessDenied
        For a role that sees no clinical views.
    """
    access = Access(actor=actor, action="read", category="clinical-views", now=now, record_type="inductions")

    def body(uow: SecureUnitOfWork, access: Access) -> Inductions:
        authorize(uow, access)
        clinic, _, today = _clinic_today(uow, actor, now)
        items, total = uow.read_models.inductions(clinic.id, today, limit)
        access.showed((item.patient_id for item in items), "the inductions list")
        return Inductions(today, tuple(items), total)

    return run_audited(ctx.uow, access, body)
