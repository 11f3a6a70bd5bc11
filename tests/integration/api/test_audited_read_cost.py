"""What one audited read costs the database, on SQLite and PostgreSQL: a list of one kind of record
reads that kind's table only (not the whole chart), in one transaction with its audit entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from .conftest import SecureEnv

RECORD_TABLES = ("episodes", "diagnoses", "regimens", "oral_doses", "injections", "implant_insertions",
                 "lab_results", "urine_drug_screens", "questionnaire_responses", "appointments")


@contextmanager
def _statements(env: SecureEnv) -> Iterator[list[str]]:
    engine: sa.Engine = env.client.app.state.storage.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _tables_read(statements: list[str]) -> set[str]:
    return {t for s in statements if s.lstrip().upper().startswith("SELECT")
            for t in RECORD_TABLES if re.search(rf"\bFROM {t}\b", s)}


def test_a_list_of_one_kind_reads_only_its_table(secure_env: SecureEnv) -> None:
    env = secure_env
    with _statements(env) as seen:
        response = env.client.get("/api/v1/patients/c1-p1/oral-doses", headers=env.headers("c1", "nurse"))
    assert response.status_code == 200 and response.json()["total"] == 1
    assert _tables_read(seen) == {"oral_doses"}


def test_the_whole_chart_still_reads_every_kind(secure_env: SecureEnv) -> None:
    env = secure_env
    with _statements(env) as seen:
        response = env.client.get("/api/v1/patients/c1-p1/alerts", headers=env.headers("c1", "prescriber"))
    assert response.status_code == 200
    assert _tables_read(seen) == set(RECORD_TABLES)
