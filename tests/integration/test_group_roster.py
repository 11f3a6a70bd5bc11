"""The group roster's read model and use case (services/rosters.py) on SQLite and PostgreSQL: the clinic's patients
in an episode open on its day, by name; a discharged, a future or another clinic's patient left out."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.test_web_dashboard import TODAY, add_patient, context, days_ago, seed, storage, user  # noqa: F401

from naltrack.domain.episodes import Episode
from naltrack.services.read_models import PatientRef
from naltrack.services.rosters import list_in_care


def test_the_roster_holds_the_patients_in_an_open_episode_by_name(storage):  # noqa: F811
    for pid, family in (("pz", "Zane"), ("pa", "Abel"), ("pd", "Done"), ("pf", "Future"), ("pn", "Never")):
        add_patient(storage, pid, family)
    add_patient(storage, "po", "Other", clinic="c2")
    seed(storage, *[
        Episode(id="pz-e", patient_id="pz", indication="AUD", level_of_care="IOP", start=days_ago(10)),
        Episode(id="pa-e", patient_id="pa", indication="OUD", level_of_care="OP", start=days_ago(3),
                end=TODAY, discharge_reason="completed"),
        Episode(id="pd-e", patient_id="pd", indication="OUD", level_of_care="OP", start=days_ago(30),
                end=days_ago(1), discharge_reason="transferred"),
        Episode(id="pf-e", patient_id="pf", indication="OUD", level_of_care="PHP", start=days_ago(-2)),
        Episode(id="po-e", patient_id="po", indication="OUD", level_of_care="OP", start=days_ago(5)),
    ])
    counselor = user(storage, "couns.ray", "counselor")
    evening = datetime(TODAY.year, TODAY.month, TODAY.day, 23, tzinfo=UTC)  # still TODAY in New York
    listed = list_in_care(context(storage), counselor, 30, evening)
    assert (listed.today, listed.total) == (TODAY, 2)
    assert listed.items == (PatientRef("pa", "Sam Abel", "PA"), PatientRef("pz", "Sam Zane", "PZ"))
    first = list_in_care(context(storage), counselor, 1, evening)
    assert (first.items, first.total) == ((PatientRef("pa", "Sam Abel", "PA"),), 2)
