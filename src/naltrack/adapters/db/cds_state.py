"""The CDS Hooks service's memory between calls in the database
(:class:`~naltrack.services.cds_state.CdsCallState`), shared by every server process.

Each answer is one statement, atomic across processes on SQLite (3.35+) and PostgreSQL: a token is
claimed by ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the earlier use has expired ``RETURNING``, so of
two processes receiving the same token at once exactly one gets a row back; a feedback call is counted by
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` as sign-in failures are
(:mod:`naltrack.adapters.db.sign_in_attempts`). Expired tokens, ended windows and cards older than
:data:`~naltrack.services.cds_state.CARD_MEMORY` are deleted by the call that writes after
:data:`PURGE_EVERY` writes of the process.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from naltrack.adapters.db.cds_tables import cds_call_windows, cds_issued_cards, cds_used_tokens
from naltrack.services.cds_state import CARD_MEMORY, FEEDBACK_WINDOW, CdsCallState, IssuedCard

#: Writes of a process between two purges of what has expired.
PURGE_EVERY = 500
_writes = itertools.count(1)


class SqlCdsCallState(CdsCallState):
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._dialect = postgresql if connection.dialect.name == "postgresql" else sqlite

    def first_use(self, key: str, until: datetime, now: datetime) -> bool:
        self._purge(now)
        t = cds_used_tokens
        statement = self._dialect.insert(t).values(key=key, expires_at=until)
        statement = statement.on_conflict_do_update(index_elements=[t.c.key], set_={"expires_at": until},
                                                    where=t.c.expires_at < now)
        return self._c.execute(statement.returning(t.c.key)).first() is not None

    def count_call(self, key: str, now: datetime) -> tuple[int, datetime]:
        self._purge(now)
        w = cds_call_windows
        ended = w.c.window_start <= now - FEEDBACK_WINDOW
        statement = self._dialect.insert(w).values(key=key, window_start=now, calls=1)
        statement = statement.on_conflict_do_update(index_elements=[w.c.key], set_={
            "calls": sa.case((ended, 1), else_=w.c.calls + 1),
            "window_start": sa.case((ended, sa.literal(now, w.c.window_start.type)), else_=w.c.window_start),
        })
        calls, start = self._c.execute(statement.returning(w.c.calls, w.c.window_start)).one()
        return int(calls), start

    def remember_cards(self, cards: Sequence[tuple[str, IssuedCard]], now: datetime) -> None:
        if not cards:
            return
        self._purge(now)
        rows = [{"card_uuid": uuid, "service_id": c.service_id, "rule": c.rule, "ehr_patient_id": c.patient_id,
                 "indicator": c.indicator, "caller": c.caller or "", "linked_patient_id": c.linked_patient,
                 "issued_at": now} for uuid, c in cards]
        statement = self._dialect.insert(cds_issued_cards).on_conflict_do_nothing(
            index_elements=[cds_issued_cards.c.card_uuid])
        self._c.execute(statement, rows)

    def issued_cards(self, uuids: Sequence[str], now: datetime) -> dict[str, IssuedCard]:
        if not uuids:
            return {}
        t = cds_issued_cards
        query = sa.select(t).where(t.c.card_uuid.in_(sorted(set(uuids))), t.c.issued_at >= now - CARD_MEMORY)
        return {r.card_uuid: IssuedCard(r.service_id, r.rule, r.ehr_patient_id, r.indicator, r.caller or None,
                                        r.linked_patient_id) for r in self._c.execute(query)}

    def _purge(self, now: datetime) -> None:
        if next(_writes) % PURGE_EVERY:
            return
        self._c.execute(sa.delete(cds_used_tokens).where(cds_used_tokens.c.expires_at < now))
        self._c.execute(sa.delete(cds_call_windows).where(cds_call_windows.c.window_start <= now - FEEDBACK_WINDOW))
        self._c.execute(sa.delete(cds_issued_cards).where(cds_issued_cards.c.issued_at < now - CARD_MEMORY))
