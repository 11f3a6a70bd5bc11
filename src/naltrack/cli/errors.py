"""How the CLI reports bad input: a one-line message on stderr and exit code 2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from naltrack.domain.errors import DomainError, InvalidInput, NotFound

P = ParamSpec("P")
T = TypeVar("T")

EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """A usage or data error: exit code 2."""

    exit_code = EXIT_BAD_INPUT


@contextmanager
def bad_input_exits_2() -> Iterator[None]:
    """Turn domain input errors into :class:`BadInput` (exit 2)."""
    try:
        yield
    except (InvalidInput, NotFound) as error:
        raise BadInput(str(error)) from error
    except DomainError as error:
        raise BadInput(str(error)) from error


def exits_2_on_bad_input(func: Callable[P, T]) -> Callable[P, T]:
    """Decorator form of :func:`bad_input_exits_2` for click commands."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with bad_input_exits_2():
            return func(*args, **kwargs)

    return wrapper
