# podgate: `make demo` and `make test` work from a fresh clone (Python 3.11, git, make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit coverage fixtures bench clean contract

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ui-test]'
	# OPA's Go engine for `export --to gatekeeper --verify` and its tests: it declares
	# Python >= 3.14 but runs on 3.11, so it is not an extra (see README, Dependencies)
	$(BIN)/python -m pip install --quiet --ignore-requires-python 'opa-golib-python-bindings>=0.4.4'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python examples/demo.py

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2

# the suite with branch coverage reported (about 70% more CPU than `unit`, so not in `make test`)
coverage: $(STAMP)
	$(BIN)/pytest -n 2 --cov=podgate --cov-report=term:skip-covered

fixtures: $(STAMP)
	$(BIN)/python -m tests.pss_fixtures.generate

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_psp_admit.py
	$(BIN)/python benchmarks/bench_pss.py

contract: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH ../shared/tools/check-cli-contract

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
