# TraceDesk: `make run` opens the app on a demo database, `make test` runs every check.
# Both create the virtualenv (.venv/) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MLFLOW_VENV := .venv-mlflow
MLFLOW_STAMP := $(MLFLOW_VENV)/.installed


.PHONY: run test lint bench mlflow-venv clean

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

test: lint $(MLFLOW_STAMP)
	QT_QPA_PLATFORM=offscreen TRACEDESK_MLFLOW_PYTHON=$(CURDIR)/$(MLFLOW_VENV)/bin/python \
		$(BIN)/python -m pytest

# Real MLflow 3.18.0, only for interoperability tests and benchmarks (never a runtime dependency).
# The registry's mlflow-skinny/mlflow-tracing stop at 3.17.2; the full 3.18.0 wheel carries them.
$(MLFLOW_STAMP):
	test -x $(MLFLOW_VENV)/bin/python || $(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check mlflow==3.17.2
	$(MLFLOW_VENV)/bin/python -m pip uninstall --quiet --yes mlflow mlflow-skinny mlflow-tracing
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps mlflow==3.18.0
	touch $(MLFLOW_STAMP)

mlflow-venv: $(MLFLOW_STAMP)

bench: $(STAMP) $(MLFLOW_STAMP)
	$(BIN)/python -m tests.bench.run --mlflow-python $(MLFLOW_VENV)/bin/python

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) build dist *.egg-info
