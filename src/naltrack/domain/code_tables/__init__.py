"""Generated code tables (JSON), read by :mod:`naltrack.domain.terminology`.

Written by ``scripts/generate_code_tables.py`` from public value sets; each table's header names its
sources (repository, commit, path, canonical URL, version, expansion) and the date of generation.
Do not edit the tables by hand: change the script and run it again (``docs/terminology.md``).
"""
