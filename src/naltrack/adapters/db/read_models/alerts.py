"""The dashboard's urgent alerts and the clinic's patients in care, with set-based queries.

PHQ-9 item 9, aminotransferases above the review multiple of ULN and open injection-site
reactions, for the patients in care only (a discharged patient's old results do not fill
the morning list). Each query probes the record's ``(patient_id, ...)`` index for those
patients. Each alert is named like the monitoring rule's (rule id, record id), so an
acknowledged one (:mod:`.acknowledgements`) is left out; a PHQ-9 item 9 alert stays until a
safety assessment closes it, whatever was acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.adapters.db.read_models.sql import (
    ClinicClock,
    as_day,
    in_clinic,
    patient_ids,
    patient_ref,
    raw_time,
)
from naltrack.domain.observations import LIVER_LOINC
from naltrack.domain.rules.thresholds import Thresholds
from naltrack.domain.safety import ASSESSING_ROLES, NOT_ACKNOWLEDGEABLE
from naltrack.services.read_models import PatientRef, UrgentAlert

#: Aminotransferases the liver alert reads (clinical.md §2.7, §8.3).
AMINOTRANSFERASES = ("1742-6", "1920-8")
#: How a PHQ-9 response names its instrument (instruments.definitions id and aliases).
PHQ9_IDS = ("phq-9", "PHQ-9", "phq9", "PHQ9")
#: Outcomes of an adverse event that close it.
CLOSED_OUTCOMES = ("resolved", "resolved-with-sequelae")
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class InCare:
    """The clinic's current patients (an episode open today), by id, with their episode start."""

    refs: dict[str, PatientRef]
    started_on: dict[str, date]

    @property
    def ids(self) -> list[str]:
        return sorted(self.refs)


def find_in_care(connection: Connection, clinic_id: str, today: date) -> InCare:
    """One pass over ``patients(clinic_id)`` joined to ``episodes(patient_id, start)``."""
    p, e = t.patients.c, t.episodes.c
    started = sa.func.max(e.start)
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn,
                       raw_time(started).label("started_on"))
             .join(t.episodes, e.patient_id == p.id)
             .where(in_clinic(clinic_id), e.status == "active", e.start <= today,
                    sa.or_(e.end.is_(None), e.end >= today))
             .group_by(p.id, p.given_name, p.family_name, p.mrn))
    refs, starts = {}, {}
    for row in connection.execute(query):
        refs[row.patient_id] = patient_ref(row)
        starts[row.patient_id] = as_day(row.started_on)
    return InCare(refs, starts)


def find_urgent_alerts(connection: Connection, care: InCare, today: date, tz: ZoneInfo, thresholds: Thresholds,
                       acknowledged: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()
                       ) -> list[UrgentAlert]:
    """The urgent alerts of the patients in ``care``, less the ``acknowledged`` ``(rule, record id)``
    (an acknowledgement never hides a PHQ-9 item 9 alert); critical first, then newest first."""
    clock = ClinicClock(tz)
    found = [*_phq9_alerts(connection, care, clock),
             *_liver_alerts(connection, care, today, clock, thresholds),
             *_site_alerts(connection, care, today, thresholds)]
    alerts = [a for a, record_id in found
              if a.rule in NOT_ACKNOWLEDGEABLE or (a.rule, record_id) not in acknowledged]
    return sorted(alerts, key=lambda a: (_SEVERITY_ORDER.get(a.severity, 3), -a.on.toordinal(), a.name))


def _alert(care: InCare, patient_id: str, **fields: Any) -> UrgentAlert:
    ref = care.refs[patient_id]
    return UrgentAlert(ref.patient_id, ref.name, ref.mrn, **fields)


def _phq9_alerts(connection: Connection, care: InCare, clock: ClinicClock) -> list[tuple[UrgentAlert, str]]:
    """Rule MON-PHQ9-ITEM9 (clinical.md §5): the latest PHQ-9 with item 9 above 0, open until a prescriber
    or counselor records a safety assessment at or after it or naming it (``domain.safety.closes_response``).

    The latest positive response per patient is a correlated ``max(completed_at)`` on
    ``questionnaire_responses(patient_id, instrument, completed_at)``; the assessment an ``EXISTS``
    on ``safety_assessments(patient_id, assessed_at)``.
    """
    q, sa_ = t.questionnaire_responses.c, t.safety_assessments.c
    later = t.questionnaire_responses.alias("later")
    newest = (sa.select(sa.func.max(later.c.completed_at))
              .where(later.c.patient_id == q.patient_id, later.c.instrument.in_(PHQ9_IDS),
                     later.c.status == "active", _item9_flagged(later.c.flags))
              .scalar_subquery())
    assessed = sa.exists(sa.select(sa_.id).where(
        sa_.patient_id == q.patient_id, sa_.status == "active", sa_.assessor_role.in_(sorted(ASSESSING_ROLES)),
        sa.or_(sa_.response_id == q.id, sa_.assessed_at >= q.completed_at)))
    query = (sa.select(q.patient_id, q.id, raw_time(q.completed_at).label("completed_at"))
             .where(q.patient_id.in_(patient_ids()), q.instrument.in_(PHQ9_IDS), q.status == "active",
                    _item9_flagged(q.flags), q.completed_at == newest, ~assessed))
    return [(_alert(care, row.patient_id, kind="phq9-item9", rule="MON-PHQ9-ITEM9", kind_label="PHQ-9 item 9",
                    message="thoughts of self-harm reported: assess suicide risk today and record the safety "
                            "assessment", on=clock.local_day(row.completed_at), severity="critical"), row.id)
            for row in connection.execute(query, {"ids": care.ids})]


