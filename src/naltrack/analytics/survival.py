"""Kaplan–Meier survival curves with pointwise confidence intervals (NumPy only).

The product-limit estimate :math:`S(t) = \\prod_{t_i \\le t} (1 - d_i / n_i)` over the distinct times
:math:`t_i` with :math:`d_i` events among :math:`n_i` at risk. The confidence interval is the
exponential Greenwood (log(-log)) interval, the default of lifelines' ``KaplanMeierFitter``
(Kalbfleisch and Prentice, 2002, eq. 1.10; https://www.math.wustl.edu/~sawyer/handouts/greenwood.pdf):
with Greenwood's sum :math:`V(t) = \\sum_{t_i \\le t} d_i / (n_i (n_i - d_i))` (a term with
:math:`n_i = d_i` counts 0) and :math:`v = \\log S(t)`, the bounds are
:math:`\\exp(-\\exp(\\log(-v) \\mp z \\sqrt{V} / v))`, both 1 where :math:`S(t) = 1`. A censored time at the
same time as events is still at risk at that time (events come first).

Examples
--------
>>> curve = kaplan_meier([1, 2, 2, 3], [True, True, False, True], label="all")
>>> curve.times, curve.survival
((0.0, 1.0, 2.0, 3.0), (1.0, 0.75, 0.5, 0.0))
>>> curve.at(2.5).value, curve.at(4).value
(0.5, 0.0)
>>> kaplan_meier([1, 2], [True, False], label="censored last").at(3) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from naltrack.domain.errors import InvalidInput


@dataclass(frozen=True)
class Estimate:
    """A proportion and its confidence interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class SurvivalCurve:
    """A step curve: ``survival[i]`` holds from ``times[i]`` until the next time (0 and every observed time)."""

    label: str
    n: int
    events: int
    times: tuple[float, ...]
    survival: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    def at(self, day: float) -> Estimate | None:
        """The estimate on ``day``; ``None`` beyond the longest follow-up (or for an empty curve), except that a
        curve that has reached 0 (the last subject had the event) stays 0."""
        if not self.times or day < 0 or (day > self.times[-1] and self.survival[-1] > 0):
            return None
        if day > self.times[-1]:
            return Estimate(self.survival[-1], self.low[-1], self.high[-1])
        i = int(np.searchsorted(np.asarray(self.times), day, side="right")) - 1
        return Estimate(self.survival[i], self.low[i], self.high[i])


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool], *, label: str,
                 alpha: float = 0.05) -> SurvivalCurve:
    """The Kaplan–Meier curve of ``durations`` (days), ``observed`` True for an event, False for censored.

    Parameters
    ----------
    durations : sequence of float
        Follow-up of each subject, 0 or more.
    observed : sequence of bool
        Whether the subject's follow-up ended in the event.
    label : str
        The curve's name.
    alpha : float
        1 - the confidence level of the interval (0.05: 95 %).

    Raises
    ------
    InvalidInput
        If the lengths differ, a duration is negative or not finite, or alpha is not between 0 and 1.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    _check(t, e, alpha)
    if t.size == 0:
        return SurvivalCurve(label, 0, 0, (), (), (), ())
    times = np.unique(np.concatenate(([0.0], t)))
    # at risk: subjects whose time is at or after each time; events at each time
    at_risk = t.size - np.searchsorted(np.sort(t), times, side="left")
    deaths = np.bincount(np.searchsorted(times, t[e]), minlength=times.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - deaths / at_risk)
        terms = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
        greenwood = np.cumsum(terms)
        v = np.log(survival)
        z = NormalDist().inv_cdf(1 - alpha / 2)
        low = np.exp(-np.exp(np.log(-v) - z * np.sqrt(greenwood) / v))
        high = np.exp(-np.exp(np.log(-v) + z * np.sqrt(greenwood) / v))
    low, high = np.nan_to_num(low, nan=1.0), np.nan_to_num(high, nan=1.0)
    return SurvivalCurve(label, int(t.size), int(e.sum()), _floats(times), _floats(survival), _floats(low),
                         _floats(high))


def _check(t: np.ndarray, e: np.ndarray, alpha: float) -> None:
    if t.shape != e.shape or t.ndim != 1:
        raise InvalidInput("observed", len(e), f"must have one value per duration ({len(t)})")
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise InvalidInput("durations", float(t.min()) if np.all(np.isfinite(t)) else "not finite",
                           "must be finite and 0 or more")
    if not 0 < alpha < 1:
        raise InvalidInput("alpha", alpha, "must be between 0 and 1")


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in values)
