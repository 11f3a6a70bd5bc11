"""The ``naltrack`` command.

Each command lives in its own module of this package and is registered in :data:`COMMANDS`.
Modules are imported only when their command runs, so ``naltrack --help`` stays quick even
though ``simulate`` compiles numerical kernels. Bad input exits with code 2 and a message
that names the field, the value and the limit.
"""

from __future__ import annotations

import importlib
import sys

import click

from naltrack import __version__

#: name -> (module, attribute) of every command; each module is a thin face over one service.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("naltrack.cli.serve", "serve"),
    "demo": ("naltrack.cli.demo", "demo"),
    "stats": ("naltrack.cli.stats", "stats"),
    "record": ("naltrack.cli.records", "record"),
    "score": ("naltrack.cli.score", "score_command"),
    "readiness": ("naltrack.cli.readiness", "readiness"),
    "coverage": ("naltrack.cli.coverage", "coverage"),
    "rules": ("naltrack.cli.rules", "rules"),
    "clinics": ("naltrack.cli.clinics", "clinics"),
    "users": ("naltrack.cli.security", "users"),
    "audit": ("naltrack.cli.security", "audit"),
    "simulate": ("naltrack.cli.simulate", "simulate"),
    "measure": ("naltrack.cli.measure", "measure"),
    "fhir": ("naltrack.cli.fhir", "fhir"),
    "export": ("naltrack.cli.export", "export"),
    "documents": ("naltrack.cli.documents", "documents"),
    "reminders": ("naltrack.cli.reminders", "reminders"),
    "contact": ("naltrack.cli.reminders", "contact"),
}

_SUMMARIES: dict[str, str] = {
    "serve": "Serve the web app, the REST API, FHIR and CDS Hooks.",
    "demo": "Fill the database with a synthetic program.",
    "stats": "Count the records of each type in the database.",
    "record": "Record an injection, an oral dose or a lab result.",
    "score": "Score a screening instrument.",
    "readiness": "Assess induction readiness from a FHIR R4 bundle.",
    "coverage": "Opioid blockade on a day from a FHIR R4 bundle.",
    "rules": "List every clinical rule with its id, severity and source.",
    "clinics": "Add a clinic, or change its name, time zone or phone.",
    "users": "Manage user accounts.",
    "audit": "Verify or export the tamper-evident audit log.",
    "simulate": "Simulate a population on a naltrexone regimen.",
    "measure": "Program outcome and quality measures (retention, cascade, POD, IET).",
    "fhir": "Export or import FHIR R4 records.",
    "export": "Export the program's records as OMOP CDM tables (a consented disclosure).",
    "documents": "Print a patient document: wallet card, after-visit summary, consent form, ...",
    "reminders": "Queue, send and list patient reminders (e-mail, SMS).",
    "contact": "Record or withdraw a patient's consent to reminders.",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"COMMANDS[{cmd_name!r}] names {module_name}.{attr}, which is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands from their summaries, without importing them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, _SUMMARIES[name]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="naltrack")
def cli() -> None:
    """naltrack: run a naltrexone treatment program."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        cli.main(args=argv, prog_name="naltrack", standalone_mode=True)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
