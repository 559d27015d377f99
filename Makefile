# guideprint — two commands on a fresh machine:
#   make build   set everything up, then build every output into out/
#   make test    set everything up (with test tools), then run the test suite
#
# Python: PYTHON=... when given, else the first of python3.13, python3.12, python3.11 and
# python3 that is 3.11 or newer (python3 is 3.10 on Ubuntu 22.04).
VENV   := .venv
BIN    := $(VENV)/bin
FOUND  := $(shell for p in python3.13 python3.12 python3.11 python3; do \
            $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
            && { echo $$p; break; }; done)
PYTHON ?= $(FOUND)

.PHONY: setup setup-test system system-test python build test lint wheel bench clean

# System packages: what building needs; the test tools only for `make test`.
system:
	@bash scripts/setup-system.sh --python "$(PYTHON)"

system-test:
	@bash scripts/setup-system.sh --python "$(PYTHON)" --test

# A Python that can make the venv, or what to install (`make python` checks only that).
define check_python
	@if [ -z "$(PYTHON)" ]; then \
	  echo "guideprint needs Python 3.11 or newer: none of python3.13, python3.12," \
	       "python3.11, python3 is one." >&2; \
	  echo "  Debian 12: apt-get install python3 python3-venv" >&2; \
	  echo "  Ubuntu 22.04: apt-get install python3.11 python3.11-venv" >&2; \
	  echo "  elsewhere: https://www.python.org/downloads/, then make ... PYTHON=python3.12" >&2; \
	  exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "guideprint needs Python 3.11 or newer; $(PYTHON) is not (or is not found)." >&2; \
	  echo "  give another: make ... PYTHON=python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "guideprint: $(PYTHON) cannot make a venv (no ensurepip)." >&2; \
	  echo "  install it: apt-get install python$$v-venv (as root), or use another PYTHON=" >&2; \
	  exit 1; }
endef

python:
	$(check_python)
	@echo "guideprint: $(PYTHON) will do ($$($(PYTHON) -c 'import sys; print(sys.version.split()[0])'))"

# Made once: an existing venv keeps its Python (another PYTHON would mix two in one venv).
$(BIN)/python: | system
	$(check_python)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/guideprint: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: $(BIN)/guideprint pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup: system $(BIN)/guideprint

setup-test: setup system-test $(VENV)/.test-deps

build: setup
	$(BIN)/guideprint build

# The default run, then the slow tests it leaves out (tests/test_package.py: the wheel
# installed in a fresh venv, `guideprint init`, `guideprint build`).
test: lint
	$(BIN)/pytest -q
	$(BIN)/pytest -q -m slow

# The wheel an IT desk installs with pipx: dist/guideprint-<version>-py3-none-any.whl.
wheel: setup
	$(BIN)/pip wheel --quiet --no-deps -w dist .

lint: setup-test
	$(BIN)/ruff check builder tests
	$(BIN)/mypy builder
	$(BIN)/lint-imports

bench: setup-test
	@bash scripts/setup-system.sh --bench
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf out .guideprint-cache
