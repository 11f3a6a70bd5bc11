"""``naltrack score``: score one response to a screening instrument."""

from __future__ import annotations

import json

import click

from naltrack.cli.errors import BadInput, bad_input_exits_2
from naltrack.instruments import Score, get_instrument, score
from naltrack.instruments.model import Subscale
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
    for line in render_text(result):
        click.echo(line)


def render_text(result: Score) -> list[str]:
    """The text format: the total and band, each subscale's score, then each flag with its meaning.

    An instrument without a summed total (the BAM) names the subscale stored as its total.
    """
    stored_as_total = get_instrument(result.instrument).total_subscale
    total = f"{result.total:g}" + (f" (the {stored_as_total} score)" if stored_as_total else "")
    lines = [f"{result.instrument}: total {total}, band {result.band}"]
    lines += [f"  {line}" for line in describe_subscales(result)]
    lines += [f"  flag {flag}: {FLAG_MEANINGS.get(flag, '')}" for flag in result.flags]
    return lines


def describe_subscales(result: Score) -> list[str]:
    """One line per subscale: its score out of its maximum, and whether it is in the range the
    instrument's source calls clinically significant (the BAM manual: use 1 or more, risk 12 or more,
    protection 12 or below; ``instruments/bam.py``). Empty for an instrument scored by its total alone.

    >>> describe_subscales(score("bam", [1, 2, 1, 0, None, 0] + [None] * 7 + [2, 3, 1, 0, 2, 3, 4, 1, 3, 3]))[0]
    'use 0 of 12 (Substance use): outside the clinically significant range (1 or more)'
    """
    if not result.subscales:
        return []
    instrument = get_instrument(result.instrument)
    lines = []
    for sub, (name, value) in zip(instrument.subscales, result.subscales, strict=True):
        side = "in" if sub.is_concern(value) else "outside"
        lines.append(f"{name} {value:g} of {instrument.subscale_max(sub):g} ({sub.label}): {side} the clinically "
                     f"significant range{_significant_range(sub)}")
    return lines


def _significant_range(sub: Subscale) -> str:
    """The subscale's clinically significant range in words (`` (12 or more)``)."""
    if sub.concern_from is not None:
        return f" ({sub.concern_from:g} or more)"
    if sub.concern_up_to is not None:
        return f" ({sub.concern_up_to:g} or below)"
    return ""
