"""How the CLI reports bad input: a one-line message on stderr and exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from naltrack.domain.errors import DomainError

EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """A usage or data error: exit code 2."""

    exit_code = EXIT_BAD_INPUT


@contextmanager
def bad_input_exits_2() -> Iterator[None]:
    """Turn domain input errors into :class:`BadInput` (exit 2)."""
    try:
        yield
    except DomainError as error:  # InvalidInput, NotFound, NotEligible, Conflict: all the caller's input
        raise BadInput(str(error)) from error
