"""42 CFR Part 2 consent, the disclosure decision, the redisclosure notice and break-the-glass.

Rules (DESIGN.md "Privacy"; anchors.md §4.2):

* A disclosure outside the program needs the patient's written consent naming the
  recipient, the purpose, the records it covers and an expiry (42 CFR 2.31).
* Each disclosure carries the notice against redisclosure (42 CFR 2.32(a)); the text is
  configuration (``part2_redisclosure_notice``) with :data:`REDISCLOSURE_NOTICE_DEFAULT`,
  the 2020 wording of statement (1), as its default. UNCONFIRMED: the 2024 final rule
  revised statement (1); the reference files do not give its full text.
* Revocation stops future disclosures, never past ones.
* The decision answers the same way for "no consent" and "a consent that does not fit",
  so a refusal does not reveal that a consent exists (Consent2Share's PEP, anchors.md §4.2).
* A medical emergency permits access and disclosure without consent (42 CFR 2.51): a
  stated reason, limited in time, recorded and raised to the privacy officer
  (break-the-glass; IHE PCF "forbid except Break-Glass", anchors.md §4.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.domain.units import require_aware, require_choice, require_not_before, require_text

Purpose = Literal["treatment", "payment", "health-care-operations", "referral", "research", "patient-request",
                  "legal", "emergency"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)

#: 42 CFR 2.32(a)(1), statement 1 as amended at 85 FR 43037 (July 15, 2020). Configurable: see module notes.
REDISCLOSURE_NOTICE_DEFAULT = (
    "This record which has been disclosed to you is protected by federal confidentiality rules (42 CFR part 2). "
    "The federal rules prohibit you from making any further disclosure of this record unless further disclosure "
    "is expressly permitted by the written consent of the individual whose information is being disclosed in this "
    "record or, is otherwise permitted by 42 CFR part 2. A general authorization for the release of medical or "
    "other information is NOT sufficient for this purpose (see \u00a72.31). The federal rules restrict any use of "
    "the information to investigate or prosecute with regard to a crime any patient with a substance use "
    "disorder, except as provided at \u00a7\u00a72.12(c)(5) and 2.65."
)
#: Shortest time a break-the-glass grant may last, and the configurable default and ceiling (minutes).
#: UNCONFIRMED: no reference fixes a duration; these are defaults named as such.
BREAK_GLASS_DEFAULT_MINUTES = 60
BREAK_GLASS_MAX_MINUTES = 240
#: A stated reason must say something: at least this many characters.
BREAK_GLASS_MIN_REASON_CHARS = 15


@dataclass(frozen=True, kw_only=True)
class Consent:
    """A patient's written consent to disclose Part 2 records (42 CFR 2.31).

    Examples
    --------
    >>> c = Consent(id="c1", patient_id="p1", recipient="County Hospital ED", purpose="treatment",
    ...             categories=("medications", "allergies"), signed_on=date(2026, 1, 2),
    ...             expires_on=date(2026, 12, 31))
    >>> c.is_in_force(datetime(2026, 6, 1, 12).astimezone())
    True
    """

    id: str
    patient_id: str
    recipient: str
    purpose: Purpose
    categories: tuple[str, ...]
    signed_on: date
    expires_on: date
    signed_by: str = "patient"
    revoked_at: datetime | None = None
    version: int = 1
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        require_text("consent.recipient", self.recipient, 200)
        require_choice("consent.purpose", self.purpose, PURPOSES)
        if not self.categories:
            raise InvalidInput("consent.categories", (), "needs at least one record category")
        for category in self.categories:
            require_choice("consent.categories", category, CLINICAL_CATEGORIES)
        require_not_before("consent.expires_on", self.expires_on, self.signed_on, "the signature date")
        if self.revoked_at is not None:
            require_aware("consent.revoked_at", self.revoked_at)

    def is_in_force(self, now: datetime) -> bool:
        """Signed, not yet expired (the expiry day counts) and not revoked by ``now``."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.signed_on <= now.date() <= self.expires_on

    def covers(self, recipient: str, purpose: str, categories: Iterable[str]) -> bool:
        """Names this recipient (case and spacing ignored) and purpose, and every category asked for."""
        return (_normal(self.recipient) == _normal(recipient) and self.purpose == purpose
                and set(categories) <= set(self.categories))


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class DisclosureDecision:
    """The answer to "may these records go to this recipient for this purpose now?"."""

    allowed: bool
    reason: str
    consent_id: str | None = None
    break_glass_id: str | None = None


