"""XR-NTX 380 mg q4w, 180 days, hourly output with variability, one core: subjects per second.

The engine (naltrack.pk.population) is compared, in the same run, with a straightforward
per-subject ``scipy.integrate.solve_ivp`` of the same model: the same virtual subjects,
the same six-state linear system (burst depot, two two-step release chains, central), the
same injections, hourly output, and the same statistics (percentiles per hour, protected
fraction per day) computed afterwards with NumPy. Compile time of the engine is excluded
(one warm-up call); the engine runs on one core (numba without threads). The third figure
runs the same population with the blockade model stepped as well (``blockade=True``).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks import Figure
from naltrack.pk.kernels import series_on_grid
from naltrack.pk.models import DoseEvent, build_components
from naltrack.pk.params import PkParameters
from naltrack.pk.population import Scenario, dosing_times, parse_regimen, sample_subjects, simulate_population

DAYS = 180
SEED = 11


def engine_rate(subjects: int, blockade: bool = False) -> tuple[float, float]:
    """Subjects per second of wall time and of CPU time (this process, one thread)."""
    simulate_population("xr-ntx-380-q4w", 200, DAYS, seed=SEED, blockade=blockade)  # compile / load the kernels
    start, cpu = time.perf_counter(), time.process_time()
    simulate_population("xr-ntx-380-q4w", subjects, DAYS, seed=SEED, blockade=blockade)
    return subjects / (time.perf_counter() - start), subjects / (time.process_time() - cpu)


def _rhs(p: PkParameters, ke: float, r2: float, r3: float):  # type: ignore[no-untyped-def]
    kb, rho = p.xr_ntx.burst_ka_per_h, p.xr_ntx.step_ratio

    def f(_t: float, a: np.ndarray) -> np.ndarray:
        burst, s1, s2, e1, e2, central = a
        return np.array([
            -kb * burst,
            -r2 * s1, r2 * s1 - rho * r2 * s2,
            -r3 * e1, r3 * e1 - rho * r3 * e2,
            kb * burst + rho * r2 * s2 + rho * r3 * e2 - ke * central,
        ])
    return f


def solve_ivp_subject(p: PkParameters, cl: float, ke: float, mult: float, dose_times: np.ndarray) -> np.ndarray:
    """Hourly concentrations of one subject by numerical integration, dose by dose."""
    from scipy.integrate import solve_ivp

    xr = p.xr_ntx
    r2, r3 = xr.second_rate_per_h * mult, xr.erosion_rate_per_h * mult
    f = _rhs(p, ke, r2, r3)
    hours = np.arange(DAYS * 24 + 1, dtype=np.float64)
    out = np.zeros_like(hours)
    state = np.zeros(6)
    bounds = [*[t for t in dose_times if np.isfinite(t)], hours[-1] + 1.0]
    for i in range(len(bounds) - 1):
        t0, t1 = bounds[i], bounds[i + 1]
        state = state + 380.0 * np.array([xr.burst_fraction, xr.second_fraction, 0, xr.erosion_fraction, 0, 0])
        mask = (hours >= t0) & (hours < t1)
        t_eval = np.append(hours[mask], t1)
        sol = solve_ivp(f, (t0, t1), state, t_eval=t_eval, method="LSODA", rtol=1e-6, atol=1e-9)
        out[mask] = sol.y[5, :-1] * 1000.0 / (cl / ke)
        state = sol.y[:, -1]
    return out


def baseline_rate(subjects: int) -> tuple[float, float, np.ndarray]:
    p = PkParameters()
    rng = np.random.default_rng(SEED)
    start, cpu = time.perf_counter(), time.process_time()
    subj = sample_subjects(subjects, rng, p)
    times = dosing_times(parse_regimen("xr-ntx-380-q4w"), Scenario(), subjects, DAYS, rng)
    conc = np.stack([solve_ivp_subject(p, subj.cl_l_per_h[i], subj.ke_per_h[i], subj.xr_release_multiplier[i],
                                       times[i]) for i in range(subjects)])
    np.percentile(conc, [5, 50, 95], axis=0)
    (conc[:, :-1].reshape(subjects, DAYS, 24).mean(axis=2) >= 2.0).mean(axis=0)
    return subjects / (time.perf_counter() - start), subjects / (time.process_time() - cpu), conc


def agreement(conc: np.ndarray) -> float:
    """Largest difference between solve_ivp and the engine's exact kernel, same subjects (ng/mL)."""
    n = conc.shape[0]
    rng = np.random.default_rng(SEED)
    subj = sample_subjects(n, rng)
    times = dosing_times(parse_regimen("xr-ntx-380-q4w"), Scenario(), n, DAYS, rng)[0]
    doses = [DoseEvent("xr-ntx", float(t), 380.0) for t in times if np.isfinite(t)]
    rates, comp_times, amps = build_components(doses, subj)
    exact = series_on_grid(rates, comp_times, amps, 0.0, 1.0, DAYS * 24 + 1)
    return float(np.abs(exact - conc).max())


def run(quick: bool = False) -> list[Figure]:
    n_engine, n_base = (20_000, 5) if quick else (200_000, 40)
    engine, engine_cpu = engine_rate(n_engine)
    _, blockade_cpu = engine_rate(n_engine, blockade=True)
    base, base_cpu, conc = baseline_rate(n_base)
    print(f"   engine {n_engine:,} subjects; solve_ivp {n_base} subjects; same subjects, closed form vs "
          f"solve_ivp: max difference {agreement(conc):.1e} ng/mL")
    goal = ">= 60,000 subjects/s and >= 100x solve_ivp"
    return [Figure("XR-NTX q4w 180 d hourly, one core, wall clock", engine, "subjects/s", "solve_ivp per subject",
                   base, goal),
            Figure("same, per CPU-second of the process", engine_cpu, "subjects/s", "solve_ivp per subject",
                   base_cpu, goal),
            Figure("same with blocked subjects per day (blockade=True), per CPU-second", blockade_cpu, "subjects/s",
                   "without blockade", engine_cpu, ">= half the rate without blockade")]
