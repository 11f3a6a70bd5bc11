"""Protection bands of plasma naltrexone (DESIGN.md "coverage"; pk.md §4.1, §7.4).

=============  =============  ====================================================
band           plasma NTX     source
=============  =============  ====================================================
protected      >= 2 ng/mL     Castillo 2024; Perth implant papers (pk.md §4.1)
partial        1 to 2 ng/mL   Comer 2002, Kunøe 2009, Waal 2006 (pk.md §4.1)
waning         0.5 to 1       craving/relapse implant study (pk.md §3, §4.1)
unprotected    < 0.5 ng/mL    same study: 2.5× weekly heroin use below 0.5 ng/mL
=============  =============  ====================================================

The thresholds are configuration: :class:`BandThresholds` holds them with these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from naltrack.pk.params import InvalidPkInput

Band = Literal["protected", "partial", "waning", "unprotected"]
#: Bands from best to worst; index 0 is protected.
BANDS: tuple[Band, ...] = ("protected", "partial", "waning", "unprotected")


class InvalidThresholds(InvalidPkInput):
    """Thresholds that are not positive and strictly decreasing."""


@dataclass(frozen=True)
class BandThresholds:
    """Lower edges of the protected, partial and waning bands, in ng/mL.

    Examples
    --------
    >>> BandThresholds().band_of(1.4)
    'partial'
    >>> BandThresholds(protected_ng_ml=1.0, partial_ng_ml=2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    naltrack.pk.bands.InvalidThresholds: thresholds: (1.0, 2.0, 0.5) must decrease: ...
    """

    protected_ng_ml: float = 2.0
    partial_ng_ml: float = 1.0
    waning_ng_ml: float = 0.5

    def __post_init__(self) -> None:
        values = (self.protected_ng_ml, self.partial_ng_ml, self.waning_ng_ml)
        if not all(np.isfinite(values)) or not (values[0] > values[1] > values[2] > 0):
            raise InvalidThresholds(
                "thresholds", values, "must decrease: protected > partial > waning > 0 ng/mL"
            )

    def as_array(self) -> npt.NDArray[np.float64]:
        """``[protected, partial, waning]`` in ng/mL."""
        return np.array([self.protected_ng_ml, self.partial_ng_ml, self.waning_ng_ml])

    def band_of(self, concentration_ng_ml: float) -> Band:
        """The band of one concentration (a value on an edge belongs to the better band)."""
        return BANDS[int(band_index(np.array([concentration_ng_ml]), self)[0])]


DEFAULT_THRESHOLDS = BandThresholds()


def band_index(concentration_ng_ml: npt.ArrayLike,
               thresholds: BandThresholds = DEFAULT_THRESHOLDS) -> npt.NDArray[np.int8]:
    """Index into :data:`BANDS` for each concentration (0 protected ... 3 unprotected).

    Examples
    --------
    >>> band_index([5.0, 2.0, 1.99, 0.5, 0.1]).tolist()
    [0, 0, 1, 2, 3]
    """
    c = np.asarray(concentration_ng_ml, dtype=np.float64)
    # Count the thresholds a value falls below: 0 for >= protected, 3 for < waning.
    below: npt.NDArray[np.int8] = (c[..., None] < thresholds.as_array()).sum(axis=-1).astype(np.int8)
    return below


def count_days_in_bands(indices: npt.ArrayLike) -> dict[Band, int]:
    """How many days fall in each band, given one band index per day.

    Examples
    --------
    >>> count_days_in_bands([0, 0, 1, 3])
    {'protected': 2, 'partial': 1, 'waning': 0, 'unprotected': 1}
    """
    counts = np.bincount(np.asarray(indices, dtype=np.int64), minlength=len(BANDS))
    return {band: int(counts[i]) for i, band in enumerate(BANDS)}
