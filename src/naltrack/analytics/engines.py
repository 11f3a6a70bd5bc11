"""The engines the population measures run on: DuckDB, embedded (the default), and Apache Spark.

A measure is written once, as SQL statements both engines run: Spark SQL and DuckDB meet on window
functions, ``CASE``, ``coalesce``, ``least``, ``try_cast``, integer arithmetic, ``VALUES`` lists and the
``STRING``, ``INT`` and ``DATE`` types. The engine supplies only what differs between them:

* how an input becomes a named relation: a CSV with a typed schema (a value that does not convert is an
  error, never a silent null), Parquet (one file, or a folder of files, hive-partitioned or not, read
  lazily), NumPy columns (DuckDB only);
* how a step is kept for the steps after it (a DuckDB temporary table, a persisted Spark view);
* the two expressions the dialects spell differently: a date's day number (days since 1970-01-01)
  and the key a patient's rows are grouped by (DuckDB numbers the patients so that its windows sort
  integers; Spark partitions by the identifier itself and needs no global numbering).

Every error an engine raises while reading or computing is an :class:`EngineError`, so a measure names
the bad value the same way on either engine. Spark is an optional extra (``pip install naltrack[spark]``):
:func:`open_engine` names the extra when pyspark is missing. Its session (local mode by default, or the
``master`` URL of a cluster) is started once per process and kept, as Spark sessions are costly to start
(and Spark runs one context a process: the first measure's settings hold for the process).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import duckdb
import numpy as np

from naltrack.domain.errors import InvalidInput

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")
#: A column list of an input: (name, SQL type) in the types both engines know.
Schema = Sequence[tuple[str, str]]


class EngineError(Exception):
    """A value an engine could not read or convert, or a query it refused (the engine's first line)."""


@dataclass(frozen=True)
class EngineChoice:
    """Which engine runs a measure, and how: worker threads (DuckDB threads, Spark local cores), a memory
    limit (DuckDB ``memory_limit``, Spark driver memory, as ``"3GB"``), and the Spark master URL (a cluster's
    ``spark://host:7077``, ``yarn``, ...; local mode when ``None``)."""

    name: EngineName = "duckdb"
    threads: int | None = None
    memory_limit: str | None = None
    master: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise InvalidInput("engine", str(self.name), f"must be one of {', '.join(ENGINES)}")
        if self.threads is not None and not 1 <= self.threads <= 1024:
            raise InvalidInput("threads", str(self.threads), "must be between 1 and 1024")
        if self.master is not None and self.name != "spark":
            raise InvalidInput("spark master", self.master, "is for --engine spark only")


#: The default: DuckDB in this process, its own choice of threads and memory.
DUCKDB = EngineChoice()


class Engine(Protocol):
    """What a measure asks of an engine (see the module text)."""

    name: EngineName
    #: The SQL expression numbering the patients (see the module text), or ``None``: partition by the identifier.
    patient_key: str | None

    def day_number(self, column: str) -> str:
        """SQL: the day number (days since 1970-01-01, an INT) of the DATE ``column``."""

    def csv(self, name: str, path: Path, schema: Schema) -> None:
        """Name the CSV at ``path`` (with a header) ``name``, typed by ``schema`` (dates as YYYY-MM-DD)."""

    def parquet(self, name: str, path: Path) -> None:
        """Name the Parquet file, or every Parquet file under the folder, ``path`` as ``name``."""

    def columns(self, name: str) -> set[str]:
        """The column names of the relation ``name``."""

    def keep(self, name: str, sql: str) -> None:
        """Compute ``sql`` as the relation ``name``, kept for the statements that follow."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of the query ``sql``."""


class DuckDBEngine:
    """DuckDB in this process: temporary tables, lazy scans of CSV and Parquet."""

    name: EngineName = "duckdb"
    patient_key: str | None = "CAST(row_number() OVER () AS INT)"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def day_number(self, column: str) -> str:
        return f"CAST({column} - DATE '1970-01-01' AS INT)"

    def csv(self, name: str, path: Path, schema: Schema) -> None:
        columns = ", ".join(f"'{column}': '{_duck_type(kind)}'" for column, kind in schema)
        self._run(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_csv({_literal(str(path))},
                      header = true, dateformat = '%Y-%m-%d', columns = {{{columns}}})""")

    def parquet(self, name: str, path: Path) -> None:
        target = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        self._run(f"CREATE OR REPLACE TEMP VIEW {name} AS "
                  f"SELECT * FROM read_parquet({_literal(target)}, hive_partitioning = true)")
        self.columns(name)  # a file that is not Parquet is refused here, not at the first query

    def arrays(self, name: str, columns: dict[str, np.ndarray]) -> None:
        """Name NumPy columns ``name`` (scanned in bulk, without a copy into a table)."""
        self.con.register(name, columns)

    def columns(self, name: str) -> set[str]:
        return {str(row[0]) for row in self.rows(f"DESCRIBE SELECT * FROM {name}")}

    def keep(self, name: str, sql: str) -> None:
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql).fetchall()
        except duckdb.Error as error:
            raise EngineError(_first_line(error)) from error

    def _run(self, sql: str) -> None:
        try:
            self.con.execute(sql)
        except duckdb.Error as error:
            raise EngineError(_first_line(error)) from error


class SparkEngine:
    """Spark SQL over a session of this process: persisted temporary views, lazy Parquet and CSV scans."""

    name: EngineName = "spark"
    patient_key: str | None = None

    def __init__(self, session: Any) -> None:
        self.session = session
        self._kept: list[Any] = []
        self._views: list[str] = []

    def day_number(self, column: str) -> str:
        return f"datediff({column}, DATE '1970-01-01')"

    def csv(self, name: str, path: Path, schema: Schema) -> None:
        ddl = ", ".join(f"{column} {kind}" for column, kind in schema)
        frame = self.session.read.csv(str(path), header=True, schema=ddl, dateFormat="yyyy-MM-dd", mode="FAILFAST")
        self._view(name, frame)

    def parquet(self, name: str, path: Path) -> None:
        with self._errors():
            frame = self.session.read.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.parquet") \
                .parquet(str(path))
        self._view(name, frame)

    def columns(self, name: str) -> set[str]:
        with self._errors():
            return set(self.session.table(name).columns)

    def keep(self, name: str, sql: str) -> None:
        from pyspark import StorageLevel

        with self._errors():
            frame = self.session.sql(sql).persist(StorageLevel.MEMORY_AND_DISK)
        self._kept.append(frame)
        self._view(name, frame)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self._errors():
            return [tuple(row) for row in self.session.sql(sql).collect()]

    def close(self) -> None:
        """Drop this measure's views and cached steps; the session stays for the next measure."""
        for frame in self._kept:
            frame.unpersist()
        for view in self._views:
            self.session.catalog.dropTempView(view)

    def _view(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            yield
        except (PySparkException, Py4JError) as error:
            raise EngineError(_first_line(error)) from error


@contextmanager
def open_engine(choice: EngineChoice = DUCKDB) -> Iterator[Engine]:
    """An engine for one measure, closed after it (DuckDB's connection; Spark's views and cached steps)."""
    if choice.name == "spark":
        engine = SparkEngine(spark_session(choice))
        try:
            yield engine
        finally:
            engine.close()
        return
    con = duckdb.connect()
    try:
        if choice.threads:
            con.execute(f"SET threads = {int(choice.threads)}")
        if choice.memory_limit:
            con.execute("SET memory_limit = ?", [choice.memory_limit])
        con.execute("SET enable_progress_bar = false; SET preserve_insertion_order = false")
        yield DuckDBEngine(con)
    finally:
        con.close()


_SESSIONS: dict[str, Any] = {}


def spark_session(choice: EngineChoice) -> Any:
    """The Spark session of this process (started on first use with ``choice``'s master, cores and memory, then
    kept: Spark runs one context a process, so the first choice's settings hold until the process ends).

    Raises
    ------
    InvalidInput
        When pyspark is not installed (naming the extra that installs it) or the session does not start.
    """
    if "session" in _SESSIONS:
        return _SESSIONS["session"]
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise InvalidInput("engine", "spark", "needs pyspark: pip install 'naltrack[spark]' (and Java 17 or newer)") \
            from error
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    cores = choice.threads or os.cpu_count() or 1
    master = choice.master or f"local[{cores}]"
    builder = (SparkSession.builder.appName("naltrack-measures").master(master)
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="naltrack-spark-"))
               .config("spark.sql.shuffle.partitions", str(max(4, 2 * cores)) if choice.master is None else "200"))
    if choice.master is None:  # local mode: the driver's JVM starts here, so its logging is ours to set
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_log_config()}")
    if choice.memory_limit:
        builder = builder.config("spark.driver.memory", _spark_memory(choice.memory_limit))
    try:
        session = builder.getOrCreate()
    except Exception as error:  # the JVM did not start: no Java, a bad master URL
        raise InvalidInput("engine", "spark", f"could not start a Spark session ({_first_line(error)})") from error
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS["session"] = session
    return session


#: Spark's own messages: errors only, to standard error (its default profile prints warnings and a banner).
_LOG4J2 = """status = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
rootLogger.level = error
rootLogger.appenderRef.console.ref = console
"""


def _log_config() -> str:
    path = Path(tempfile.mkdtemp(prefix="naltrack-spark-log-")) / "log4j2.properties"
    path.write_text(_LOG4J2, encoding="utf-8")
    return str(path)


def _spark_memory(limit: str) -> str:
    """DuckDB's ``3GB`` / ``512MB`` as the JVM's ``3g`` / ``512m``."""
    text = limit.strip().lower().replace("ib", "").replace("b", "")
    return text if text[-1:] in "kmgt" else text + "m"


def _duck_type(kind: str) -> str:
    return {"STRING": "VARCHAR"}.get(kind, kind)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(error: BaseException) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(error).__name__
