"""``naltrack score``: score one response to a screening instrument."""

from __future__ import annotations

import json

import click

from naltrack.cli.errors import BadInput, bad_input_exits_2
from naltrack.instruments import score
from naltrack.instruments.scoring import FLAG_MEANINGS


def parse_answers(raw: str) -> list[int | float | None]:
    """``"1,0,2"`` -> ``[1, 0, 2]``; an empty position is a missing answer (``None``)."""
    answers: list[int | float | None] = []
    for position, token in enumerate(raw.split(","), start=1):
        token = token.strip()
        if not token:
            answers.append(None)
            continue
        try:
            number = float(token)
        except ValueError:
            raise BadInput(f"--answers: {token!r} at position {position} is not a number") from None
        answers.append(int(number) if number.is_integer() else number)
    return answers


@click.command("score")
@click.argument("instrument")
@click.option("--answers", required=True, help="Points of each item in form order, comma-separated: 1,0,2,...")
@click.option("--sex", type=click.Choice(["female", "male"]), default=None,
              help="Sets the AUDIT-C cut-off (women >=3, men >=4).")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
def score_command(instrument: str, answers: str, sex: str | None, fmt: str) -> None:
    """Score INSTRUMENT (one of: audit, audit-c, cage, dast-10, phq-9, gad-7, cows, craving-vas, bam)."""
    with bad_input_exits_2():
        result = score(instrument, parse_answers(answers), sex=sex)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict()))
        return
    click.echo(f"{result.instrument}: total {result.total:g}, band {result.band}")
    for flag in result.flags:
        click.echo(f"  flag {flag}: {FLAG_MEANINGS.get(flag, '')}")

