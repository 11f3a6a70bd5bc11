"""FHIR R4 mapping of the record: reading bundles into the domain, and export."""
