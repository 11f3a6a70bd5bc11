"""The audit chain: every read and write of patient data, append-only and hash-chained.

Each entry records who, which record, when, for what purpose, with what outcome and from
which address (DESIGN.md "Privacy"; issue 5 §4). Its hash is
``sha256(previous_hash + canonical_json(entry))``; changing or removing any entry breaks
every later link, and :func:`verify_chain` names the first entry that does not verify.
The chain starts from :data:`GENESIS_HASH`.

Each entry is also sealed: ``mac = HMAC-SHA256(key, hash)`` with a key kept outside the
database (:func:`entry_key`), so that rewriting the chain from a changed row, or appending a
correctly hashed row, needs the key as well as database access. Entries written before the
log was keyed have no ``mac``; they may only lead the chain (``unkeyed``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.units import require_aware

GENESIS_HASH = "0" * 64
#: Shortest accepted audit secret, in characters.
MIN_KEY_LENGTH = 32
_CHAIN_FIELDS = ("seq", "prev_hash", "hash", "mac")
Outcome = Literal["allowed", "denied", "not-found", "invalid", "conflict"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """What happened, before it is placed in the chain."""

    at: datetime
    actor: str
    clinic_id: str | None
    action: str
    category: str
    record_type: str | None = None
    record_id: str | None = None
    patient_id: str | None = None
    purpose: str = "treatment"
    outcome: Outcome = "allowed"
    source: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        require_aware("audit.at", self.at)
        if not self.actor:
            raise InvalidInput("audit.actor", self.actor, "is required")
        if self.outcome not in OUTCOMES:
            raise InvalidInput("audit.outcome", self.outcome, f"must be one of {', '.join(OUTCOMES)}")


#: The fields of an event, hashed into its entry (an entry's chain fields are not).
_EVENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AuditEvent))


@dataclass(frozen=True, kw_only=True)
class AuditEntry(AuditEvent):
    """An event in the chain: its sequence number, the previous hash and its own."""

    seq: int
    """1 for the first entry, then one more for each entry."""
    prev_hash: str
    """The previous entry's :attr:`hash` (:data:`GENESIS_HASH` before the first), as hex."""
    hash: str
    """``sha256(prev_hash + canonical(event, seq))`` as hex (:func:`calculate_hash`): changing this entry
    or an earlier one breaks it."""
    mac: str | None = None
    """``HMAC-SHA256(key, hash)`` as hex (:func:`seal`); ``None`` for an entry written before the log was
    keyed."""


def _event_fields(event: AuditEvent) -> dict[str, Any]:
    """The event's own fields by name (all plain values: no copy is needed, unlike ``asdict``)."""
    return {name: getattr(event, name) for name in _EVENT_FIELDS}


def canonical(event: AuditEvent, seq: int) -> bytes:
    """The bytes that are hashed: the event's fields and ``seq`` as sorted, compact JSON (UTC times).

    Examples
    --------
    >>> from datetime import timezone
    >>> e = AuditEvent(at=datetime(2026, 1, 1, tzinfo=timezone.utc), actor="u1", clinic_id="c1",
    ...                action="read", category="labs")
    >>> canonical(e, 1)[:40]
    b'{"action":"read","actor":"u1","at":"2026'
    """
    values = _event_fields(event)
    values["at"] = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    values["seq"] = seq
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def calculate_hash(prev_hash: str, event: AuditEvent, seq: int) -> str:
    """``sha256(prev_hash || canonical(event, seq))`` as hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(event, seq)).hexdigest()


def derive_key(secret: str, purpose: str) -> bytes:
    """The key for one ``purpose`` (``"entry"``, ``"checkpoint"``) derived from the operator's secret.

    Examples
    --------
    >>> len(derive_key("x" * 32, "entry")), derive_key("x" * 32, "entry") != derive_key("x" * 32, "checkpoint")
    (32, True)
    >>> derive_key("short", "entry")
    Traceback (most recent call last):
    ...
    naltrack.errors.InvalidInput: audit.key: '***' must be at least 32 characters
    """
    if len(secret.strip()) < MIN_KEY_LENGTH:
        raise InvalidInput("audit.key", "***", f"must be at least {MIN_KEY_LENGTH} characters")
    return hmac.new(secret.strip().encode("utf-8"), f"naltrack-audit-{purpose}".encode("ascii"), "sha256").digest()


def seal(key: bytes, entry_hash: str) -> str:
    """``HMAC-SHA256(key, entry_hash)`` as hex: the entry's ``mac``."""
    return hmac.new(key, entry_hash.encode("ascii"), "sha256").hexdigest()


