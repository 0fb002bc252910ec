# TraceDesk: `make run` opens the app on a demo database, `make test` runs every check.
# Both create the virtualenv (.venv/) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MLFLOW_VENV := .venv-mlflow
MLFLOW_STAMP := $(MLFLOW_VENV)/.installed
# What the PostgreSQL interop tests add to it: a driver, and ChatOllama for the tutorial replay.
MLFLOW_EXTRAS := $(MLFLOW_VENV)/.installed-postgres
PACKAGE_STAMP := $(VENV)/.installed-package


.PHONY: run test lint bench package mlflow-venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tracedesk --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture

PYTEST := QT_QPA_PLATFORM=offscreen TRACEDESK_MLFLOW_PYTHON=$(CURDIR)/$(MLFLOW_VENV)/bin/python \
	$(BIN)/python -m pytest

test: lint $(MLFLOW_EXTRAS)
	$(PYTEST)

# A one-folder bundle (PyInstaller) in dist/tracedesk/, then its smoke tests (packaging/README.md).
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/python packaging/build.py --quiet
	QT_QPA_PLATFORM=offscreen TRACEDESK_BUNDLE_TESTS=1 TRACEDESK_BUNDLE=$(CURDIR)/dist/tracedesk \
		$(BIN)/python -m pytest -m bundle tests/packaging

# Real MLflow 3.18.0, only for interoperability tests and benchmarks (never a runtime dependency).
# The registry's mlflow-skinny/mlflow-tracing stop at 3.17.2; the full 3.18.0 wheel carries them.
$(MLFLOW_STAMP):
	test -x $(MLFLOW_VENV)/bin/python || $(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check mlflow==3.17.2
	$(MLFLOW_VENV)/bin/python -m pip uninstall --quiet --yes mlflow mlflow-skinny mlflow-tracing
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps mlflow==3.18.0
	touch $(MLFLOW_STAMP)

# Real MLflow reaches the PostgreSQL test cluster through psycopg 3 (`postgresql+psycopg://`),
# and replays the tutorial's autologged ChatOllama (tests/interop/replay_tutorial_postgres.py).
$(MLFLOW_EXTRAS): $(MLFLOW_STAMP)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		'psycopg[binary]>=3.2' 'langchain-ollama>=1.0'
	touch $(MLFLOW_EXTRAS)

mlflow-venv: $(MLFLOW_EXTRAS)

# SQLite (tests/bench/run.py), then PostgreSQL (tests/bench/postgres.py: a 1,000,000-trace store
# on a throwaway local cluster, cached under bench-data/); each writes its BENCHMARKS.md section.
bench: $(STAMP) $(MLFLOW_EXTRAS)
	status=0; \
	$(BIN)/python -m tests.bench.run --mlflow-python $(MLFLOW_VENV)/bin/python || status=$$?; \
	$(BIN)/python -m tests.bench.postgres --write --mlflow-python $(MLFLOW_VENV)/bin/python \
		|| status=$$?; \
	exit $$status

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) build dist *.egg-info
