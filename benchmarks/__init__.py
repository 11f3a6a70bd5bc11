"""Benchmarks: ``python -m benchmarks [NAME ...]``.

Every module of this package that defines ``run(quick: bool) -> list[Figure]`` is a named
benchmark (the module name); add one by adding a module. Each figure prints beside its
baseline. Workloads whose memory matters run in a child process: :func:`run_child` reads
that child's peak resident set size from the kernel (``wait4``), so the parent's own
memory never counts.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure and what it is compared with."""

    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline_value: float | None = None
    goal: str = ""
    lower_is_better: bool = False

    def line(self) -> str:
        text = f"{self.name}: {self.value:,.1f} {self.unit}"
        if self.baseline_value is not None:
            text += f" | baseline {self.baseline_name}: {self.baseline_value:,.1f} {self.unit}"
            if self.lower_is_better and self.value > 0:
                text += f" | {self.baseline_value / self.value:,.1f}x less than the baseline"
            elif not self.lower_is_better and self.baseline_value > 0:
                text += f" | {self.value / self.baseline_value:,.1f}x the baseline"
        if self.goal:
            text += f" | goal {self.goal}"
        return text


def discover() -> dict[str, ModuleType]:
    """Benchmark modules by name."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


@dataclass(frozen=True)
class ChildResult:
    """What a child process returned, its wall time and its peak memory."""

    value: dict[str, Any]
    seconds: float
    peak_rss_mb: float


def run_child(module: str, function: str, **kwargs: Any) -> ChildResult:
    """Run ``benchmarks.<module>.<function>(**kwargs)`` in a fresh interpreter.

    The function returns a JSON-serialisable dict. Peak RSS is the child's ``ru_maxrss``
    as reported by ``wait4`` for that process only.
    """
    args = [sys.executable, "-m", "benchmarks._child", module, function, json.dumps(kwargs)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as err_file:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err_file, text=True, cwd=root)
        out = proc.stdout.read()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
        # wait4, not wait: it returns the resource usage of this child alone.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {module}.{function} failed ({proc.returncode}):\n{err[-2000:]}")
    value = json.loads(out.strip().splitlines()[-1])
    return ChildResult(value, seconds, usage.ru_maxrss / 1024.0)
