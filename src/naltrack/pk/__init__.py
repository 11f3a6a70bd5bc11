"""Pharmacokinetics of naltrexone: dosing events and arrays in, concentrations out. NumPy only."""
