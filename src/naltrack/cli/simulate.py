"""``naltrack simulate``: a virtual population on a standard regimen, as JSON or CSV, with a plot.

Bad input (unknown regimen, zero or negative days or subjects, a plot file that is neither
.png nor .html) exits with code 2 before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import click

from naltrack.cli.errors import BadInput
from naltrack.pk.params import InvalidPkInput
from naltrack.pk.population import PopulationResult, Scenario, parse_regimen, simulate_population

#: Runs with more subjects than this report progress on stderr.
PROGRESS_FROM_SUBJECTS = 50_000


@click.command("simulate")
@click.option("--regimen", required=True, help="oral-50-daily, xr-ntx-380-q4w or implant-MG (e.g. implant-1700)")
@click.option("--late-days", type=int, default=0, show_default=True,
              help="xr-ntx: each injection after the first comes K days late")
@click.option("--missed-injection", type=int, default=None, help="xr-ntx: skip the N-th injection (N >= 2)")
@click.option("--adherence", type=float, default=1.0, show_default=True, help="oral: probability each tablet is taken")
@click.option("--dropout", type=float, default=0.0, show_default=True, help="daily probability of stopping for good")
@click.option("--subjects", type=int, default=1000, show_default=True, help="virtual subjects")
@click.option("--days", type=int, default=180, show_default=True, help="days simulated (hourly output)")
@click.option("--seed", type=int, default=0, show_default=True, help="random seed")
@click.option("--format", "format_", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--plot", "plot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also draw the band and thresholds: FILE.png or FILE.html")
def simulate(regimen: str, late_days: int, missed_injection: int | None, adherence: float, dropout: float,
             subjects: int, days: int, seed: int, format_: str, plot: Path | None) -> None:
    """Simulate virtual patients: hourly percentiles and the daily probability of protection."""
    _check_plot_path(plot)
    scenario = Scenario(late_days=late_days, missed_injection=missed_injection, oral_adherence=adherence,
                        dropout_per_day=dropout)
    try:
        spec = parse_regimen(regimen)
        scenario.check(spec)
        result = simulate_population(spec, subjects, days, seed=seed, scenario=scenario,
                                     progress=_progress if subjects > PROGRESS_FROM_SUBJECTS else None)
    except InvalidPkInput as error:
        raise BadInput(str(error)) from error
    if plot is not None:
        _write_plot(result, plot)
    click.echo(render_json(result) if format_ == "json" else render_csv(result), nl=False)


def _progress(done: int, total: int) -> None:
    click.echo(f"simulate: {done:,} of {total:,} subjects", err=True)


def _check_plot_path(plot: Path | None) -> None:
    if plot is None:
        return
    if plot.suffix.lower() not in (".png", ".html"):
        raise BadInput(f"plot: {str(plot)!r} must end in .png or .html")
    if not plot.parent.resolve().is_dir():
        raise BadInput(f"plot: {str(plot)!r} is in a folder that does not exist")


def _rounded(values: object) -> list[float]:
    return [round(float(v), 4) for v in values]  # type: ignore[attr-defined]


def render_json(result: PopulationResult) -> str:
    """The issue's JSON shape: regimen, subjects, days, hours, percentiles, daily probability."""
    doc = {
        "regimen": result.regimen,
        "subjects": result.subjects,
        "days": result.days,
        "hours": [int(h) for h in result.hours],
        "concentration_ng_ml": {f"p{q}": _rounded(v) for q, v in sorted(result.percentiles_ng_ml.items())},
        "probability_protected_by_day": _rounded(result.probability_protected_by_day),
    }
    return json.dumps(doc, separators=(",", ":")) + "\n"


def render_csv(result: PopulationResult) -> str:
    """One row per hour; the day's probability of protection repeats on the hours of that day."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    qs = sorted(result.percentiles_ng_ml)
    writer.writerow(["hour", "day", *[f"p{q}_ng_ml" for q in qs], "probability_protected_day"])
    for h in result.hours:
        day = int(h) // 24
        prob = result.probability_protected_by_day[day] if day < result.days else ""
        writer.writerow([int(h), day, *[round(float(result.percentiles_ng_ml[q][h]), 4) for q in qs],
                         round(float(prob), 4) if prob != "" else ""])
    return out.getvalue()


def _write_plot(result: PopulationResult, path: Path) -> None:
    """Write the plot to a temporary file next to ``path``, then move it in place."""
    fd, tmp = tempfile.mkstemp(suffix=path.suffix, dir=path.parent.resolve())
    os.close(fd)
    try:
        if path.suffix.lower() == ".png":
            _png(result, Path(tmp))
        else:
            _html(result, Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _title(result: PopulationResult) -> str:
    return f"{result.regimen}: {result.subjects:,} virtual subjects, median and 90% band"


def _png(result: PopulationResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = result.hours / 24.0
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, height_ratios=(3, 1))
    ax.fill_between(days, result.percentiles_ng_ml[5], result.percentiles_ng_ml[95], alpha=0.3, label="5th–95th")
    ax.plot(days, result.percentiles_ng_ml[50], lw=1.5, label="median")
    for value, name, style in _threshold_lines(result):
        ax.axhline(value, color="grey", ls=style, lw=1)
        ax.text(days[-1], value, f" {name} {value:g}", va="center", fontsize=8)
    ax.set_yscale("log")
    top = max(float(result.percentiles_ng_ml[95].max()), 4.0 * result.thresholds.protected_ng_ml)
    ax.set_ylim(0.1 * result.thresholds.waning_ng_ml, 1.5 * top)
    ax.set_ylabel("plasma naltrexone (ng/mL)")
    ax.set_title(_title(result))
    ax.legend(loc="upper right")
    probability = list(result.probability_protected_by_day)
    ax2.step(range(result.days + 1), probability + probability[-1:], where="post")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("P(protected)")
    ax2.set_xlabel("day")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _html(result: PopulationResult, path: Path) -> None:
    import plotly.graph_objects as go

    days = (result.hours / 24.0).tolist()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=days, y=result.percentiles_ng_ml[95].tolist(), line={"width": 0}, name="95th"))
    fig.add_trace(go.Scatter(x=days, y=result.percentiles_ng_ml[5].tolist(), fill="tonexty", line={"width": 0},
                             name="5th"))
    fig.add_trace(go.Scatter(x=days, y=result.percentiles_ng_ml[50].tolist(), name="median"))
    for value, name, _ in _threshold_lines(result):
        fig.add_hline(y=value, line_dash="dash", annotation_text=f"{name} {value:g} ng/mL")
    fig.update_layout(title=_title(result), xaxis_title="day", yaxis_title="plasma naltrexone (ng/mL)")
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)


def _threshold_lines(result: PopulationResult) -> list[tuple[float, str, str]]:
    t = result.thresholds
    return [(t.protected_ng_ml, "protected", "-"), (t.partial_ng_ml, "partial", "--"),
            (t.waning_ng_ml, "waning", ":")]
