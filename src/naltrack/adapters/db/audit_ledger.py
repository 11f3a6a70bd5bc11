"""Verification of the audit log in one snapshot, its guards, and its checkpoints.

:meth:`SqlAuditLedger.verify` reads the checkpoint file first, then the head and every entry
in one read transaction (REPEATABLE READ, read only, on PostgreSQL; one ``BEGIN`` on SQLite,
whose WAL gives the transaction one snapshot), so a log that grows meanwhile never looks
broken. It checks the links and the seals, compares the log with the last checkpoint,
refuses an empty log beside patients, and checks the guards (triggers), restoring any that
is missing. The result is appended to the checkpoint file: an intact log as a new checkpoint,
a broken one as a ``verify-failed`` line that anchors nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from naltrack.adapters.audit_seal import AuditSeal
from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db import tables
from naltrack.domain.security.audit import AuditEntry, ChainReport, verify_chain
from naltrack.domain.security.audit_checkpoint import FAILED_VERIFICATION, Checkpoint, CheckpointFile, check_against
from naltrack.services.audit_ports import AuditLedger, AuditStatus, AuditVerification

LOG = logging.getLogger("naltrack.audit")
_RESTORED: dict[str, tuple[str, ...]] = {}


def database_label(engine: Engine) -> str:
    """How checkpoints name a database: its URL without the password."""
    return engine.url.render_as_string(hide_password=True)


def missing_guards(connection: Connection) -> list[str]:
    """The audit guards that are absent (or, on PostgreSQL, disabled)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        rows = connection.execute(sa.text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled IN ('O', 'A') "
            "AND tgrelid IN ('audit_log'::regclass, 'audit_head'::regclass)"))
    else:
        rows = connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    present = {row[0] for row in rows}
    return [name for name in st.AUDIT_GUARDS[dialect] if name not in present]


def restore_guards(connection: Connection, names: list[str]) -> None:
    """Create (or, on PostgreSQL, re-enable) each named guard."""
    dialect = connection.dialect.name
    for name in names:
        table, statements = st.AUDIT_GUARDS[dialect][name]
        if dialect == "postgresql":
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
        for statement in statements:
            connection.execute(sa.text(statement))


def note_restored(engine: Engine, names: tuple[str, ...]) -> None:
    """Keep the guards restored at start-up for this process's next verification, and log them."""
    LOG.warning("audit guards were missing and are restored: %s", ", ".join(names))
    _RESTORED[database_label(engine)] = names


def _snapshot(engine: Engine) -> Connection:
    """A connection in a read transaction that sees one snapshot until it is closed."""
    if engine.dialect.name == "postgresql":
        connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        connection.begin()
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        return connection
    connection = engine.connect()
    connection.begin()
    connection.exec_driver_sql("BEGIN")  # pysqlite starts transactions only before writes
    return connection


def _entries(connection: Connection) -> Iterator[AuditEntry]:
    log = st.audit_log
    result = connection.execution_options(yield_per=2000).execute(sa.select(log).order_by(log.c.seq))
    for row in result.mappings():
        yield AuditEntry(**row)


class SqlAuditLedger(AuditLedger):
    """The audit log of the database behind ``engine``, sealed with ``seal``."""

    def __init__(self, engine: Engine, seal: AuditSeal) -> None:
        self._engine = engine
        self._seal = seal
        self.database = database_label(engine)

    def verify(self, now: datetime) -> AuditVerification:
        found = self._seal.read(self.database)  # before the snapshot: it describes commits the snapshot holds
        with self._engine.connect() as connection:
            missing = tuple(missing_guards(connection)) + _RESTORED.pop(self.database, ())
        with _snapshot(self._engine) as connection:
            report = self._check(connection, found)
        if missing:
            with self._engine.begin() as connection:
                restore_guards(connection, missing_guards(connection))
        verification = AuditVerification(report, found.last, tuple(dict.fromkeys(missing)))
        return replace(verification, written=self._record(verification, now))

    def _check(self, connection: Connection, found: CheckpointFile) -> ChainReport:
        head = connection.execute(sa.select(st.audit_head.c.seq, st.audit_head.c.hash)
                                  .where(st.audit_head.c.id == 1)).first()
        wanted = found.last.seq if found.last is not None else 0
        hashes: dict[int, str] = {}

        def remember(entries: Iterator[AuditEntry]) -> Iterator[AuditEntry]:
            for entry in entries:
                if entry.seq == wanted:
                    hashes[entry.seq] = entry.hash
                yield entry

        recorded = (int(head[0]), str(head[1])) if head is not None else (0, "")
        report = verify_chain(remember(_entries(connection)), recorded, self._seal.entry_key)
        if report.intact and head is None and report.checked:
            report = replace(report, intact=False, first_bad_seq=None, reason="the head row (audit_head) is gone")
        report = check_against(report, found, hashes)
        if report.intact and report.checked == 0:
            patients = connection.execute(sa.select(sa.func.count()).select_from(tables.patients)).scalar_one()
            if patients:
                report = replace(report, intact=False, first_bad_seq=None,
                                 reason=f"the log is empty but the database holds {patients} patients")
        return report

    def _record(self, verification: AuditVerification, now: datetime) -> Checkpoint | None:
        report = verification.report
        if not verification.intact:
            last = verification.checkpoint
            self._seal.append(Checkpoint(
                database=self.database, seq=last.seq if last else 0, hash=last.hash if last else "",
                count=last.count if last else 0, at=now, keyed_from=last.keyed_from if last else None,
                kind=FAILED_VERIFICATION, result=" ".join(verification.lines()[:2])[:500]))
            return None
        return self._seal.append(Checkpoint(
            database=self.database, seq=report.head[0], hash=report.head[1], count=report.checked, at=now,
            keyed_from=report.unkeyed + 1 if report.checked > report.unkeyed else None, kind="verify",
            result=report.describe()))

    def checkpoint(self, now: datetime) -> Checkpoint:
        last = self._seal.read(self.database).last
        with _snapshot(self._engine) as connection:
            head = connection.execute(sa.select(st.audit_head.c.seq, st.audit_head.c.hash)
                                      .where(st.audit_head.c.id == 1)).first()
        seq, head_hash = (int(head[0]), str(head[1])) if head is not None else (0, "")
        return self._seal.append(Checkpoint(database=self.database, seq=seq, hash=head_hash, count=seq, at=now,
                                            keyed_from=_keyed_from(last, seq), kind="manual"))

    def cadence(self, entry: AuditEntry) -> None:
        """The checkpoint written when a committed entry reaches the cadence (and at the first entry)."""
        if entry.seq != 1 and entry.seq % self._seal.every:
            return
        try:
            last = None if entry.seq == 1 else self._seal.read(self.database).last
            keyed_from = (1 if entry.mac else None) if entry.seq == 1 else _keyed_from(last, entry.seq)
            self._seal.append(Checkpoint(database=self.database, seq=entry.seq, hash=entry.hash, count=entry.seq,
                                         at=datetime.now(UTC), keyed_from=keyed_from, kind="cadence"))
        except OSError as error:  # the entry is committed; the operator must hear of the gap
            LOG.error("audit checkpoint at entry %s not written to %s: %s", entry.seq, self._seal.checkpoints, error)

    def status(self) -> AuditStatus:
        found = self._seal.read(self.database)
        return AuditStatus(found.last, found.last_verification)


def _keyed_from(last: Checkpoint | None, seq: int) -> int | None:
    """The first sealed entry as the last checkpoint knew it (entries are sealed from then on)."""
    return last.keyed_from if last is not None and last.keyed_from is not None and last.keyed_from <= seq else None
