"""The safety check before a naltrexone dose is given: one answer for the web, the REST API, the CLI
and the FHIR import (:func:`check_dose`).

The check classifies the dose (:func:`~naltrack.domain.dose_classes.classify_dose`: first,
continuation, late, restart) and runs the readiness checks that apply to that class
(:func:`~naltrack.domain.rules.readiness.assess_readiness`: every induction check for a first dose
or a restart, the late-dose table for a late one, and the checks that hold for every dose, such as
hypersensitivity and acute hepatitis). Then each finding has one of four levels:

* ``stop``: the dose cannot be given as entered; the cause must be fixed (no active naltrexone
  order of the form on the day; a dose of the same form already given that day).
* ``override``: a contraindication or a not-ready reason (clinical.md §2): stopped, unless a
  prescriber overrides it with a reason, which is recorded with the dose.
* ``confirm``: a review item (clinical.md §2, §1.2 late-dose table): given once the person giving
  the dose has confirmed each one.
* ``info``: shown, nothing asked.

A dose is given when :meth:`PreDoseCheck.unresolved` is empty. Days are clinic-local days of ``tz``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Literal, get_args

from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.dose_classes import DoseClass, classify_dose
from naltrack.domain.indications import active_regimen
from naltrack.domain.records import current
from naltrack.domain.regimens import FORM_LABELS, Form, form_label
from naltrack.domain.rules.base import Reason, get_rule
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.units import require_aware

FindingLevel = Literal["stop", "override", "confirm", "info"]
FINDING_LEVELS: tuple[FindingLevel, ...] = get_args(FindingLevel)
_LEVEL_OF_SEVERITY: dict[str, FindingLevel] = {
    "contraindication": "override", "not-ready": "override", "review": "confirm", "info": "info",
}


@dataclass(frozen=True)
class Finding:
    """One thing the check found before the dose: its rule, what it asks (``level``), why, and the source.

    ``key`` names the finding when it is confirmed: the rule id, or ``RULE/2``, ``RULE/3`` for a rule's
    second and third finding on the same dose (e.g. ALT and AST both missing).
    """

    rule: str
    level: FindingLevel
    message: str
    source: str
    key: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key or self.rule, "rule": self.rule, "level": self.level, "message": self.message,
                "source": self.source}


@dataclass(frozen=True)
class PreDoseCheck:
    """The check of one dose of ``form`` on the clinic-local day ``on``: the class of the dose and its findings."""

    form: Form
    on: date
    dose_class: DoseClass
    """The class of the dose (first, restart, continuation or late): a first dose or a restart gets every
    induction check, a late one what the late-dose table asks first."""
    findings: tuple[Finding, ...]

    def at_level(self, level: FindingLevel) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == level)

    def unresolved(self, *, overridden: bool = False, confirmed: Collection[str] = ()) -> tuple[Finding, ...]:
        """What still keeps the dose from being given.

        Parameters
        ----------
        overridden : bool
            A prescriber has overridden the contraindications and not-ready reasons, with a reason.
        confirmed : collection of str
            The keys (:attr:`Finding.key`) of the review items the person giving the dose has confirmed.

        Examples
        --------
        >>> from datetime import date
        >>> c = PreDoseCheck("oral", date(2026, 1, 1), None,  # type: ignore[arg-type]
        ...                  (Finding("R1", "override", "m", "s"), Finding("R2", "confirm", "m", "s")))
        >>> [f.rule for f in c.unresolved()], [f.rule for f in c.unresolved(overridden=True, confirmed={"R2"})]
        (['R1', 'R2'], [])
        """
        wanted = set(confirmed)
        return tuple(f for f in self.findings if f.level == "stop" or (f.level == "override" and not overridden)
                     or (f.level == "confirm" and (f.key or f.rule) not in wanted))

    def as_dict(self) -> dict[str, object]:
        return {"form": self.form, "on": self.on.isoformat(), "dose_class": self.dose_class.as_dict(),
                "findings": [f.as_dict() for f in self.findings]}


def check_dose(chart: PatientChart, form: Form, given_at: datetime, tz: tzinfo,
               thresholds: Thresholds = DEFAULT) -> PreDoseCheck:
    """Check a naltrexone dose of ``form`` about to be given at ``given_at`` (clinical.md §1.2, §2).

    Parameters
    ----------
    chart : PatientChart
        The patient's records, without the dose being checked.
    form : {"oral", "xr-ntx", "implant"}
        The form of the dose.
    given_at : datetime
        When the dose is given (timezone-aware).
    tz : tzinfo
        The clinic's time zone (``Clinic.zone``): the day of the dose is its day.
    thresholds : Thresholds
        The readiness and late-dose thresholds.

    Returns
    -------
    PreDoseCheck
        The dose class and every finding, stops first.

    Raises
    ------
    InvalidInput
        A naive ``given_at`` or an unknown form.
    """
    require_aware("given_at", given_at)
    on = given_at.astimezone(tz).date()
    dose_class = classify_dose(chart, form, on, tz, thresholds)
    readiness = assess_readiness(chart, form, on, thresholds, dose_class=dose_class)
    findings = [*_order_and_duplicates(chart, form, on, tz), *(_from_reason(r) for r in readiness.reasons)]
    findings.sort(key=lambda f: FINDING_LEVELS.index(f.level))
    return PreDoseCheck(form, on, dose_class, _keyed(findings))


def _keyed(findings: list[Finding]) -> tuple[Finding, ...]:
    seen: dict[str, int] = {}
    keyed = []
    for finding in findings:
        seen[finding.rule] = seen.get(finding.rule, 0) + 1
        n = seen[finding.rule]
        keyed.append(replace(finding, key=finding.rule if n == 1 else f"{finding.rule}/{n}"))
    return tuple(keyed)


def _from_reason(reason: Reason) -> Finding:
    return Finding(reason.rule, _LEVEL_OF_SEVERITY[reason.severity], reason.message, reason.source)


def _stop(rule_id: str, message: str) -> Finding:
    return Finding(rule_id, "stop", message, get_rule(rule_id).source)


def _order_and_duplicates(chart: PatientChart, form: Form, on: date, tz: tzinfo) -> list[Finding]:
    found: list[Finding] = []
    if active_regimen(chart, on, form) is None:
        found.append(_stop("DOSE-NO-ORDER", f"No active {FORM_LABELS[form]} order on {on}: a prescriber orders the "
                           "regimen first."))
    if on in doses_given_on(chart, form, tz):
        found.append(_stop("DOSE-SAME-DAY", f"{form_label(form, first=True)} already recorded on {on}: not given "
                           "twice."))
    return found


def doses_given_on(chart: PatientChart, form: Form, tz: tzinfo) -> set[date]:
    """The clinic-local days a dose of ``form`` was given (records in force; a missed oral dose is not a dose)."""
    if form == "xr-ntx":
        return {local_day(i.given_at, tz) for i in current(chart.injections)}
    if form == "implant":
        return {local_day(i.inserted_at, tz) for i in current(chart.implants)}
    return {local_day(d.taken_at, tz) for d in current(chart.oral_doses) if d.dose_status != "missed"}
