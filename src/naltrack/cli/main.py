"""The ``naltrack`` command.

Each command lives in its own module of this package and is registered below. Bad input
exits with code 2 and a message that names the field, the value and the limit.
"""

from __future__ import annotations

import importlib
import sys

import click

from naltrack import __version__

#: (module, attribute) of every command; each module is a thin face over one service.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("naltrack.cli.serve", "serve"),
    ("naltrack.cli.demo", "demo"),
    ("naltrack.cli.stats", "stats"),
    ("naltrack.cli.records", "record"),
    ("naltrack.cli.score", "score_command"), ("naltrack.cli.readiness", "readiness"), ("naltrack.cli.rules", "rules"),
    ("naltrack.cli.security", "users"), ("naltrack.cli.security", "audit"),
    ("naltrack.cli.simulate", "simulate"), ("naltrack.cli.measure", "measure"),
    ("naltrack.cli.fhir", "fhir"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="naltrack")
def cli() -> None:
    """naltrack: run a naltrexone treatment program."""


def _register() -> None:
    for module_name, attr in COMMANDS:
        cli.add_command(getattr(importlib.import_module(module_name), attr))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    _register()
    try:
        cli.main(args=argv, prog_name="naltrack", standalone_mode=True)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
