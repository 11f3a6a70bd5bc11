"""Every registered command imports, and the help lists them without importing any."""

from __future__ import annotations

import click
import pytest

from naltrack.cli.main import _SUMMARIES, COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_is_a_click_command_with_a_summary(name: str) -> None:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert isinstance(command, click.Command)
    assert _SUMMARIES[name]


def test_unknown_command_is_none() -> None:
    assert cli.get_command(click.Context(cli), "nosuch") is None
