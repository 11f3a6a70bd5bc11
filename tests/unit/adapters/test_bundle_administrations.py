"""MedicationAdministration in the bundle reader: naltrexone doses, injections and implants read as
such, other medicines and incomplete outside records as medication uses; impossible dates anywhere
are InvalidInput naming the element path."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.adapters.fhir.bundle_administrations import REMOVER_NOT_RECORDED
from naltrack.adapters.fhir.bundle_reader import read_bundle, read_bundle_detailed
from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
from naltrack.adapters.fhir.r4_samples import implant_chart, sample_chart, sample_patient
from naltrack.domain.administrations import Injection
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import InvalidInput
from naltrack.domain.protection import naltrexone_on_board, protection_end

R = "http://www.nlm.nih.gov/research/umls/rxnorm"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
EXT = "urn:naltrack:fhir:extension:"


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    pt = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1980-01-02"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": pt}] + [{"resource": r} for r in resources]}


def given_(code: tuple[str, str] | None = (R, "637213"), **fields: Any) -> dict[str, Any]:
    """A MedicationAdministration as an outside EHR writes one: code, date, nothing else."""
    base: dict[str, Any] = {"resourceType": "MedicationAdministration", "id": "ma-1", "status": "completed",
                            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-03-02T10:30:00-05:00"}
    if code is not None:
        base["medicationCodeableConcept"] = {"coding": [{"system": code[0], "code": code[1]}]}
    base.update(fields)
    return base


def full_shot(**changes: Any) -> dict[str, Any]:
    """An XR-NTX administration with every fact an Injection needs (naltrack's encoding)."""
    shot = given_(None, contained=[{"resourceType": "Medication", "id": "kit", "code": {"coding": [
        {"system": R, "code": "637213"}, {"system": HCPCS, "code": "J2315"}]},
        "batch": {"lotNumber": "AB123", "expirationDate": "2027-01-31"}}],
        medicationReference={"reference": "#kit"},
        extension=[{"url": EXT + "needle-length", "valueQuantity": {"value": 2.0, "unit": "in"}}],
        performer=[{"actor": {"display": "nurse.kim"}}],
        dosage={"site": {"text": "right gluteal"}, "dose": {"value": 380, "unit": "mg"}})
    shot.update(changes)
    return shot


def _round(chart: PatientChart) -> tuple[list[dict[str, Any]], PatientChart]:
    resources = export_chart(chart, provenance=False)
    return resources, read_bundle(as_bundle(resources, "collection"), clinic_id=chart.patient.clinic_id)


# naltrack's own export ------------------------------------------------------------------------

def test_exported_injections_come_back_with_side_lot_expiry_needle_and_nurse() -> None:
    chart = sample_chart()
    _, back = _round(chart)
    keep = ("id", "given_at", "side", "lot", "expiry", "needle_length_in", "given_by", "dose_mg", "rxnorm")
    assert [tuple(getattr(s, k) for k in keep) for s in back.injections] == [
        ("pt-ada-inj-0", datetime(2026, 2, 2, 10, tzinfo=UTC), "left", "LOT000", date(2027, 6, 30), 1.5,
         "nurse.kim", 380.0, "637213"),
        ("pt-ada-inj-1", datetime(2026, 3, 2, 10, tzinfo=UTC), "right", "LOT001", date(2027, 6, 30), 1.5,
         "nurse.kim", 380.0, "637213")]
    (dose,) = back.oral_doses
    assert (dose.id, dose.taken_at, dose.dose_mg, dose.dose_status, dose.observed_by) == (
        "pt-ada-od-1", datetime(2026, 1, 31, 10, tzinfo=UTC), 25.0, "observed", "nurse.kim")
    administered = {s.id for s in chart.injections} | {d.id for d in chart.oral_doses}
    assert not administered & {m.id for m in back.medications}
    assert back.last_injection() == back.injections[1]


def test_exported_implant_and_removal_come_back() -> None:
    _, back = _round(implant_chart(removed=date(2026, 2, 1)))
    (implant,) = back.implants
    assert (implant.inserted_at, implant.dose_mg, implant.product, implant.inserted_by, implant.site,
            implant.expected_duration_days) == (datetime(2026, 1, 10, 10, tzinfo=UTC), 1800.0,
                                                "compounded naltrexone pellet", "dr.okafor", "lower abdomen", 90)
    (removal,) = back.implant_removals
    assert (removal.implant_id, removal.removed_at, removal.reason, removal.removed_by) == (
        implant.id, datetime(2026, 2, 1, 10, tzinfo=UTC), "planned surgery", REMOVER_NOT_RECORDED)
    assert back.implants_in_place(date(2026, 1, 31)) == [implant]
    assert back.implants_in_place(date(2026, 2, 1)) == []
    _, in_place = _round(implant_chart())
    assert in_place.implant_removals == () and len(in_place.implants_in_place(date(2026, 3, 1))) == 1


@settings(max_examples=40, deadline=None)
@given(side=st.sampled_from(["left", "right"]), lot=st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True),
       needle=st.sampled_from([1.5, 2.0]), days=st.integers(0, 3000), hours=st.integers(-12, 14),
       shelf=st.integers(0, 900))
