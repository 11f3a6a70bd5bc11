"""``naltrack simulate``: JSON and CSV shapes, plots, progress, and bad input (exit 2, nothing written)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.cli.main import main
from naltrack.cli.simulate import simulate

SMALL = ["--subjects", "200", "--days", "30", "--seed", "3"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(simulate, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_has_the_issue_shape() -> None:
    code, out, _ = _run("--regimen", "xr-ntx-380-q4w", *SMALL, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"regimen", "subjects", "days", "hours", "concentration_ng_ml", "probability_protected_by_day"}
    assert (doc["regimen"], doc["subjects"], doc["days"]) == ("xr-ntx-380-q4w", 200, 30)
    assert doc["hours"] == list(range(30 * 24 + 1))
    assert set(doc["concentration_ng_ml"]) == {"p5", "p50", "p95"}
    p5, p50, p95 = (doc["concentration_ng_ml"][k] for k in ("p5", "p50", "p95"))
    assert len(p50) == 721 and all(a <= b <= c for a, b, c in zip(p5, p50, p95, strict=True))
    assert len(doc["probability_protected_by_day"]) == 30
    assert doc["probability_protected_by_day"][5] > 0.9


def test_same_seed_gives_the_same_output() -> None:
    assert _run("--regimen", "oral-50-daily", *SMALL)[1] == _run("--regimen", "oral-50-daily", *SMALL)[1]


def test_csv_has_one_row_per_hour() -> None:
    code, out, _ = _run("--regimen", "implant-1700", *SMALL, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 721
    assert list(rows[0]) == ["hour", "day", "p5_ng_ml", "p50_ng_ml", "p95_ng_ml", "probability_protected_day"]
    assert float(rows[24 * 10]["p50_ng_ml"]) > 2.0 and rows[-1]["probability_protected_day"] == ""


def test_late_days_lower_protection_at_day_30() -> None:
    on_time = json.loads(_run("--regimen", "xr-ntx-380-q4w", "--subjects", "300", "--days", "40")[1])
    late = json.loads(_run("--regimen", "xr-ntx-380-q4w", "--subjects", "300", "--days", "40", "--late-days", "7")[1])
    assert late["probability_protected_by_day"][30] < on_time["probability_protected_by_day"][30]


@pytest.mark.parametrize("suffix", [".png", ".html"])
def test_plot_is_written(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"band{suffix}"
    code, _, _ = _run("--regimen", "xr-ntx-380-q4w", *SMALL, "--plot", str(target))
    assert code == 0
    data = target.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        text = data.decode("utf-8")
        # Self-contained: plotly.js is embedded, no script is fetched from elsewhere.
        assert "plotly" in text and "protected 2 ng\\u002fmL" in text and "<script src=" not in text


def test_long_runs_report_progress_on_stderr() -> None:
    code, _, err = _run("--regimen", "xr-ntx-380-q4w", "--subjects", "60000", "--days", "2")
    assert code == 0
    assert "simulate: 20,000 of 60,000 subjects" in err and "60,000 of 60,000" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--regimen", "xr-ntx-100-q2w"], "regimen: 'xr-ntx-100-q2w' must be oral-50-daily, xr-ntx-380-q4w"),
        (["--regimen", "oral-50-daily", "--days", "0"], "days: 0 must be a whole number from 1 to 730"),
        (["--regimen", "oral-50-daily", "--days", "-5"], "days: -5 must be a whole number"),
        (["--regimen", "oral-50-daily", "--subjects", "0"], "subjects: 0 must be a whole number from 1"),
        (["--regimen", "oral-50-daily", "--subjects", "-10"], "subjects: -10 must be"),
        (["--regimen", "oral-50-daily", "--late-days", "3"], "late_days: 3 applies to xr-ntx-380-q4w only"),
        (["--regimen", "xr-ntx-380-q4w", "--adherence", "1.5"], "oral_adherence: 1.5 must be above 0"),
    ],
)
def test_bad_input_exits_2_and_writes_no_plot(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "never.png"
    code, out, err = _run(*args, "--plot", str(target))
    assert code == 2
    assert message in err
    assert out == "" and not target.exists()


def test_plot_must_be_png_or_html(tmp_path: Path) -> None:
    code, _, err = _run("--regimen", "oral-50-daily", "--plot", str(tmp_path / "band.pdf"))
    assert code == 2 and "band.pdf' must end in .png or .html" in err
    assert not (tmp_path / "band.pdf").exists()


def test_registered_in_the_naltrack_command() -> None:
    assert main(["simulate", "--help"]) == 0
