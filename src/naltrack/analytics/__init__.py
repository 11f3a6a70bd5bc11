"""Outcome and quality measures over many patients (adherence, POD continuity)."""
