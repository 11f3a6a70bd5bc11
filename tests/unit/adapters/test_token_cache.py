"""The brief memory of token look-ups: what it keeps, for how long, and what makes it forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from naltrack.adapters.db.token_cache import TOKEN_CACHE_TTL_S, CachedTokenLookup, forget_cached_tokens
from naltrack.domain.security.accounts import User
from naltrack.services.security_ports import StoredToken

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
USER = User(id="u1", username="nurse.c1", role="nurse", clinic_id="c1", active=True, created_at=NOW)
TOKEN = StoredToken("t1", "hash-1", "u1", "bearer", NOW, NOW + timedelta(hours=12))


class Clock:
    def __init__(self) -> None:
        self.s = 100.0

    def __call__(self) -> float:
        return self.s


class Database:
    """A look-up that counts its calls and can run something while it 'reads'."""

    def __init__(self, rows: dict[str, tuple[StoredToken, User]]) -> None:
        self.rows = rows
        self.calls: list[str] = []
        self.during_read = lambda: None

    def __call__(self, token_hash: str) -> tuple[StoredToken, User] | None:
        self.calls.append(token_hash)
        self.during_read()
        return self.rows.get(token_hash)


def make(rows: dict[str, tuple[StoredToken, User]] | None = None,
         max_entries: int = 100) -> tuple[CachedTokenLookup, Database, Clock]:
    database, clock = Database({"hash-1": (TOKEN, USER)} if rows is None else rows), Clock()
    return CachedTokenLookup(database, max_entries=max_entries, clock=clock), database, clock


def test_the_ttl_is_a_few_seconds() -> None:
    assert 0 < TOKEN_CACHE_TTL_S <= 5


def test_a_found_token_is_remembered_until_the_ttl_and_looked_up_again_at_it() -> None:
    lookup, database, clock = make()
    assert lookup.find_cached("hash-1") is None
    assert lookup("hash-1") == (TOKEN, USER)
    clock.s += TOKEN_CACHE_TTL_S - 0.001
    assert lookup.find_cached("hash-1") == (TOKEN, USER) and lookup("hash-1") == (TOKEN, USER)
    assert database.calls == ["hash-1"]
    clock.s += 0.001
    assert lookup.find_cached("hash-1") is None
    assert lookup("hash-1") == (TOKEN, USER) and database.calls == ["hash-1", "hash-1"]


def test_an_unknown_hash_is_never_remembered() -> None:
    lookup, database, _clock = make()
    assert lookup("hash-x") is None and lookup("hash-x") is None
    assert lookup.find_cached("hash-x") is None and database.calls == ["hash-x", "hash-x"]


def test_a_revocation_in_the_process_forgets_every_lookup_of_every_application() -> None:
    first, first_db, _ = make()
    second, second_db, _ = make()
    first("hash-1"), second("hash-1")
    forget_cached_tokens()
    assert first.find_cached("hash-1") is None and second.find_cached("hash-1") is None
    first("hash-1"), second("hash-1")
    assert len(first_db.calls) == len(second_db.calls) == 2


def test_a_lookup_that_read_before_a_revocation_committed_is_not_kept() -> None:
    lookup, database, _clock = make()
    database.during_read = forget_cached_tokens  # the revocation commits while the row is being read
    assert lookup("hash-1") == (TOKEN, USER)  # this request was already under way: answered as read
    assert lookup.find_cached("hash-1") is None


def test_the_memory_is_bounded() -> None:
    rows = {f"hash-{n}": (TOKEN, USER) for n in range(5)}
    lookup, _database, _clock = make(rows, max_entries=3)
    for n in range(5):
        lookup(f"hash-{n}")
    assert len(lookup._entries) <= 3
    assert lookup.find_cached("hash-4") == (TOKEN, USER)
