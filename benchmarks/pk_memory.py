"""1,000,000 virtual subjects (XR-NTX q4w, 180 days, hourly) in chunks: peak memory of the process.

The workload runs in a child process; its peak resident set size comes from ``wait4``.
The baseline is the array a non-chunked engine would have to hold: subjects × hours
float32 concentrations, before any statistics.
"""

from __future__ import annotations

import time

from benchmarks import Figure, run_child

DAYS = 180


def workload(subjects: int, chunk_size: int) -> dict[str, float]:
    from naltrack.pk.population import simulate_population

    start = time.perf_counter()
    result = simulate_population("xr-ntx-380-q4w", subjects, DAYS, seed=1, chunk_size=chunk_size)
    return {"seconds": time.perf_counter() - start, "p50_day_14": float(result.percentiles_ng_ml[50][24 * 14])}


def run(quick: bool = False) -> list[Figure]:
    subjects = 50_000 if quick else 1_000_000
    child = run_child("pk_memory", "workload", subjects=subjects, chunk_size=20_000)
    dense_mb = subjects * (DAYS * 24 + 1) * 4 / 2**20
    print(f"   {subjects:,} subjects in chunks of 20,000: {child.value['seconds']:.1f} s in the kernel loop, "
          f"{child.seconds:.1f} s with start-up")
    return [Figure(f"peak RSS, {subjects:,} subjects", child.peak_rss_mb, "MB",
                   "dense subjects x hours float32 array alone", dense_mb, "< 2,048 MB",
                   lower_is_better=True)]
