"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint records where the chain stood at one moment: the last entry's ``seq`` and
``hash``, the number of entries, the time, the first sealed entry (``keyed_from``) and, when
it was written by a verification, that verification's result. It is signed with a key
derived from the audit secret, so a checkpoint cannot be forged or edited without the key.

:func:`check_against` compares a verified chain with the last checkpoint: a log that is
shorter than the checkpoint (a truncated log, a cut tail with the head moved back) or whose
entry at the checkpoint's ``seq`` has another hash (a wholesale rewrite) fails.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from naltrack.domain.security.audit import ChainReport
from naltrack.domain.units import require_aware


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """Where the chain of one database stood at ``at``."""

    database: str
    seq: int
    hash: str
    count: int
    at: datetime
    keyed_from: int | None
    kind: str
    result: str | None = None
    signature: str = ""

    def __post_init__(self) -> None:
        require_aware("checkpoint.at", self.at)

    def payload(self) -> bytes:
        """The signed bytes: every field but the signature, as sorted compact JSON."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        fields["at"] = self.at.isoformat(timespec="microseconds")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signed(self, key: bytes) -> Checkpoint:
        """This checkpoint with its signature."""
        return replace(self, signature=hmac.new(key, self.payload(), "sha256").hexdigest())

    def is_signed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(hmac.new(key, self.payload(), "sha256").hexdigest(), self.signature)

    def to_line(self) -> str:
        """One JSON line (the file holds one checkpoint per line)."""
        fields = asdict(self)
        fields["at"] = self.at.isoformat(timespec="microseconds")
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))

    def describe(self) -> str:
        what = f"; {self.result}" if self.result else ""
        when = self.at.isoformat(timespec="seconds")
        return f"checkpoint ({self.kind}) at entry {self.seq} of {self.count}, {when}{what}"


def parse_line(line: str) -> Checkpoint:
    """The checkpoint of one JSON line; ``ValueError`` when it is not one.

    Examples
    --------
    >>> from datetime import UTC
    >>> c = Checkpoint(database="d", seq=3, hash="h", count=3, at=datetime(2026, 1, 1, tzinfo=UTC),
    ...                keyed_from=1, kind="cadence").signed(b"k")
    >>> parse_line(c.to_line()) == c
    True
    """
    try:
        fields: dict[str, Any] = json.loads(line)
        fields["at"] = datetime.fromisoformat(fields["at"])
        return Checkpoint(**fields)
    except (TypeError, KeyError, json.JSONDecodeError) as error:
        raise ValueError(f"not a checkpoint: {error}") from None


#: The kind of line a failed verification writes: it records the result, it anchors nothing.
FAILED_VERIFICATION = "verify-failed"


@dataclass(frozen=True)
class CheckpointFile:
    """What a checkpoint file says about one database: its last valid checkpoint, its last
    verification (passed or failed) and the lines that are not validly signed."""

    last: Checkpoint | None
    bad_lines: tuple[int, ...] = ()
    last_verification: Checkpoint | None = None


def read_checkpoints(lines: Iterable[str], database: str, key: bytes) -> CheckpointFile:
    """The highest checkpoint of ``database`` (by ``seq``, then time) and the numbers of the lines
    of ``database`` that are not validly signed (a forged or edited checkpoint). A line that is not
    a checkpoint at all (torn by a crash) is passed over: it can neither add nor hide one."""
    last: Checkpoint | None = None
    verification: Checkpoint | None = None
    bad: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoint = parse_line(line)
        except ValueError:  # a line torn by a crash while it was written: it names no database
            continue
        if checkpoint.database != database:
            continue
        if not checkpoint.is_signed_by(key):
            bad.append(number)
            continue
        if checkpoint.kind.startswith("verify") and (verification is None or checkpoint.at >= verification.at):
            verification = checkpoint
        anchors = checkpoint.kind != FAILED_VERIFICATION
        if anchors and (last is None or (checkpoint.seq, checkpoint.at) >= (last.seq, last.at)):
            last = checkpoint
    return CheckpointFile(last, tuple(bad), verification)


def check_against(report: ChainReport, found: CheckpointFile, hashes: Mapping[int, str]) -> ChainReport:
    """``report`` (an intact chain) failed when it contradicts the checkpoints.

    ``hashes`` maps ``seq`` to the stored hash of the entries a checkpoint names (the last one's).

    Examples
    --------
    >>> from datetime import UTC
    >>> cp = Checkpoint(database="d", seq=5, hash="h5", count=5, at=datetime(2026, 1, 1, tzinfo=UTC),
    ...                 keyed_from=1, kind="cadence")
    >>> check_against(ChainReport(True, 3, head=(3, "h3")), CheckpointFile(cp), {}).describe()
    'audit chain broken at entry 4: the log ends at entry 3 but a checkpoint recorded entry 5 (truncated or cut)'
    """
    if not report.intact:
        return report
    if found.bad_lines:
        return replace(report, intact=False, first_bad_seq=None,
                       reason=f"checkpoint line(s) {', '.join(map(str, found.bad_lines))} are not validly signed")
    last = found.last
    if last is None:
        return report
    seq = report.head[0]
    if seq < last.seq:
        return replace(report, intact=False, first_bad_seq=seq + 1,
                       reason=f"the log ends at entry {seq} but a checkpoint recorded entry {last.seq} "
                              "(truncated or cut)")
    if last.seq and hashes.get(last.seq) != last.hash:
        return replace(report, intact=False, first_bad_seq=last.seq,
                       reason="its hash differs from the checkpoint's (the log was rewritten)")
    if last.keyed_from is not None and report.unkeyed >= last.keyed_from:
        return replace(report, intact=False, first_bad_seq=last.keyed_from,
                       reason="it carries no seal but a checkpoint recorded the log as sealed from it")
    return report