def chain_entry(event: AuditEvent, prev: AuditEntry | None) -> AuditEntry:
    """Place ``event`` after ``prev`` (``None`` starts the chain).

    Examples
    --------
    >>> from datetime import timezone
    >>> e = AuditEvent(at=datetime(2026, 1, 1, tzinfo=timezone.utc), actor="u1", clinic_id="c1",
    ...                action="read", category="labs")
    >>> first = chain_entry(e, None)
    >>> second = chain_entry(e, first)
    >>> verify_chain([first, second]).intact
    True
    """
    if prev is None:
        return chain_after(event, 0, GENESIS_HASH)
    return chain_after(event, prev.seq, prev.hash)


def chain_after(event: AuditEvent, prev_seq: int, prev_hash: str, key: bytes | None = None) -> AuditEntry:
    """Place ``event`` after the entry numbered ``prev_seq`` whose hash is ``prev_hash`` (0 and
    :data:`GENESIS_HASH` start the chain), sealed with ``key`` when one is given."""
    seq = prev_seq + 1
    values = _event_fields(event)
    entry_hash = calculate_hash(prev_hash, event, seq)
    return AuditEntry(**values, seq=seq, prev_hash=prev_hash, hash=entry_hash,
                      mac=None if key is None else seal(key, entry_hash))


@dataclass(frozen=True)
class ChainReport:
    """The result of :func:`verify_chain`: intact, or the first bad entry and why.

    ``head`` is the last ``(seq, hash)`` checked (what a checkpoint records), ``unkeyed`` the
    number of leading entries written before the log was keyed.
    """

    intact: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head: tuple[int, str] = (0, GENESIS_HASH)
    unkeyed: int = 0

    def describe(self) -> str:
        if self.intact:
            return f"audit chain intact: {self.checked} entries"
        if self.first_bad_seq is None:
            return f"audit log broken: {self.reason}"
        return f"audit chain broken at entry {self.first_bad_seq}: {self.reason}"


def _link_problem(entry: AuditEntry, prev_seq: int, prev_hash: str, key: bytes | None,
                  keyed: bool) -> str | None:
    """Why ``entry`` does not follow ``(prev_seq, prev_hash)``, or None."""
    if entry.seq != prev_seq + 1:
        return f"entry {prev_seq + 1} is missing (next is {entry.seq})"
    if entry.prev_hash != prev_hash:
        return "its link does not match the previous entry's hash"
    if calculate_hash(prev_hash, entry, entry.seq) != entry.hash:
        return "its content was changed (hash mismatch)"
    if key is None:
        return None
    if entry.mac is None:
        return "it carries no seal but an earlier entry does (written without the key)" if keyed else None
    if not hmac.compare_digest(seal(key, entry.hash), entry.mac):
        return "its seal does not match (written or re-hashed without the audit key)"
    return None


def verify_chain(entries: Iterable[AuditEntry], head: tuple[int, str] | None = None,
                 key: bytes | None = None) -> ChainReport:
    """Check every link, in ``seq`` order; ``head`` is the last ``(seq, hash)`` the store recorded.

    A changed entry fails its own hash; a removed entry leaves a gap in ``seq`` (or a link to
    a hash that is gone); a removed tail no longer reaches ``head``. With ``key``, every entry
    after the first sealed one must carry a seal that matches it.
    """
    prev_seq, prev_hash, checked, unkeyed = 0, GENESIS_HASH, 0, 0
    for entry in entries:
        problem = _link_problem(entry, prev_seq, prev_hash, key, keyed=checked > unkeyed)
        if problem is not None:
            bad = prev_seq + 1 if entry.seq != prev_seq + 1 else entry.seq
            return ChainReport(False, checked, bad, problem, (prev_seq, prev_hash), unkeyed)
        if entry.mac is None and checked == unkeyed:
            unkeyed += 1
        prev_seq, prev_hash, checked = entry.seq, entry.hash, checked + 1
    if head is not None and (head[0] != prev_seq or (head[0] and head[1] != prev_hash)):
        return ChainReport(False, checked, prev_seq + 1,
                           f"the chain ends at entry {prev_seq} but the store recorded {head[0]} entries",
                           (prev_seq, prev_hash), unkeyed)
    return ChainReport(True, checked, head=(prev_seq, prev_hash), unkeyed=unkeyed)