def _item9_flagged(flags: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.cast(flags, sa.Text).like("%item-9-positive%")


def _liver_alerts(connection: Connection, care: InCare, today: date, clock: ClinicClock,
                  thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """The latest ALT or AST of each patient, when above ``liver_review_above_x_uln`` (clinical.md §2.7).

    Only elevated results are candidates; a correlated ``max(collected_at)`` on
    ``lab_results(patient_id, loinc, collected_at)`` keeps those that are the latest of their test.
    """
    lab = t.lab_results.c
    since = clock.start_of(today - timedelta(days=thresholds.liver_lookback_days))
    later = t.lab_results.alias("later")
    newest = (sa.select(sa.func.max(later.c.collected_at))
              .where(later.c.patient_id == lab.patient_id, later.c.loinc == lab.loinc, later.c.status == "active")
              .scalar_subquery())
    query = (sa.select(lab.patient_id, lab.id, lab.loinc, lab.value, lab.reference_high,
                       raw_time(lab.collected_at).label("collected_at"))
             .where(lab.patient_id.in_(patient_ids()), lab.loinc.in_(AMINOTRANSFERASES), lab.collected_at >= since,
                    lab.status == "active", lab.reference_high > 0,
                    lab.value > lab.reference_high * thresholds.liver_review_above_x_uln,
                    lab.collected_at == newest))
    out = []
    for row in connection.execute(query, {"ids": care.ids}):
        multiple = row.value / row.reference_high
        severe = multiple > thresholds.liver_not_ready_above_x_uln
        out.append((_alert(care, row.patient_id, kind="liver", rule="MON-LIVER-RISING", kind_label="Liver",
                           message=f"{LIVER_LOINC.get(row.loinc, row.loinc)} {row.value:g} U/L is "
                                   f"{multiple:.1f}x the upper limit of normal",
                           on=clock.local_day(row.collected_at), severity="critical" if severe else "warning"),
                    row.id))
    return out


def _site_alerts(connection: Connection, care: InCare, today: date,
                 thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """Open injection-site reactions by status, as rule MON-INJECTION-SITE (clinical.md §3): critical when
    worsening (larger induration or grade than the record it corrects), or with necrosis, a surgical referral
    or a severe grade unless resolving; otherwise a warning."""
    a = t.adverse_events.c
    corrected = t.adverse_events.alias("corrected")
    was = corrected.c
    query = (sa.select(a.patient_id, a.id, a.onset, a.outcome, a.ctcae_grade, a.site_necrosis, a.site_surgical_referral,
                       a.site_induration_cm, was.site_induration_cm.label("was_cm"), was.ctcae_grade.label("was_grade"))
             .select_from(t.adverse_events.outerjoin(corrected, was.id == a.supersedes))
             .where(a.patient_id.in_(patient_ids()), a.kind == "injection-site-reaction", a.onset <= today,
                    a.status == "active", a.outcome.not_in(CLOSED_OUTCOMES)))
    out = []
    for row in connection.execute(query, {"ids": care.ids}):
        days = (today - row.onset).days
        worse = ((row.was_cm is not None and row.site_induration_cm is not None and row.site_induration_cm > row.was_cm)
                 or (row.was_grade is not None and row.ctcae_grade > row.was_grade))
        severe = (bool(row.site_necrosis) or bool(row.site_surgical_referral)
                  or row.ctcae_grade >= thresholds.injection_site_critical_from_grade)
        critical = worse or (severe and row.outcome != "resolving")
        message = ("worsening: refer to a surgeon" if worse else
                   "necrosis reported: refer to a surgeon" if critical and row.site_necrosis else
                   "severe reaction: refer to a surgeon" if critical else
                   "resolving: follow up the site until it has resolved" if row.outcome == "resolving" else
                   f"not improving after {days} days: report it" if days >= thresholds.injection_site_escalate_days
                   else f"open since {days} days: check the site at the next visit")
        out.append((_alert(care, row.patient_id, kind="injection-site", rule="MON-INJECTION-SITE",
                           kind_label="Injection site",
                           message=message, on=row.onset, severity="critical" if critical else "warning"),
                    row.id))
    return out
