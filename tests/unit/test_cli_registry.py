"""Every registered command imports, and the help lists them without importing any."""

from __future__ import annotations

import pkgutil

import click
import pytest

import naltrack.cli
from naltrack.cli.main import _SUMMARIES, COMMANDS, cli

#: Modules of the CLI package that are not commands: the group, error mapping, the application helper.
NOT_COMMANDS = {"main", "errors", "app"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_is_a_click_command_with_a_summary(name: str) -> None:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert isinstance(command, click.Command)
    assert _SUMMARIES[name]


def test_unknown_command_is_none() -> None:
    assert cli.get_command(click.Context(cli), "nosuch") is None


def test_every_command_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(naltrack.cli.__path__)} - NOT_COMMANDS
    registered = {module.rsplit(".", 1)[1] for module, _ in COMMANDS.values()}
    assert modules == registered
