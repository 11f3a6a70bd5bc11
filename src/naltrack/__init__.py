"""naltrack: runs a naltrexone treatment program.

Layers, from the ground up (dependencies point inward):

    pk, instruments      pure: dosing events and arrays; questionnaire scoring
    domain               pure: records, catalog, rules, coverage of a patient
    services, analytics  use cases, unit of work; outcome and quality measures
    adapters             SQLAlchemy storage, FHIR R4 mapping
    bootstrap            the only module that knows the concrete classes
    cli, api, web, cds   faces: parse input, call one service, render output
"""

__version__ = "0.1.0"
