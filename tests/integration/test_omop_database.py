"""OMOP tables read from a database URL (SQLite and PostgreSQL): POD, retention and IET equal those over the same
tables as Parquet; a schema; a missing table, a bad value and an unreachable server named, the password hidden."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from tests.unit.analytics.test_iet_population import CODES, Member, day
from tests.unit.analytics.test_omop_concepts import (
    AUD_ICD10CM,
    HYPERTENSION_SNOMED,
    IET,
    ORAL_CONCEPT,
    OUD_SNOMED,
    POD,
    RETENTION,
    STATIN_CONCEPT,
    XR_CONCEPT,
    cdm,
    iet_summary,
    pod_summary,
    retention_summary,
)
from tests.unit.analytics.test_omop_concepts import COLUMNS as CDM_COLUMNS
from tests.unit.analytics.test_omop_concepts import day as cdm_day

from naltrack.adapters.omop_database import input_path
from naltrack.analytics.courses import Dose, PatientCourse
from naltrack.analytics.dispensing import dispensing_rows
from naltrack.analytics.omop import OMOP_TABLES, Condition, omop_tables, write_omop_tables
from naltrack.analytics.population import measure_iet_input, measure_pod_input, measure_retention_input
from naltrack.cli.measure import measure
from naltrack.domain.errors import InvalidInput

_SA_TYPES = {"BIGINT": sa.BigInteger, "INTEGER": sa.Integer, "DATE": sa.Date, "VARCHAR": sa.String}


def _course(pid: str, indication: str | None, assessed: int | None, doses: tuple[Dose, ...],
            contacts: tuple[int, ...] = ()) -> PatientCourse:
    return PatientCourse(patient_id=pid, clinic_id="c1", sex_at_birth="male", birth_date=date(1980, 1, 1),
                         indication=indication, assessed_on=None if assessed is None else day(assessed), doses=doses,
                         treatment_contacts=tuple(sorted({day(n) for n in contacts} | {d.on for d in doses})))


GROUP = [
    # an OUD episode, an injection on day 3 and monthly after: initiated, engaged by the next injection
    Member(_course("a", "OUD", 200, tuple(Dose(day(203 + 28 * k), "xr-ntx", CODES["xr-ntx"]) for k in range(7)),
                   (200, 210)), ()),
    # an AUD episode, oral naltrexone for 30 days then two contacts: initiated, engaged by contacts
    Member(_course("b", "AUD", 220, (Dose(day(221), "oral", CODES["oral"], 30),), (221, 230, 240)), ()),
    # no episode: an OUD diagnosis on day 250, one oral dose 100 days before (no negative history)
    Member(_course("c", "OUD", None, (Dose(day(150), "oral", CODES["oral"], 30),)),
           (Condition("c", "F11.20", day(250)),)),
]


def _tables() -> dict[str, list[tuple[object, ...]]]:
    courses = [m.course for m in GROUP]
    person_ids = {c.patient_id: n for n, c in enumerate(courses, start=1)}
    conditions = [c for m in GROUP for c in m.conditions]
    return omop_tables(dispensing_rows(courses), courses, conditions, person_ids)


def _write_database(url: str, schema: str | None = None, leave_out: str | None = None) -> None:
    engine = sa.create_engine(url)
    metadata = sa.MetaData(schema=schema)
    tables = {name: sa.Table(name, metadata, *(sa.Column(c, _SA_TYPES[t]) for c, t in columns))
              for name, columns in OMOP_TABLES.items() if name != leave_out}
    with engine.begin() as connection:
        if schema:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        metadata.create_all(connection)
        for name, rows in _tables().items():
            if name in tables and rows:
                columns = [c for c, _ in OMOP_TABLES[name]]
                connection.execute(tables[name].insert(), [dict(zip(columns, row, strict=True)) for row in rows])
    engine.dispose()


def write_cdm_database(url: str, tables: dict[str, list[tuple[object, ...]]], leave_out: str | None = None) -> None:
    """The tables of :func:`tests.unit.analytics.test_omop_concepts.cdm` in the database at ``url``, without the
    column ``leave_out`` (``table.column``) when given."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    kept = {name: [n for n, (c, _) in enumerate(CDM_COLUMNS[name]) if f"{name}.{c}" != leave_out] for name in tables}
    made = {name: sa.Table(name, metadata, *(sa.Column(CDM_COLUMNS[name][n][0], _SA_TYPES[CDM_COLUMNS[name][n][1]])
                                             for n in kept[name])) for name in tables}
    with engine.begin() as connection:
        metadata.create_all(connection)
        for name, rows in tables.items():
            connection.execute(made[name].insert(), [{CDM_COLUMNS[name][n][0]: row[n] for n in kept[name]}
                                                     for row in rows])
    engine.dispose()


def _staged_concepts(folder: Path) -> list[int]:
    with duckdb.connect() as con:
        return [int(row[0]) for row in con.execute(
            f"SELECT concept_id FROM read_parquet('{folder / 'concept.parquet'}') ORDER BY concept_id").fetchall()]


@pytest.fixture()
def parquet(tmp_path: Path) -> Path:
    folder = tmp_path / "parquet"
    folder.mkdir()
    write_omop_tables(_tables(), folder)
    return folder


