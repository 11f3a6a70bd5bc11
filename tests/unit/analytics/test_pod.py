"""HEDIS POD on DuckDB: boundaries of clinical.md §7.2, bad rows, and a reference implementation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naltrack.analytics.pod import measure_pod, pod_code_rules
from naltrack.domain.errors import InvalidInput

D0 = date(2026, 1, 1)
ORAL_NTX, XR_NTX, BUP_FILM, CONTRAVE = "1483744", "637213", "1010604", "1551468"
Row = tuple[str, date | str, str, int | str | None]


def _csv(tmp_path: Path, rows: list[Row]) -> Path:
    path = tmp_path / "dispensing.csv"
    lines = ["patient_id,date,rxnorm,days_supply"]
    for pid, when, code, days in rows:
        lines.append(f"{pid},{when},{code},{'' if days is None else days}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _day(n: int) -> date:
    return D0 + timedelta(days=n)


def _oral_fills(starts: list[int], days: int = 30, pid: str = "p") -> list[Row]:
    return [(pid, _day(s), ORAL_NTX, days) for s in starts]


@pytest.mark.parametrize(("second_fill", "numerator"), [(37, True), (38, False)])
def test_gap_of_seven_days_continues_and_eight_breaks(tmp_path: Path, second_fill: int, numerator: bool) -> None:
    # First fill covers days 0..29; a fill on day 37 leaves a 7-day gap (30..36), on day 38 an 8-day gap.
    rows = _oral_fills([0]) + [("p", _day(second_fill), ORAL_NTX, 180)]
    result = measure_pod(_csv(tmp_path, rows))
    assert (result.denominator, result.numerator) == (1, int(numerator))


@pytest.mark.parametrize(("supply", "numerator", "days"), [(180, 1, 180), (179, 0, 179)])
def test_exactly_180_days_is_enough(tmp_path: Path, supply: int, numerator: int, days: int) -> None:
    result = measure_pod(_csv(tmp_path, [("p", D0, ORAL_NTX, supply)]))
    assert result.numerator == numerator
    assert result.episodes[0].continuous_days == days
    assert result.episodes[0].treatment_period_end == _day(179)


@pytest.mark.parametrize(("interval", "numerator"), [(38, 1), (39, 0)])
def test_an_injection_counts_31_days(tmp_path: Path, interval: int, numerator: int) -> None:
    """31 days per injection: every 38 days leaves 7-day gaps (continues), every 39 days 8-day gaps."""
    rows: list[Row] = [
        ("p", _day(k * interval), XR_NTX, None) for k in range(6)]
    result = measure_pod(_csv(tmp_path, rows))
    assert result.numerator == numerator


def test_injection_days_supply_in_the_file_is_overridden_by_31(tmp_path: Path) -> None:
    result = measure_pod(_csv(tmp_path, [("p", D0, XR_NTX, 90)]))
    assert result.episodes[0].continuous_days == 31


@pytest.mark.parametrize(("restart", "episodes"), [(61, 2), (60, 1)])
def test_new_episode_after_31_treatment_free_days(tmp_path: Path, restart: int, episodes: int) -> None:
    # Days 0..29 covered; a restart on day 61 follows 31 free days (30..60): a new episode.
    result = measure_pod(_csv(tmp_path, _oral_fills([0, restart])))
    assert result.denominator == episodes


def test_same_medication_overlaps_are_summed_and_different_ones_are_not(tmp_path: Path) -> None:
    same = measure_pod(_csv(tmp_path, _oral_fills([0, 10])))
    assert same.episodes[0].continuous_days == 60
    mixed = measure_pod(_csv(tmp_path, [("p", D0, ORAL_NTX, 30), ("p", _day(10), BUP_FILM, 30)]))
    assert mixed.episodes[0].continuous_days == 40


def test_missing_buprenorphine_supply_counts_seven_days(tmp_path: Path) -> None:
    result = measure_pod(_csv(tmp_path, [("p", D0, BUP_FILM, None)]))
    assert result.episodes[0].continuous_days == 7


def test_contrave_is_ignored(tmp_path: Path) -> None:
    result = measure_pod(_csv(tmp_path, [("p", D0, CONTRAVE, 180), ("q", D0, "7052", 10)]))
    assert (result.denominator, result.numerator, result.rate) == (0, 0, None)
    assert pod_code_rules()[CONTRAVE].group is None


def test_intake_period_selects_episode_starts(tmp_path: Path) -> None:
    rows = _oral_fills([0], pid="early") + _oral_fills([100], pid="late", days=180)
    path = _csv(tmp_path, rows)
    assert measure_pod(path, start=_day(50), end=_day(150)).denominator == 1
    assert measure_pod(path, start=_day(50), end=_day(150)).rate == 1.0
    assert measure_pod(path).denominator == 2


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (("p", "2026-13-01", ORAL_NTX, 30), r"dispensing.csv row 2, date: '2026-13-01' is not a date"),
        (("p", "01/02/2026", ORAL_NTX, 30), r"row 2, date: '01/02/2026' is not a date"),
        (("p", D0, "999999", 30), r"row 2, rxnorm: '999999' is not a known RxNorm code"),
        (("p", D0, ORAL_NTX, -5), r"row 2, days_supply: '-5' must be between 1 and 365 days"),
        (("p", D0, ORAL_NTX, 0), r"row 2, days_supply: '0' must be between 1 and 365"),
        (("p", D0, ORAL_NTX, "ten"), r"row 2, days_supply: 'ten' is not a whole number"),
        (("p", D0, ORAL_NTX, None), r"row 2, days_supply: '' is required for 1483744"),
        (("", D0, ORAL_NTX, 30), r"row 2, patient_id: '' is required"),
    ],
)
def test_bad_rows_name_row_field_and_value(tmp_path: Path, bad: Row,
                                           match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        measure_pod(_csv(tmp_path, [("ok", D0, ORAL_NTX, 30), bad, ("ok", _day(40), "nope", 1)]))


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("patient_id,date,code\np,2026-01-01,637213\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="header: 'patient_id,date,code' must be patient_id,date,rxnorm,days_supply"):
        measure_pod(path)


def test_rejects_an_intake_period_that_ends_before_it_starts(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="end: '2026-01-01' is before the start 2026-02-01"):
        measure_pod(_csv(tmp_path, []), start=_day(31), end=D0)


def _reference(rows: list[tuple[str, int, str, int | None]]) -> list[tuple[str, int, int, bool]]:
    """Day-set version of the measure, written independently of the SQL."""
    rules = pod_code_rules()
    out = []
    for pid in sorted({r[0] for r in rows}):
        covered: set[int] = set()
        for group in {rules[c].group for p, _, c, _ in rows if p == pid} - {None}:
            fills: dict[int, int] = {}
            for p, day, code, supply in rows:
                rule = rules[code]
                if p == pid and rule.group == group:
                    fills[day] = fills.get(day, 0) + (rule.fixed_days or supply or rule.default_days or 0)
            free = None
            for day in sorted(fills):
                begin = day if free is None else max(day, free)
                covered.update(range(begin, begin + fills[day]))
                free = begin + fills[day]
        for d in sorted(covered):
            if any(d - k in covered for k in range(1, 32)):
                continue
            end, gap = d, 0
            x = d + 1
            while gap < 8 and x <= max(covered) + 1:
                if x in covered:
                    end, gap = x, 0
                else:
                    gap += 1
                x += 1
            out.append((pid, d, min(end, d + 179) - d + 1, end >= d + 179))
    return out


fill = st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 300), st.sampled_from([ORAL_NTX, XR_NTX, BUP_FILM]),
                 st.one_of(st.none(), st.integers(1, 60)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(fill, min_size=1, max_size=12))
def test_matches_an_independent_reference(tmp_path: Path, rows: list[tuple[str, int, str, int | None]]) -> None:
    rows = [(p, d, c, s if c != ORAL_NTX or s is not None else 30) for p, d, c, s in rows]
    result = measure_pod(_csv(tmp_path, [(p, _day(d), c, s) for p, d, c, s in rows]))
    got = [(e.patient_id, (e.start - D0).days, e.continuous_days, e.numerator) for e in result.episodes]
    assert got == _reference(rows)
