"""Static files as served: gzip when accepted, strong validators, hashed library names, the Plotly bundle chosen."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from naltrack.web import assets
from naltrack.web.assets import (
    OWN_CACHE,
    PLOTLY_IN_PREFIX,
    URL_HASH_LENGTH,
    VENDOR_CACHE,
    accepts_gzip,
    etag_matches,
    find_plotly,
    find_python_plotly,
    load_file,
    static_response,
)

SCRIPT = b"function draw(chart) { return chart; }\n" * 200


@pytest.fixture()
def script(tmp_path: Path) -> Path:
    path = tmp_path / "lib.min.js"
    path.write_bytes(SCRIPT)
    return path


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip", True), ("gzip, deflate, br, zstd", True), ("br;q=1.0, gzip;q=0.5", True), ("x-gzip", True),
    ("*", True), ("*;q=0.1", True), ("GZIP", True), ("gzip ; q=0.001", True),
    ("", False), ("identity", False), ("br", False), ("gzip;q=0", False), ("gzip;q=0.000", False),
    ("*, gzip;q=0", False), ("*;q=0", False), ("gzip;q=zero", False),
])
def test_accept_encoding_allows_gzip_only_with_a_weight_above_zero(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.mark.parametrize(("header", "expected"), [
    ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True),
    ('"abcd"', False), ('"ab"', False), ("abc", False), ("", False), (None, False),
])
def test_if_none_match_names_the_etag_or_everything(header: str | None, expected: bool) -> None:
    assert etag_matches(header, '"abc"') is expected


def test_a_library_is_named_by_its_content_hash_and_cached_as_immutable(script: Path) -> None:
    file = load_file(script, VENDOR_CACHE, "lib")
    digest = hashlib.sha256(SCRIPT).hexdigest()
    assert file.name == f"lib.{digest[:URL_HASH_LENGTH]}.js" and len(file.name) == len("lib.") + 12 + len(".js")
    assert file.etag(False) == f'"{digest[:32]}"' and file.etag(True) == f'"{digest[:32]}-gzip"'
    assert file.cache_control == "public, max-age=31536000, immutable"
    assert gzip.decompress(file.gzipped or b"") == SCRIPT and len(file.gzipped or b"") < len(SCRIPT) // 10


def test_a_changed_file_gets_another_name(script: Path) -> None:
    before = load_file(script, VENDOR_CACHE, "lib").name
    script.write_bytes(SCRIPT + b"// 2\n")
    after = load_file(script, VENDOR_CACHE, "lib")
    assert after.name != before and after.body.endswith(b"// 2\n")


def test_an_own_file_keeps_its_name(script: Path) -> None:
    file = load_file(script, OWN_CACHE)
    assert file.name == "lib.min.js" and file.cache_control == "no-cache" and file.media_type == "text/javascript"


def test_a_file_gzip_would_not_shrink_is_served_as_it_is(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.css"
    tiny.write_bytes(b"a{}")
    file = load_file(tiny, OWN_CACHE)
    assert file.gzipped is None
    response = static_response(file, {"accept-encoding": "gzip"})
    assert response.body == b"a{}" and "content-encoding" not in response.headers and "vary" not in response.headers


def test_gzip_is_served_when_accepted_and_identity_otherwise(script: Path) -> None:
    file = load_file(script, OWN_CACHE)
    packed = static_response(file, {"accept-encoding": "gzip, br"})
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.body) == SCRIPT and packed.headers["content-length"] == str(len(packed.body))
    assert packed.headers["etag"] == file.etag(True)
    for refused in ({}, {"accept-encoding": "identity"}, {"accept-encoding": "gzip;q=0"}):
        plain = static_response(file, refused)
        assert plain.body == SCRIPT and "content-encoding" not in plain.headers, refused
        assert plain.headers["vary"] == "Accept-Encoding" and plain.headers["etag"] == file.etag(False)


def test_a_current_copy_gets_304_without_a_body(script: Path) -> None:
    file = load_file(script, OWN_CACHE)
    same = static_response(file, {"if-none-match": file.etag(False)})
    assert same.status_code == 304 and same.body == b"" and "content-length" not in same.headers
    assert same.headers["etag"] == file.etag(False) and same.headers["cache-control"] == "no-cache"
    assert static_response(file, {"if-none-match": file.etag(True), "accept-encoding": "gzip"}).status_code == 304
    # The gzip form's validator does not validate the identity form, nor an older version.
    assert static_response(file, {"if-none-match": file.etag(True)}).status_code == 200
    assert static_response(file, {"if-none-match": '"0123"'}).status_code == 200


def test_plotly_is_the_npm_basic_bundle_when_installed(tmp_path: Path) -> None:
    bundle = tmp_path / PLOTLY_IN_PREFIX
    bundle.parent.mkdir(parents=True)
    bundle.write_bytes(SCRIPT)
    assert find_plotly(str(tmp_path)) == bundle


def test_plotly_falls_back_to_the_python_package_without_the_npm_bundle(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "NPM_PREFIX", Path("no-such-folder"))
    python_plotly = find_python_plotly()
    assert python_plotly is not None and python_plotly.name == "plotly.min.js"
    assert find_plotly(str(tmp_path)) == python_plotly