def test_pod_retention_and_iet_from_the_database_equal_those_from_parquet(empty_database_url: str,
                                                                           parquet: Path) -> None:
    _write_database(empty_database_url)
    with input_path(empty_database_url, "omop") as folder:
        pod = measure_pod_input(folder, "omop")
        retention = measure_retention_input(folder, "omop", as_of=day(400))
    assert pod == measure_pod_input(parquet, "omop")
    assert (pod.denominator, pod.numerator) == (3, 1)  # a's 7 injections cover 196 days; b and c do not reach 180
    assert retention == measure_retention_input(parquet, "omop", as_of=day(400))
    with input_path(empty_database_url, "omop", iet=True) as folder:
        iet = measure_iet_input(folder)
    assert iet == measure_iet_input(parquet)
    by_person = {p.patient_id: (p.cohort, p.engaged) for p in iet.patients}
    assert by_person == {"1": ("opioid", True), "2": ("alcohol", True), "3": ("excluded", False)}


@pytest.mark.postgres
def test_a_schema_is_read_on_postgresql(postgres_server: Any, parquet: Path) -> None:
    admin = sa.create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("CREATE DATABASE omop_schema"))
    admin.dispose()
    url = postgres_server.url("omop_schema")
    _write_database(url, schema="cdm")
    with input_path(url, "omop", iet=True, schema="cdm") as folder:
        assert measure_iet_input(folder) == measure_iet_input(parquet)
    with pytest.raises(InvalidInput) as caught, input_path(url, "omop", iet=True):
        pass  # the tables are not in the connection's own schema
    assert caught.value.field == "person"
    result = CliRunner().invoke(measure, ["pod", url, "--format", "omop", "--schema", "cdm", "--totals-only"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["denominator"] == 3


def test_a_missing_table_is_named(empty_database_url: str) -> None:
    _write_database(empty_database_url, leave_out="visit_occurrence")
    with input_path(empty_database_url, "omop") as folder:
        assert measure_pod_input(folder, "omop").denominator == 3  # POD does not read visits
    with pytest.raises(InvalidInput) as caught, input_path(empty_database_url, "omop", iet=True):
        pass
    assert (caught.value.field, caught.value.rule) == ("visit_occurrence", "is not a table of the database")


def test_a_value_that_is_not_a_date_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'omop.db'}"
    _write_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE drug_exposure SET drug_exposure_start_date = 'soon' "
                                   "WHERE drug_exposure_id = 1"))
    engine.dispose()
    with pytest.raises(InvalidInput) as caught, input_path(url, "omop"):
        pass
    assert caught.value.field == "drug_exposure" and "soon" in caught.value.rule


def test_an_unreachable_server_is_named_without_its_password() -> None:
    url = "postgresql+psycopg://reader:s3cret@127.0.0.1:9/cdm"
    result = CliRunner().invoke(measure, ["iet", url])
    assert result.exit_code == 2
    assert "INPUT: 'postgresql+psycopg://reader:***@127.0.0.1:9/cdm' could not be read" in result.stderr
    assert "s3cret" not in result.output


def test_a_database_url_is_for_omop_only_and_a_schema_for_a_database_only(tmp_path: Path, parquet: Path) -> None:
    url = f"sqlite:///{tmp_path / 'omop.db'}"
    result = CliRunner().invoke(measure, ["pod", url, "--format", "claims-parquet"])
    assert result.exit_code == 2 and "only OMOP tables are read from one" in result.stderr
    result = CliRunner().invoke(measure, ["iet", str(parquet), "--schema", "cdm"])
    assert result.exit_code == 2 and "schema: 'cdm' is for OMOP tables in a database" in result.stderr
    result = CliRunner().invoke(measure, ["pod", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2 and "is neither a file, a folder nor a database URL" in result.stderr


def test_concepts_are_read_from_the_database_only_those_the_tables_refer_to(empty_database_url: str) -> None:
    write_cdm_database(empty_database_url, cdm(coded=True))
    with input_path(empty_database_url, "omop") as folder:
        # RxNorm concepts of drug_exposure only: not the NDC concept it also refers to, nor unused ones.
        assert _staged_concepts(folder) == sorted([XR_CONCEPT, ORAL_CONCEPT, STATIN_CONCEPT])
        assert pod_summary(measure_pod_input(folder, "omop")) == POD
        assert retention_summary(measure_retention_input(folder, "omop", as_of=cdm_day(300))) == RETENTION
    with input_path(empty_database_url, "omop", iet=True) as folder:
        assert _staged_concepts(folder) == sorted([XR_CONCEPT, ORAL_CONCEPT, STATIN_CONCEPT, OUD_SNOMED,
                                                   HYPERTENSION_SNOMED, AUD_ICD10CM])
        assert iet_summary(measure_iet_input(folder)) == IET


def test_without_a_concept_table_none_is_staged(empty_database_url: str) -> None:
    write_cdm_database(empty_database_url, cdm(coded=False))
    with input_path(empty_database_url, "omop", iet=True) as folder:
        assert not (folder / "concept.parquet").exists()
        assert iet_summary(measure_iet_input(folder)) == IET


def test_a_concept_id_column_missing_beside_a_concept_table_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'omop.db'}"
    write_cdm_database(url, cdm(coded=True), leave_out="drug_exposure.drug_concept_id")
    with pytest.raises(InvalidInput, match="required column") as caught, input_path(url, "omop"):
        pass
    assert caught.value.field == "drug_exposure.drug_concept_id"
