"""Sign-in throttling: a progressive delay after failed sign-ins, counted in the database.

Failures are counted per user name and per client address in storage that every server
process shares and that survives a restart (:class:`SignInAttempts`). After
``free_failures`` failures for a key, the key waits ``first_delay``; every further failure
doubles the wait, up to ``max_delay``. A try during a wait is refused without checking the
password and without counting, so an attacker gets one guess per wait, and the real user
signs in with the right password as soon as the wait is over (a success clears the count of
the user name). A key whose last failure is older than ``forget_after`` starts again from
zero, and is deleted at the next successful sign-in. Keys are stored as SHA-256 digests: no
typed name or address is kept in the clear.
"""

from __future__ import annotations

import abc
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from naltrack.errors import TooManyAttempts


class SignInAttempts(abc.ABC):
    """Failed sign-ins per key, as the storage keeps them."""

    @abc.abstractmethod
    def blocked_until(self, keys: Sequence[str]) -> datetime | None:
        """The latest end of a wait over ``keys`` (``None`` if none ever waited)."""

    @abc.abstractmethod
    def add_failure(self, key: str, now: datetime, forget_before: datetime) -> int:
        """Count one failure at ``now``; the count restarts from one when the last failure was
        before ``forget_before``. Returns the new count (atomic across processes)."""

    @abc.abstractmethod
    def block(self, key: str, until: datetime) -> None:
        """Make ``key`` wait until ``until``."""

    @abc.abstractmethod
    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""

    @abc.abstractmethod
    def forget(self, before: datetime) -> None:
        """Forget every key whose last failure was before ``before``."""


def throttle_key(kind: str, value: str) -> str:
    """The stored key of a user name or an address: a SHA-256 digest of ``kind:value``."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@dataclass(frozen=True)
class SignInThrottle:
    """The limits: free failures per user name and per address (a clinic behind one address has
    many users), then a wait from ``first_delay`` doubling to ``max_delay``."""

    free_failures: int = 5
    free_failures_per_address: int = 30
    first_delay: timedelta = timedelta(seconds=15)
    max_delay: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def keys(self, username: str, address: str | None) -> tuple[str, str]:
        """The user-name key and the address key of one sign-in."""
        return throttle_key("user", username), throttle_key("addr", address or "-")

    def delay_after(self, failures: int, free: int) -> timedelta:
        """The wait after ``failures`` failures of a key allowed ``free`` ones (zero below it).

        >>> SignInThrottle().delay_after(4, 5), SignInThrottle().delay_after(5, 5)
        (datetime.timedelta(0), datetime.timedelta(seconds=15))
        >>> SignInThrottle().delay_after(7, 5), SignInThrottle().delay_after(40, 5)
        (datetime.timedelta(seconds=60), datetime.timedelta(seconds=900))
        """
        if failures < free:
            return timedelta(0)
        doublings = min(failures - free, 32)
        delay: timedelta = self.first_delay * (1 << doublings)
        return min(delay, self.max_delay)

    def check(self, attempts: SignInAttempts, keys: Sequence[str], now: datetime) -> None:
        """Raise :class:`TooManyAttempts` while any key waits."""
        until = attempts.blocked_until(keys)
        if until is not None and until > now:
            raise TooManyAttempts(max(1, math.ceil((until - now).total_seconds())))

    def record_success(self, attempts: SignInAttempts, keys: tuple[str, str], now: datetime) -> None:
        """Clear the user name's count, and delete every key forgotten by now (the table stays small)."""
        attempts.clear(keys[0])
        attempts.forget(now - self.forget_after)

    def record_failure(self, attempts: SignInAttempts, keys: tuple[str, str], now: datetime) -> None:
        """Count a failure for the user name and the address; start or lengthen their waits."""
        for key, free in zip(keys, (self.free_failures, self.free_failures_per_address), strict=True):
            delay = self.delay_after(attempts.add_failure(key, now, now - self.forget_after), free)
            if delay:
                attempts.block(key, now + delay)
