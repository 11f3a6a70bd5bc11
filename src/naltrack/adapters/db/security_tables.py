"""Tables of the secure service: users, tokens and sessions, consents, disclosures,
break-the-glass grants and the audit log, on the shared :data:`~naltrack.adapters.db.tables.metadata`.

Secrets are never stored: passwords as argon2 hashes, tokens as SHA-256 of 32 random
bytes. The audit log is append-only: the code has no update or delete path, and triggers
refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE (:data:`AUDIT_GUARDS`). ``audit_head`` holds
the last sequence number and hash, so that a removed tail shows; it only moves forward.
``mac`` seals each entry with the audit key (NULL on entries written before the log was keyed).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from naltrack.adapters.db.tables import JsonType, UtcDateTime, metadata

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False, index=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # bearer | session
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

#: Failed sign-ins per user name or client address (a SHA-256 digest of it): the count, the last
#: failure and the end of the current wait (``naltrack.services.sign_in_throttle``).
sign_in_failures = sa.Table(
    "sign_in_failures", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UtcDateTime, nullable=False, index=True),
    sa.Column("blocked_until", UtcDateTime),
)


def _release_table(name: str, *columns: sa.Column[Any]) -> sa.Table:
    """A release of a patient's records (42 CFR Part 2): to whom, for what purpose, which
    categories; a consent permits one and a disclosure records one, so both start with these."""
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(64), sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("categories", JsonType, nullable=False),
        *columns,
    )


consents = _release_table(
    "consents",
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("expires_on", sa.Date, nullable=False),
    sa.Column("signed_by", sa.String(100), nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("recorded_by", sa.String(64)),
    sa.Column("recorded_at", UtcDateTime),
)

disclosures = _release_table(
    "disclosures",
    sa.Column("consent_id", sa.String(64)),
    sa.Column("break_glass_id", sa.String(64)),
    sa.Column("disclosed_at", UtcDateTime, nullable=False),
    sa.Column("disclosed_by", sa.String(64), nullable=False),
    sa.Column("notice", sa.Text, nullable=False),
    sa.Column("record_count", sa.Integer, nullable=False),
)

break_glass = sa.Table(
    "break_glass", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("patient_id", sa.String(64), sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("reviewed_by", sa.String(64)),
    sa.Column("reviewed_at", UtcDateTime),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False, index=True),
    sa.Column("clinic_id", sa.String(64)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("record_type", sa.String(64)),
    sa.Column("record_id", sa.String(64)),
    sa.Column("patient_id", sa.String(64), index=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("source", sa.String(64)),
    sa.Column("detail", sa.String(500)),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("mac", sa.String(64)),
)

audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

def _pg_trigger_function(name: str, body: str) -> str:
    """``CREATE OR REPLACE FUNCTION name() RETURNS trigger`` in PL/pgSQL, with ``body`` between BEGIN and END."""
    return f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body} END; $$ LANGUAGE plpgsql"


#: PostgreSQL refuses UPDATE and DELETE on the audit log (run by the migration).
POSTGRES_AUDIT_GUARD = (
    _pg_trigger_function("naltrack_audit_append_only",
                         "RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;"),
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION naltrack_audit_append_only()",
)
#: SQLite refuses them too (a trigger per statement kind).
SQLITE_AUDIT_GUARD = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
)
SQLITE_AUDIT_UNGUARD = ("DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete")
POSTGRES_AUDIT_UNGUARD = (
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS naltrack_audit_append_only()",
)

_PG_GUARD_FUNCTIONS = (
    _pg_trigger_function("naltrack_audit_no_truncate",
                         "RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;"),
    _pg_trigger_function("naltrack_audit_head_forward_only",
                         "IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq THEN "
                         "RAISE EXCEPTION 'audit_head only moves forward: % refused', TG_OP; END IF; RETURN NEW;"),
)

#: Every guard of the audit tables, by dialect: trigger name -> (table, the statements that create it).
#: The append-only row triggers come from migration 0002; the others (a statement-level TRUNCATE guard
#: on PostgreSQL, a head that only moves forward) from 0011. Start-up restores any that is missing.
AUDIT_GUARDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "postgresql": {
        "audit_log_append_only": ("audit_log", POSTGRES_AUDIT_GUARD),
        "audit_log_no_truncate": ("audit_log", (
            _PG_GUARD_FUNCTIONS[0],
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION naltrack_audit_no_truncate()")),
        "audit_head_no_truncate": ("audit_head", (
            _PG_GUARD_FUNCTIONS[0],
            "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION naltrack_audit_no_truncate()")),
        "audit_head_forward_only": ("audit_head", (
            _PG_GUARD_FUNCTIONS[1],
            "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION naltrack_audit_head_forward_only()")),
    },
    "sqlite": {
        "audit_log_no_update": ("audit_log", SQLITE_AUDIT_GUARD[:1]),
        "audit_log_no_delete": ("audit_log", SQLITE_AUDIT_GUARD[1:]),
        "audit_head_no_rewind": ("audit_head", (
            "CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head WHEN NEW.seq < OLD.seq "
            "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward: UPDATE refused'); END",)),
        "audit_head_no_delete": ("audit_head", (
            "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
            "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward: DELETE refused'); END",)),
    },
}
#: The guards migration 0011 adds (and removes on downgrade).
GUARDS_OF_0011 = {"postgresql": ("audit_log_no_truncate", "audit_head_no_truncate", "audit_head_forward_only"),
                  "sqlite": ("audit_head_no_rewind", "audit_head_no_delete")}
GUARD_FUNCTIONS_OF_0011 = ("naltrack_audit_no_truncate()", "naltrack_audit_head_forward_only()")