def test_any_injection_survives_export_and_read(side: str, lot: str, needle: float, days: int, hours: int,
                                                shelf: int) -> None:
    at = datetime(2018, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=hours))) + timedelta(days=days)
    shot = Injection(id="inj-x", patient_id="pt-ada", given_at=at, side=side, lot=lot,  # type: ignore[arg-type]
                     expiry=at.date() + timedelta(days=shelf), needle_length_in=needle, given_by="nurse.kim")
    _, back = _round(PatientChart(patient=sample_patient(), injections=(shot,)))
    assert back.injections == (shot,)


# Outside records --------------------------------------------------------------------------------

def test_an_outside_vivitrol_administration_without_side_lot_or_needle_is_a_dated_medication_use() -> None:
    read = read_bundle_detailed(bundle(given_(dosage={"dose": {"value": 380, "unit": "mg"}})))
    chart = read.chart
    assert chart.injections == ()
    (use,) = chart.medications
    assert (use.id, use.rxnorm, use.source, use.start, use.last_dose, use.end) == (
        "ma-1", "637213", "reported", date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 2))
    assert protection_end(chart, date(2026, 3, 10), UTC) == date(2026, 3, 30)
    blockade = naltrexone_on_board(chart, date(2026, 3, 10), UTC)
    assert blockade is not None and blockade.form == "xr-ntx"


@pytest.mark.parametrize(
    ("changes", "side"),
    [
        ({}, "right"),
        ({"dosage": {"site": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActSite",
                                          "code": "LG"}]}}}, "left"),
        ({"dosage": {"site": {"coding": [{"system": "http://snomed.info/sct", "code": "0",
                                          "display": "Structure of Right buttock"}]}}}, "right"),
    ],
)
def test_a_complete_administration_is_an_injection_with_its_side(changes: dict[str, Any], side: str) -> None:
    (shot,) = read_bundle(bundle(full_shot(**changes))).injections
    assert (shot.side, shot.lot, shot.expiry, shot.needle_length_in, shot.given_by) == (
        side, "AB123", date(2027, 1, 31), 2.0, "nurse.kim")
    assert shot.given_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r["dosage"].pop("site"),
        lambda r: r["dosage"].update(site={"text": "gluteal"}),
        lambda r: r["dosage"].update(site={"text": "left or right gluteal"}),
        lambda r: r["contained"][0].pop("batch"),
        lambda r: r["contained"][0]["batch"].pop("lotNumber"),
        lambda r: r["contained"][0]["batch"].pop("expirationDate"),
        lambda r: r.pop("extension"),
        lambda r: r.pop("performer"),
        lambda r: r.update(status="stopped"),
    ],
)
def test_an_administration_missing_a_fact_is_kept_as_a_medication_use_not_an_injection(mutate) -> None:  # type: ignore[no-untyped-def]
    shot = full_shot()
    mutate(shot)
    chart = read_bundle(bundle(shot))
    assert chart.injections == ()
    assert [(m.rxnorm, m.last_dose) for m in chart.medications] == [("637213", date(2026, 3, 2))]


