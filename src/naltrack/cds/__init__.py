"""CDS Hooks 2.0 services for other EHRs."""
