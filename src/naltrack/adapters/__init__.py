"""Adapters that implement the domain's ports: storage (db) and FHIR R4 mapping (fhir)."""
