"""HEDIS POD over 1,000,000 patients / 20,000,000 generated dispensing rows on DuckDB and on Spark.

The data are generated (synthetic, seeded by hashing the row number) straight to CSV by
DuckDB (:func:`naltrack.synthetic.claims.write_claims`, ``naltrack measure synthetic-claims``). Each
implementation reads that CSV, validates it, and computes episodes and totals, in its own child
process (peak RSS from ``wait4``):

* naltrack on DuckDB: ``naltrack.analytics.pod.measure_pod`` (two threads);
* naltrack on Spark, local mode on the same two cores: the same call with ``engine="spark"``, timed
  after the session has started (the start, 6 to 10 s, is printed apart; a cluster pays it once);
* baseline: the same steps written plainly with pandas (read_csv, merge, groupby cumsum,
  cummax, shift), below.

Rows per second per core are printed for both engines. The scaling runs (1, 2 and 5 million rows,
both engines, one child each so that Spark's session is shared) give the per-row cost the
scaling note in docs/benchmarks.md extrapolates to a payer's cluster.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks import Figure, run_child

ROWS_PER_PATIENT = 20
CORES = 2


def generate(path: str, patients: int) -> dict[str, float]:
    """Write ``patients * 20`` rows (:func:`naltrack.synthetic.claims.write_claims`, seed 0)."""
    from naltrack.synthetic.claims import write_claims

    start = time.perf_counter()
    write_claims(path, patients, rows_per_member=ROWS_PER_PATIENT)
    return {"seconds": time.perf_counter() - start}


def naltrack_pod(path: str) -> dict[str, float]:
    from naltrack.analytics.pod import measure_pod

    start = time.perf_counter()
    result = measure_pod(path, include_episodes=False, threads=CORES)
    return {"seconds": time.perf_counter() - start, "denominator": result.denominator,
            "numerator": result.numerator}


def spark_pod(paths: list[str], memory: str = "6g") -> dict[str, object]:
    """POD on Spark local mode (``CORES`` cores) over each file in turn, after the session has started."""
    from naltrack.analytics.engines import EngineChoice, open_engine
    from naltrack.analytics.pod import measure_pod

    start = time.perf_counter()
    with open_engine(EngineChoice("spark", threads=CORES, memory_limit=memory)) as db:
        db.rows("SELECT 1")
    session_s = time.perf_counter() - start
    runs = []
    for path in paths:
        start = time.perf_counter()
        result = measure_pod(path, include_episodes=False, threads=CORES, memory_limit=memory, engine="spark")
        runs.append({"seconds": time.perf_counter() - start, "denominator": result.denominator,
                     "numerator": result.numerator})
    return {"session_s": session_s, "runs": runs}


def duckdb_pods(paths: list[str]) -> dict[str, object]:
    """POD on DuckDB over each file in turn (the scaling runs)."""
    return {"runs": [naltrack_pod(path) for path in paths]}


def pandas_pod(path: str) -> dict[str, float]:
    """The plain pandas version of the same measure (validation, supply chain, islands)."""
    import numpy as np
    import pandas as pd

    from naltrack.analytics.pod import pod_code_rules

    start = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    rules = pd.DataFrame([(r.code, r.group, r.fixed_days, r.default_days) for r in pod_code_rules().values()],
                         columns=["rxnorm", "grp", "fixed", "default"])
    day = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    supply = pd.to_numeric(df["days_supply"].replace("", np.nan), errors="coerce")
    m = df[["patient_id", "rxnorm"]].merge(rules, on="rxnorm", how="left", indicator=True)
    bad = day.isna() | (m["_merge"] == "left_only") | ((df["days_supply"] != "") & ~supply.between(1, 365))
    if bad.any():
        raise ValueError(f"bad row {int(np.flatnonzero(bad)[0]) + 1}")
    x = pd.DataFrame({"pid": df["patient_id"], "grp": m["grp"],
                      "d": (day - pd.Timestamp("1970-01-01")).dt.days,
                      "days": m["fixed"].fillna(supply).fillna(m["default"])})
    x = x[x["grp"].notna()].groupby(["pid", "grp", "d"], as_index=False)["days"].sum()
    x = x.sort_values(["pid", "grp", "d"])
    cum = x.groupby(["pid", "grp"])["days"].cumsum()
    anchor = (x["d"] - (cum - x["days"])).groupby([x["pid"], x["grp"]]).cummax()
    iv = pd.DataFrame({"pid": x["pid"], "s": anchor + cum - x["days"], "e": anchor + cum - 1})
    iv = iv.drop_duplicates().sort_values(["pid", "s", "e"]).reset_index(drop=True)
    prev_end = iv.groupby("pid")["e"].cummax().groupby(iv["pid"]).shift()
    iv["episode"] = (prev_end.isna() | (iv["s"] > prev_end + 31)).groupby(iv["pid"]).cumsum()
    iv["run"] = (prev_end.isna() | (iv["s"] > prev_end + 8)).groupby(iv["pid"]).cumsum()
    runs = iv.groupby(["pid", "run"], as_index=False)["e"].max().rename(columns={"e": "run_end"})
    starts = iv.groupby(["pid", "episode"], as_index=False).agg(start=("s", "min"), run=("run", "min"))
    episodes = starts.merge(runs, on=["pid", "run"])
    hits = int((episodes["run_end"] >= episodes["start"] + 179).sum())
    return {"seconds": time.perf_counter() - start, "denominator": len(episodes), "numerator": hits}


def run(quick: bool = False) -> list[Figure]:
    patients = 20_000 if quick else 1_000_000
    scaling = (5_000, 10_000, 25_000) if quick else (50_000, 100_000, 250_000)
    rows = patients * ROWS_PER_PATIENT
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "dispensing.csv")
        gen = run_child("pod", "generate", path=path, patients=patients)
        size_mb = os.path.getsize(path) / 2**20
        print(f"   generated {rows:,} rows for {patients:,} patients "
              f"({size_mb:,.0f} MB CSV) in {gen.value['seconds']:.1f} s")
        ours = run_child("pod", "naltrack_pod", path=path)
        spark = run_child("pod", "spark_pod", paths=[path])
        base = run_child("pod", "pandas_pod", path=path)
        small = [str(Path(tmp) / f"scale-{n}.csv") for n in scaling]
        for n, small_path in zip(scaling, small, strict=True):
            run_child("pod", "generate", path=small_path, patients=n)
        duck_scale = run_child("pod", "duckdb_pods", paths=small)
        spark_scale = run_child("pod", "spark_pod", paths=small)
    spark_run = spark.value["runs"][0]
    totals = {name: (value["denominator"], value["numerator"])
              for name, value in (("duckdb", ours.value), ("spark", spark_run), ("pandas", base.value))}
    print(f"   episodes {ours.value['denominator']:,}, numerator {ours.value['numerator']:,}; "
          f"Spark gives the same totals: {totals['spark'] == totals['duckdb']}; "
          f"pandas: {totals['pandas'] == totals['duckdb']}")
    print(f"   Spark session start (local[{CORES}]): {spark.value['session_s']:.1f} s, not in the Spark time")
    for n, duck_run, spark_small in zip(scaling, duck_scale.value["runs"], spark_scale.value["runs"], strict=True):
        n_rows = n * ROWS_PER_PATIENT
        agree = (duck_run["denominator"], duck_run["numerator"]) == (spark_small["denominator"],
                                                                      spark_small["numerator"])
        print(f"   scaling {n_rows:>11,} rows: DuckDB {duck_run['seconds']:6.1f} s "
              f"({n_rows / duck_run['seconds'] / CORES:>9,.0f} rows/s/core), Spark {spark_small['seconds']:6.1f} s "
              f"({n_rows / spark_small['seconds'] / CORES:>9,.0f} rows/s/core), same totals: {agree}")
    return [
        Figure("POD time (DuckDB)", ours.value["seconds"], "s", "plain pandas", base.value["seconds"], "<= 20 s",
               lower_is_better=True),
        Figure("POD peak RSS (DuckDB)", ours.peak_rss_mb, "MB", "plain pandas", base.peak_rss_mb, "<= 3,072 MB",
               lower_is_better=True),
        Figure("POD time (Spark local mode)", spark_run["seconds"], "s", "DuckDB", ours.value["seconds"], "",
               lower_is_better=True),
        Figure("POD throughput (DuckDB)", rows / ours.value["seconds"] / CORES, "rows/s/core", "Spark local mode",
               rows / spark_run["seconds"] / CORES),
    ]
