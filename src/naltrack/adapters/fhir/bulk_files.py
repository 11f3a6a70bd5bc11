"""Reading the files of a FHIR import: bundles, NDJSON and FHIR Bulk Data folders.

A bulk export folder (as the FHIR Bulk Data Access IG writes it, and as the public Synthea samples
of smart-on-fhir/sample-bulk-fhir-datasets are laid out) holds one or more ``<Type>.<n>.ndjson`` files
per resource type, and beside them files that are not resources: the export's ``log.ndjson``
(kick-off and completion events), a manifest, a ``NOTICE.txt``. A file whose JSON is not a FHIR
resource is ignored with a note naming it; a line that is not JSON, or JSON nested deeper than
:data:`MAX_DEPTH`, is a problem naming the file and line.

A Bundle may be a ``transaction``, ``collection``, ``batch`` or ``searchset`` (what
``Patient/$everything`` answers); the OperationOutcome entries of a searchset
(``search.mode`` = ``outcome``) are notes about the search, not data, and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from naltrack.adapters.fhir.r4_common import ValidationProblem
from naltrack.domain.limits import MAX_JSON_DEPTH

BUNDLE_TYPES = ("transaction", "collection", "batch", "searchset")
#: The deepest JSON nesting read: the storage limit of every JSON body. A Bundle of FHIR resources is about a
#: dozen levels deep (an extension inside a coding inside a component of an entry's resource).
MAX_DEPTH = MAX_JSON_DEPTH
_TOO_DEEP = f"is nested deeper than {MAX_DEPTH} levels (the limit of a JSON body)"


@dataclass(frozen=True)
class Located:
    """A resource and where it came from."""

    resource: dict[str, Any]
    position: str
    full_url: str | None = None


@dataclass(frozen=True)
class Ignored:
    """A file (or line) that holds no FHIR resource, and why it was left out."""

    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


Item = Located | ValidationProblem | Ignored


def load_files(path: Path) -> Iterator[Item]:
    """Every resource under ``path`` (a .json bundle, an .ndjson file, or a folder of them), with the
    problems and the ignored files."""
    try:
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".ndjson")) if path.is_dir() else [path]
    except OSError as error:  # a folder that cannot be listed
        yield ValidationProblem(str(path), "(folder)", f"cannot be read ({error.strerror})")
        return
    if not files:
        yield ValidationProblem(str(path), "(file)", "holds no .json or .ndjson file")
        return
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            yield ValidationProblem(str(file), "(file)", f"cannot be read ({error})")
            continue
        yield from (_ndjson if file.suffix == ".ndjson" else _json_file)(file.name, text)


class UnreadableJson(ValueError):
    """Text that is not JSON, or JSON nested deeper than :data:`MAX_DEPTH`; ``where`` is ``line L column C``."""

    def __init__(self, reason: str, where: str | None = None) -> None:
        self.reason = reason
        self.where = where
        super().__init__(f"{reason} ({where})" if where else reason)


def parse_json(text: str) -> Any:
    """The JSON value of ``text``; raises :class:`UnreadableJson` for bad JSON or nesting beyond :data:`MAX_DEPTH`."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableJson(f"is not valid JSON ({error.msg})", f"line {error.lineno} column {error.colno}") \
            from None
    except RecursionError:
        raise UnreadableJson(_TOO_DEEP) from None
    if json_depth(value) > MAX_DEPTH:
        raise UnreadableJson(_TOO_DEEP)
    return value


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests objects and arrays (a scalar is 0), without recursion.

    >>> json_depth({"a": [{"b": 1}]}), json_depth("x")
    (3, 0)
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:  # deeper is already too deep: stop walking
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def _ndjson(name: str, text: str) -> Iterator[Item]:
    read_any = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = parse_json(line)
        except UnreadableJson as error:
            yield ValidationProblem(f"{name}:{number}", "(line)", error.reason)
            continue
        if _is_resource(value):
            read_any = True
            yield Located(value, f"{name}:{number}")
        elif not read_any:  # a log or manifest, not resources: the whole file is left out
            yield Ignored(name, "holds no FHIR resources (a bulk export log or manifest), ignored")
            return
        else:
            yield ValidationProblem(f"{name}:{number}", "resourceType", "is missing (every line is one resource)")


def _json_file(name: str, text: str) -> Iterator[Item]:
    try:
        data = parse_json(text)
    except UnreadableJson as error:
        yield ValidationProblem(name, "(file)", str(error))
        return
    if not _is_resource(data):
        yield Ignored(name, "is not a FHIR resource (a manifest or other file), ignored")
        return
    if data.get("resourceType") != "Bundle":
        yield Located(data, name)
        return
    if data.get("type") not in BUNDLE_TYPES:
        yield ValidationProblem(name, "Bundle.type", f"{data.get('type')!r} must be one of {', '.join(BUNDLE_TYPES)}")
        return
    for n, entry in enumerate(data.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            yield ValidationProblem(f"{name}#entry[{n}]", "resource", "is missing")
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            yield Ignored(f"{name}#entry[{n}]", "a search outcome, not data, ignored")
            continue
        yield Located(resource, f"{name}#entry[{n}]", entry.get("fullUrl"))
