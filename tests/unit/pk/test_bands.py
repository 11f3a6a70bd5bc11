"""Protection bands: edges, configuration and bad thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from naltrack.pk.bands import BANDS, BandThresholds, InvalidThresholds, band_index, count_days_in_bands


@pytest.mark.parametrize(
    ("conc", "band"),
    [(2.0, "protected"), (1.999, "partial"), (1.0, "partial"), (0.999, "waning"), (0.5, "waning"),
     (0.499, "unprotected"), (0.0, "unprotected"), (40.0, "protected")],
)
def test_band_edges_belong_to_the_better_band(conc: float, band: str) -> None:
    assert BandThresholds().band_of(conc) == band


def test_custom_thresholds_move_the_edges() -> None:
    assert BandThresholds(3.0, 1.5, 0.75).band_of(2.5) == "partial"


@pytest.mark.parametrize("values", [(1.0, 2.0, 0.5), (2.0, 1.0, 0.0), (2.0, 2.0, 0.5), (float("nan"), 1.0, 0.5)])
def test_rejects_thresholds_that_do_not_decrease(values: tuple[float, float, float]) -> None:
    with pytest.raises(InvalidThresholds, match="must decrease: protected > partial > waning > 0 ng/mL"):
        BandThresholds(*values)


@given(st.lists(st.floats(min_value=0.0, max_value=1000.0), min_size=1, max_size=50))
def test_band_index_is_monotone_in_concentration(values: list[float]) -> None:
    ordered = np.sort(np.array(values))
    indices = band_index(ordered)
    assert np.all(np.diff(indices.astype(int)) <= 0)
    assert sum(count_days_in_bands(indices).values()) == len(values)
    assert set(count_days_in_bands(indices)) == set(BANDS)
