"""POD from the program's doses equals POD from the dispensing CSV exported from the same doses."""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics.course_factory import IMPLANT, ORAL_NTX, XR_NTX, day, injections, make_course

from naltrack.analytics.courses import Dose, PatientCourse
from naltrack.analytics.pod import (
    DispensingRow,
    PodEpisode,
    PodResult,
    dispensing_rows,
    measure_pod,
    measure_pod_rows,
    pod_reason,
    write_dispensing_csv,
)
from naltrack.domain.errors import InvalidInput


def _pod_via_csv(rows: list[DispensingRow], start: date | None = None, end: date | None = None) -> PodResult:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dispensing.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            write_dispensing_csv(rows, handle)
        return measure_pod(path, start=start, end=end)


def test_doses_become_rows_with_their_supplies() -> None:
    course = make_course("p", doses=(
        Dose(day(3), "oral", ORAL_NTX, days_supply=30), Dose(day(1), "oral", ORAL_NTX), *injections(2),
        Dose(day(0), "implant", IMPLANT), Dose(day(0), "implant", IMPLANT, days_supply=90)))
    assert dispensing_rows([course]) == [
        DispensingRow("p", day(0), IMPLANT, 60), DispensingRow("p", day(0), IMPLANT, 90),
        DispensingRow("p", day(1), ORAL_NTX, 1), DispensingRow("p", day(2), XR_NTX, 31),
        DispensingRow("p", day(3), ORAL_NTX, 30)]


def test_the_csv_has_the_header_and_the_rows() -> None:
    handle = io.StringIO()
    write_dispensing_csv([DispensingRow("p", day(0), XR_NTX, 31), DispensingRow("q", day(1), ORAL_NTX, None)], handle)
    assert handle.getvalue() == "patient_id,date,rxnorm,days_supply\np,2026-01-01,637213,31\nq,2026-01-02,1483744,\n"


def test_monthly_injections_reach_the_numerator_and_implants_are_not_pod() -> None:
    every_28 = make_course("a", doses=injections(*range(0, 190, 28)))
    implant_only = make_course("b", doses=(Dose(day(0), "implant", IMPLANT, days_supply=180),))
    result = measure_pod_rows(dispensing_rows([every_28, implant_only]))
    assert (result.denominator, result.numerator) == (1, 1)
    assert pod_reason(result.episodes[0]) == ("treatment from 2026-01-01 continuous for 180 of 180 days (through "
                                              "2026-06-29): in the numerator (no gap of 8 or more days)")


def test_a_row_the_rules_reject_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"row 2, rxnorm.*99999.*not a known RxNorm code"):
        measure_pod_rows([DispensingRow("p", day(0), XR_NTX, None), DispensingRow("p", day(1), "99999", 1)])
    with pytest.raises(InvalidInput, match=r"row 1, days_supply.*400.*between 1 and 365"):
        measure_pod_rows([DispensingRow("p", day(0), ORAL_NTX, 400)])


def test_an_empty_program_has_no_episodes() -> None:
    result = measure_pod_rows([], start=day(0), end=day(10))
    assert (result.denominator, result.numerator, result.rate, result.episodes) == (0, 0, None, ())


def test_pod_reason_of_a_short_episode() -> None:
    episode = PodEpisode("p", day(0), day(179), 40, False)
    assert pod_reason(episode) == ("treatment from 2026-01-01 continuous for 40 of 180 days (through 2026-02-09): "
                                   "not in the numerator")


_DOSES = st.one_of(
    st.builds(lambda n: Dose(day(n), "xr-ntx", XR_NTX), st.integers(0, 400)),
    st.builds(lambda n, s: Dose(day(n), "oral", ORAL_NTX, days_supply=s), st.integers(0, 400),
              st.one_of(st.none(), st.integers(1, 90))),
    st.builds(lambda n, s: Dose(day(n), "implant", IMPLANT, days_supply=s), st.integers(0, 400),
              st.one_of(st.none(), st.integers(30, 180))),
)
_COURSES = st.lists(st.builds(lambda pid, doses: make_course(f"p{pid}", doses=tuple(doses)), st.integers(0, 6),
                              st.lists(_DOSES, max_size=12)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(_COURSES, st.one_of(st.none(), st.integers(0, 200)), st.integers(0, 300))
def test_pod_from_rows_equals_pod_from_their_csv(courses: list[PatientCourse], start: int | None, length: int) -> None:
    rows = dispensing_rows(courses)
    period = (None, None) if start is None else (day(start), day(start + length))
    assert measure_pod_rows(rows, start=period[0], end=period[1]) == _pod_via_csv(rows, *period)
