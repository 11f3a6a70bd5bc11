"""The audit secret and the checkpoint file: the two things about the audit log kept outside the database.

The secret comes from ``NALTRACK_AUDIT_KEY`` or the file named by ``NALTRACK_AUDIT_KEY_FILE``;
the demo (``NALTRACK_DEMO=1``) generates one in the data directory (``.audit_key``, mode 0600),
as it does the session secret. Anywhere else naltrack refuses to start without one
(:class:`AuditKeyError`). Checkpoints are appended, one signed JSON line each, to
``NALTRACK_AUDIT_CHECKPOINTS`` (default ``data_dir/audit-checkpoints.jsonl``) under an
exclusive lock, so that several processes can share the file.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from naltrack.config import Settings
from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.audit import derive_key
from naltrack.domain.security.audit_checkpoint import Checkpoint, CheckpointFile, read_checkpoints

MISSING_KEY = ("the audit log needs a secret kept outside the database: set NALTRACK_AUDIT_KEY (at least 32 "
               "characters) or NALTRACK_AUDIT_KEY_FILE (a file holding it); only the demo (NALTRACK_DEMO=1) "
               "generates one")


class AuditKeyError(Exception):
    """The audit secret is missing or unusable: naltrack does not start."""


@dataclass(frozen=True)
class AuditSeal:
    """The keys derived from the audit secret, the checkpoint file and the checkpoint cadence."""

    entry_key: bytes
    checkpoint_key: bytes
    checkpoints: Path
    every: int = 1000

    @classmethod
    def from_secret(cls, secret: str, checkpoints: Path, every: int = 1000) -> AuditSeal:
        try:
            return cls(derive_key(secret, "entry"), derive_key(secret, "checkpoint"), checkpoints, every)
        except InvalidInput as error:
            raise AuditKeyError(f"NALTRACK_AUDIT_KEY: {error.rule}") from None

    def append(self, checkpoint: Checkpoint) -> Checkpoint:
        """Sign ``checkpoint`` and append it to the file (created 0600), synced to disk."""
        signed = checkpoint.signed(self.checkpoint_key)
        self.checkpoints.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.checkpoints, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            size = os.fstat(descriptor).st_size  # a crash may have left the last line unfinished
            torn = size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"
            handle.write(("\n" if torn else "") + signed.to_line() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return signed

    def read(self, database: str) -> CheckpointFile:
        """The last validly signed checkpoint of ``database`` and the lines that are not validly signed."""
        try:
            with self.checkpoints.open(encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_SH)
                return read_checkpoints(handle.readlines(), database, self.checkpoint_key)
        except FileNotFoundError:
            return CheckpointFile(None)


def _generated_secret(path: Path) -> str:
    """The secret in ``path``, written (0600) with 32 random bytes first if it does not exist."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    except FileExistsError:  # another process wrote it first
        pass
    return path.read_text(encoding="ascii").strip()


def audit_secret(settings: Settings) -> str:
    """The configured audit secret: the setting, else the key file, else (demo only) a generated one."""
    if settings.audit_key:
        return settings.audit_key
    if settings.audit_key_file is not None:
        try:
            return settings.audit_key_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise AuditKeyError(f"NALTRACK_AUDIT_KEY_FILE {str(settings.audit_key_file)!r} cannot be read: "
                                f"{error.strerror}") from None
    if settings.demo:
        return _generated_secret(settings.data_dir / ".audit_key")
    raise AuditKeyError(MISSING_KEY)


def seal_from_settings(settings: Settings) -> AuditSeal:
    """The audit seal the settings describe; :class:`AuditKeyError` without a usable secret."""
    checkpoints = settings.audit_checkpoints or settings.data_dir / "audit-checkpoints.jsonl"
    return AuditSeal.from_secret(audit_secret(settings), checkpoints, settings.audit_checkpoint_every)