DENIED_REASON = "no consent in force names this recipient, purpose and every requested category"


def decide_disclosure(
    consents: Iterable[Consent], recipient: str, purpose: str, categories: Iterable[str], now: datetime,
    emergency: BreakGlass | None = None,
) -> DisclosureDecision:
    """Decide a disclosure outside the program (42 CFR 2.31, 2.51).

    Allowed only with a consent in force that names ``recipient`` and ``purpose`` and covers all
    ``categories``, or, for purpose ``emergency``, with a break-the-glass grant in force.
    A refusal gives the same reason whether or not a consent exists.

    Examples
    --------
    >>> from datetime import timezone
    >>> now = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    >>> c = Consent(id="c1", patient_id="p1", recipient="Dr Roe", purpose="referral",
    ...             categories=("medications",), signed_on=date(2026, 1, 2), expires_on=date(2026, 12, 31))
    >>> decide_disclosure([c], "Dr Roe", "referral", ["medications"], now).allowed
    True
    >>> decide_disclosure([c], "Dr Roe", "referral", ["medications", "labs"], now).allowed
    False
    """
    require_aware("now", now)
    wanted = tuple(categories)
    if not wanted:
        raise InvalidInput("categories", (), "needs at least one record category")
    require_text("recipient", recipient, 200)
    require_choice("purpose", purpose, PURPOSES)
    if purpose == "emergency":
        if emergency is not None and emergency.is_in_force(now):
            return DisclosureDecision(True, "medical emergency (42 CFR 2.51)", break_glass_id=emergency.id)
        return DisclosureDecision(False, "an emergency disclosure needs a break-the-glass grant in force")
    for consent in consents:
        if consent.is_in_force(now) and consent.covers(recipient, purpose, wanted):
            return DisclosureDecision(True, "consent in force (42 CFR 2.31)", consent_id=consent.id)
    return DisclosureDecision(False, DENIED_REASON)


@dataclass(frozen=True, kw_only=True)
class BreakGlass:
    """Emergency access to one patient's record: who, why, from when to when (42 CFR 2.51).

    Examples
    --------
    >>> from datetime import timezone
    >>> t0 = datetime(2026, 6, 1, 3, tzinfo=timezone.utc)
    >>> g = open_break_glass("g1", "u1", "p1", "unresponsive in ED, need current meds", t0)
    >>> g.is_in_force(t0 + timedelta(minutes=59)), g.is_in_force(t0 + timedelta(minutes=60))
    (True, False)
    """

    id: str
    user_id: str
    patient_id: str
    reason: str
    """The emergency as the user stated it (trimmed, at least :data:`BREAK_GLASS_MIN_REASON_CHARS`
    characters); the privacy officer reads it on review."""
    started_at: datetime
    expires_at: datetime
    """``started_at`` plus the minutes asked for (at most :data:`BREAK_GLASS_MAX_MINUTES`); the grant
    is in force before it, not at it."""
    reviewed_by: str | None = None
    """The user who reviewed the grant afterwards, once (with :attr:`reviewed_at`); ``None`` until then."""
    reviewed_at: datetime | None = None

    def is_in_force(self, now: datetime) -> bool:
        return self.started_at <= now < self.expires_at


def open_break_glass(
    grant_id: str, user_id: str, patient_id: str, reason: str, now: datetime,
    minutes: int = BREAK_GLASS_DEFAULT_MINUTES, max_minutes: int = BREAK_GLASS_MAX_MINUTES,
) -> BreakGlass:
    """Open a time-limited emergency grant; the caller records it and raises it to the privacy officer."""
    require_aware("now", now)
    if reason is None or len(reason.strip()) < BREAK_GLASS_MIN_REASON_CHARS:
        raise InvalidInput("break_glass.reason", reason,
                           f"must state the emergency in at least {BREAK_GLASS_MIN_REASON_CHARS} characters")
    require_text("break_glass.reason", reason, 500)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= max_minutes:
        raise InvalidInput("break_glass.minutes", minutes, f"must be between 1 and {max_minutes} minutes")
    return BreakGlass(id=grant_id, user_id=user_id, patient_id=patient_id, reason=reason.strip(),
                      started_at=now, expires_at=now + timedelta(minutes=minutes))
