# guideprint — two commands on a fresh machine:
#   make build   set everything up, then build every output into out/
#   make test    set everything up (with test tools), then run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup setup-test system build test lint bench clean

system:
	@bash scripts/setup-system.sh

$(BIN)/guideprint: pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: $(BIN)/guideprint pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup: system $(BIN)/guideprint

setup-test: setup $(VENV)/.test-deps

build: setup
	$(BIN)/guideprint build

test: lint
	$(BIN)/pytest -q

lint: setup-test
	$(BIN)/ruff check builder tests
	$(BIN)/mypy builder
	$(BIN)/lint-imports

bench: setup-test
	command -v pandoc >/dev/null || apt-get install -y -qq pandoc
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf out .guideprint-cache
