"""A short-lived, in-process memory of token look-ups, so that a request whose token was looked up a
moment ago authenticates without a database round trip or a worker thread.

What it keeps: for a token's SHA-256 hash (never the token), the stored token and its user as the
database gave them, for at most :data:`TOKEN_CACHE_TTL_S` seconds. Unknown hashes are not kept (every
wrong token still costs a look-up). The checks stay where they were: the caller still tests the kind,
the expiry against the request's clock, the revocation time and whether the user is active on what
it gets, so an expired token is refused at once whether remembered or not.

Revocation: a commit that revoked a token (sign-out, ``DELETE /api/v1/auth/token``) calls
:func:`forget_cached_tokens`, which drops everything this process remembers, in every application
of the process, before the revocation's answer is sent. A look-up that read the database before
that commit and finishes after it is not kept (the generation it started under is gone). Another
process (a second worker, the CLI) does not hear of it: there the token keeps working for at most
:data:`TOKEN_CACHE_TTL_S` seconds after the revocation. The same bound holds for a user changed in
the database by hand (role, clinic, ``active``); naltrack itself changes none of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from naltrack.domain.security.accounts import User
from naltrack.services.security_ports import StoredToken

#: How long a looked-up token is remembered: the most a revocation made in another process waits.
TOKEN_CACHE_TTL_S = 2.0
#: At most this many hashes are remembered per application; past it, all are forgotten at once.
TOKEN_CACHE_MAX_ENTRIES = 10_000

Found = tuple[StoredToken, User]
_lock = threading.Lock()
_generation = 0


def forget_cached_tokens() -> None:
    """Forget every remembered look-up of this process (after a commit that revoked a token)."""
    global _generation
    with _lock:
        _generation += 1


class _Entry(NamedTuple):
    found: Found
    until: float
    generation: int


class CachedTokenLookup:
    """``lookup`` (a token hash to the stored token and its user, or ``None``), remembered briefly.

    Calling it looks up as ``lookup`` does (it may do I/O); :meth:`find_cached` only reads memory, so an
    event loop may call it.
    """

    def __init__(self, lookup: Callable[[str], Found | None], ttl_s: float = TOKEN_CACHE_TTL_S,
                 max_entries: int = TOKEN_CACHE_MAX_ENTRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self._lookup = lookup
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def find_cached(self, token_hash: str) -> Found | None:
        """What a look-up of ``token_hash`` gave less than the TTL ago, if nothing was revoked since."""
        entry = self._entries.get(token_hash)
        if entry is None or entry.generation != _generation or self._clock() >= entry.until:
            return None
        return entry.found

    def __call__(self, token_hash: str) -> Found | None:
        cached = self.find_cached(token_hash)
        if cached is not None:
            return cached
        generation, started = _generation, self._clock()
        found = self._lookup(token_hash)
        if found is not None and generation == _generation:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[token_hash] = _Entry(found, started + self._ttl_s, generation)
        return found
