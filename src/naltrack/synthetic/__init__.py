"""The synthetic program: a seeded, realistic naltrexone program for demos, tests and benchmarks.

``generate_patients(n, seed, end)`` yields valid domain records; ``load_program(...)``
writes them in bulk. Every number that shapes it is in :class:`ProgramParams`, with its
source.
"""

from __future__ import annotations

from naltrack.synthetic.params import ProgramParams
from naltrack.synthetic.program import generate_clinics, generate_patients, load_program

__all__ = ["ProgramParams", "generate_clinics", "generate_patients", "load_program"]