def test_hcpcs_j2315_alone_is_xr_ntx() -> None:
    chart = read_bundle(bundle(given_((HCPCS, "J2315"))))
    assert [(m.rxnorm, m.last_dose) for m in chart.medications] == [("637213", date(2026, 3, 2))]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ("taken", None)),
        ({"performer": [{"actor": {"display": "nurse.lee"}}]}, ("observed", "nurse.lee")),
        ({"performer": [{"actor": {"reference": "Practitioner/77"}}]}, ("observed", "Practitioner/77")),
        ({"status": "not-done"}, ("missed", None)),
        ({"status": "in-progress"}, ("taken", None)),
        ({"extension": [{"url": EXT + "dose-status", "valueCode": "taken"}],
          "performer": [{"actor": {"display": "nurse.lee"}}]}, ("taken", "nurse.lee")),
    ],
)
def test_oral_administration_status_conventions(fields: dict[str, Any], expected: tuple[str, str | None]) -> None:
    oral = given_((R, "1483744"), dosage={"dose": {"value": 50, "unit": "mg"}}, **fields)
    chart = read_bundle(bundle(oral))
    (dose,) = chart.oral_doses
    assert (dose.dose_status, dose.observed_by) == expected
    assert (dose.taken_at, dose.dose_mg, chart.medications) == (datetime(2026, 3, 2, 15, 30, tzinfo=UTC), 50.0, ())


def test_oral_administrations_without_a_dose_in_mg() -> None:
    taken = given_((R, "1483744"), dosage={"dose": {"value": 1, "unit": "tablet"}})
    missed = given_((R, "1483744"), id="ma-2", status="not-done")
    read = read_bundle_detailed(bundle(taken, missed))
    assert read.chart.oral_doses == ()
    assert [(m.id, m.rxnorm, m.last_dose) for m in read.chart.medications] == [("ma-1", "1483744", date(2026, 3, 2))]
    assert read.skipped == ("Bundle.entry[2].resource: MedicationAdministration not done (not given) not read",)


def test_implant_administration_needs_dose_site_and_inserter() -> None:
    implant = given_(("urn:naltrack:medication", "NTX-IMPLANT"), effectiveDateTime=None,
                     effectivePeriod={"start": "2026-01-10T10:00:00Z"}, performer=[{"actor": {"display": "dr.o"}}],
                     dosage={"site": {"text": "left lower abdomen"}, "dose": {"value": 1000, "unit": "mg"}})
    (read,) = read_bundle(bundle(implant)).implants
    assert (read.dose_mg, read.site, read.inserted_by, read.expected_duration_days) == (
        1000.0, "left lower abdomen", "dr.o", None)
    no_site = copy.deepcopy(implant)
    no_site["dosage"].pop("site")
    chart = read_bundle(bundle(no_site))
    assert chart.implants == () and [m.rxnorm for m in chart.medications] == ["NTX-IMPLANT"]


def test_opioid_administrations_are_medication_uses_and_not_done_ones_are_not_read() -> None:
    morphine = given_((R, "7052"), effectiveDateTime="2026-03-05T08:00:00Z")
    refused = given_((R, "7052"), id="ma-2", status="not-done")
    read = read_bundle_detailed(bundle(morphine, refused))
    assert [(m.id, m.rxnorm, m.source, m.last_dose) for m in read.chart.medications] == [
        ("ma-1", "7052", "reported", date(2026, 3, 5))]
    assert len(read.skipped) == 1 and "not done" in read.skipped[0]


