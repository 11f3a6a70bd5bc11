"""The port of the audit log's own checks: verification in one snapshot, checkpoints outside the database.

:class:`AuditLedger` is implemented by :class:`naltrack.adapters.db.audit_ledger.SqlAuditLedger`;
each :class:`~naltrack.services.security_ports.SecureUnitOfWork` carries one (``audit_ledger``),
usable without opening the unit of work (verification reads on a connection of its own).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from naltrack.domain.security.audit import ChainReport
from naltrack.domain.security.audit_checkpoint import Checkpoint


@dataclass(frozen=True)
class AuditVerification:
    """One verification: the chain, compared with the last checkpoint, and the guards.

    Attributes
    ----------
    report : ChainReport
        The chain's links and seals, the checkpoint comparison and the empty-log check.
    checkpoint : Checkpoint or None
        The checkpoint the log was compared with (the last one before the verification).
    guards_missing : tuple of str
        Guards (triggers) that were missing or disabled; they are restored before this returns.
    written : Checkpoint or None
        The checkpoint this verification wrote (an intact log only).
    """

    report: ChainReport
    checkpoint: Checkpoint | None
    guards_missing: tuple[str, ...]
    written: Checkpoint | None = None

    @property
    def intact(self) -> bool:
        return self.report.intact and not self.guards_missing

    def lines(self) -> list[str]:
        """What a person reads: the verdict first, then the guards, the seal and the checkpoint."""
        lines = [self.report.describe()]
        if self.guards_missing:
            lines.append(f"guards missing (now restored): {', '.join(self.guards_missing)}")
        if self.report.unkeyed:
            lines.append(f"entries 1-{self.report.unkeyed} were written before the log was keyed (no seal)")
        if self.checkpoint is None:
            lines.append("no earlier checkpoint of this database")
        else:
            lines.append(f"compared with {self.checkpoint.describe()}")
        return lines


@dataclass(frozen=True)
class AuditStatus:
    """What the audit page shows instead of verifying: the last checkpoint and the last verification."""

    checkpoint: Checkpoint | None
    verification: Checkpoint | None


class AuditLedger(abc.ABC):
    """Verification and checkpoints of one database's audit log."""

    @abc.abstractmethod
    def verify(self, now: datetime) -> AuditVerification:
        """Verify the whole log in one snapshot against the last checkpoint; record the result."""

    @abc.abstractmethod
    def checkpoint(self, now: datetime) -> Checkpoint:
        """Write a signed checkpoint of the current head."""

    @abc.abstractmethod
    def status(self) -> AuditStatus:
        """The last checkpoint and the last verification, read from the checkpoint file."""
