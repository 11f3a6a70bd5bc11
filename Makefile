# naltrack: `make demo` serves a synthetic program; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PORT   ?= $(or $(NALTRACK_PORT),8000)
DEMO_PATIENTS ?= 300

.PHONY: install demo test test-unit test-integration test-e2e check bench clean

# Serving needs the package and the web assets only; the suite adds the test tools and Spark (the
# `spark` extra: `measure pod --engine spark` and its tests).
$(STAMP): pyproject.toml src/naltrack/web/package.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e .
	mkdir -p build/web && cp src/naltrack/web/package.json build/web/package.json
	command -v npm >/dev/null && npm install --prefix build/web --no-audit --no-fund --silent \
	  || echo "npm unavailable: the web app runs without htmx (progressive enhancement), with the plotly package's Plotly"
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/uv pip install -q --python $(BIN)/python -e ".[test,spark]"
	touch $(TEST_STAMP)

install: $(TEST_STAMP)

demo: $(STAMP)
	NALTRACK_DEMO=1 $(BIN)/naltrack demo --patients $(DEMO_PATIENTS) --seed 7 --if-empty
	NALTRACK_DEMO=1 NALTRACK_CDS_ANONYMOUS=allow NALTRACK_PORT=$(PORT) $(BIN)/naltrack serve

# The whole suite, PostgreSQL and browser tests included: scripts/test-deps installs what is missing
# (or fails naming it), and the REQUIRE variables make a missing part a failure, never a skip.
test: $(TEST_STAMP)
	scripts/test-deps
	NALTRACK_REQUIRE_POSTGRES=1 NALTRACK_REQUIRE_BROWSER=1 NALTRACK_REQUIRE_SPARK=1 $(BIN)/python -m pytest -q -p no:cacheprovider

test-unit: $(TEST_STAMP)
	$(BIN)/python -m pytest -q tests/unit src

test-integration: $(TEST_STAMP)
	$(BIN)/python -m pytest -q tests/integration

test-e2e: $(TEST_STAMP)
	$(BIN)/python -m pytest -q tests/e2e

check: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src

bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