def test_an_unknown_administered_medicine_is_reported_unread() -> None:
    read = read_bundle_detailed(bundle(given_(("urn:x", "1"))))
    assert read.unrecognized_medications == ("Bundle.entry[1].resource: 1",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"extension": [{"url": EXT + "needle-length", "valueQuantity": {"value": 1.0, "unit": "in"}}]},
         r"entry\[1\]\.resource\.extension\[0\]\.valueQuantity\.value: 1\.0 must be 1\.5 or 2 inches"),
        ({"dosage": {"site": {"text": "left gluteal"}, "dose": {"value": 190, "unit": "mg"}}},
         r"entry\[1\]\.resource\.dosage\.dose\.value: 190\.0 must be 380 mg"),
        ({"effectiveDateTime": "2027-03-02T10:00:00Z"},
         r"entry\[1\]\.resource\.contained\[0\]\.batch\.expirationDate: '2027-01-31' is before the injection date"),
    ],
)
def test_impossible_injection_facts_name_the_element(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_bundle(bundle(full_shot(**changes)))


def test_an_observed_dose_without_an_observer_names_the_performer() -> None:
    oral = given_((R, "1483744"), dosage={"dose": {"value": 50, "unit": "mg"}},
                  extension=[{"url": EXT + "dose-status", "valueCode": "observed"}])
    with pytest.raises(InvalidInput, match=r"entry\[1\]\.resource\.performer: None is required for an observed"):
        read_bundle(bundle(oral))


# Impossible and malformed dates -------------------------------------------------------------------

STATEMENT = {"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p1"},
             "medicationCodeableConcept": {"coding": [{"system": R, "code": "7052"}]}}
LAST_USE = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "urn:naltrack:observation", "code": "last-use-heroin"}]},
            "effectiveDateTime": "2026-03-09T10:00:00Z", "valueDateTime": "2026-03-01"}


@pytest.mark.parametrize(
    ("resource", "path", "value"),
    [
        ({**STATEMENT, "effectiveDateTime": "1979-13-40"}, "effectiveDateTime", "1979-13-40"),
        ({**STATEMENT, "effectivePeriod": {"start": "2026-02-30"}}, "effectivePeriod.start", "2026-02-30"),
        ({**LAST_USE, "valueDateTime": "2025-02-29"}, "valueDateTime", "2025-02-29"),
        ({**LAST_USE, "effectiveDateTime": "2026-03-09T24:00:00Z"}, "effectiveDateTime", "2026-03-09T24:00:00Z"),
        ({**LAST_USE, "effectiveDateTime": "2026-03-09T10:00:00+15:00"}, "effectiveDateTime",
         "2026-03-09T10:00:00+15:00"),
        (given_((R, "1483744"), effectiveDateTime="2026-04-31T08:00:00Z",
                dosage={"dose": {"value": 50, "unit": "mg"}}), "effectiveDateTime", "2026-04-31T08:00:00Z"),
        (full_shot(contained=[{"resourceType": "Medication", "id": "kit",
                               "code": {"coding": [{"system": R, "code": "637213"}]},
                               "batch": {"lotNumber": "A", "expirationDate": "2027-00-10"}}]),
         "contained[0].batch.expirationDate", "2027-00-10"),
    ],
)
def test_impossible_dates_are_invalid_input_naming_the_element(resource: dict[str, Any], path: str,
                                                               value: str) -> None:
    expected = "^" + re.escape(f"Bundle.entry[1].resource.{path}: '{value}' is not a real")
    with pytest.raises(InvalidInput, match=expected) as caught:
        read_bundle(bundle(resource))
    assert not isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("2026-03-09 10:00:00Z", "is not a full FHIR date"),
        ("2026-03-09T10:00Z", "is not a full FHIR date"),
        ("20260309T100000Z", "is not a full FHIR date"),
        ("2026-W10-1", "is not a full FHIR date"),
        ("2026-03-09T10:00:00", "has a time but no time zone"),
    ],
)
def test_malformed_date_times_are_invalid_input(raw: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rf"Bundle\.entry\[1\]\.resource\.effectiveDateTime: '{raw}' {rule}"):
        read_bundle(bundle({**LAST_USE, "effectiveDateTime": raw}))


def test_an_impossible_birth_date_names_the_patient_element() -> None:
    data = bundle()
    data["entry"][0]["resource"]["birthDate"] = "1979-02-29"
    with pytest.raises(InvalidInput, match=r"Bundle\.entry\[0\]\.resource\.birthDate \(birth_date\): '1979-02-29' "
                                           r"is not a calendar date"):
        read_bundle(data)
