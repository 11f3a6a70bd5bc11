"""The clinical core: records, the medication catalog, rules and coverage. Pure: no I/O, no clock."""
