"""How the CLI reports errors: a one-line message on stderr and the exit code of the error's type.

Every class of :mod:`naltrack.errors` has its exit code in :data:`EXIT_CODES`, looked up by
type, never by message. All of them are the caller's input today (a value, a user, a
patient, a version or a consent), so all exit with code 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import click

from naltrack.errors import ERROR_CLASSES, DomainError

EXIT_BAD_INPUT = 2

#: The exit code of every error class (a subclass is listed even when it exits as its parent).
EXIT_CODES: dict[type[DomainError], int] = dict.fromkeys(ERROR_CLASSES, EXIT_BAD_INPUT)


class BadInput(click.ClickException):
    """A usage or data error: exit code 2."""

    exit_code = EXIT_BAD_INPUT


def exit_code_of(error: DomainError) -> int:
    """The exit code of ``error``: its own class's, else its nearest listed ancestor's."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_CODES[DomainError]


@cache
def _failure_class(code: int) -> type[click.ClickException]:
    """The click exception that exits with ``code`` (:class:`BadInput` for 2)."""
    if code == EXIT_BAD_INPUT:
        return BadInput
    return type(f"ExitCode{code}", (click.ClickException,), {"exit_code": code})


@contextmanager
def bad_input_exits_2() -> Iterator[None]:
    """Turn an error of the hierarchy into a one-line message and its exit code (:data:`EXIT_CODES`)."""
    try:
        yield
    except DomainError as error:
        raise _failure_class(exit_code_of(error))(str(error)) from error
