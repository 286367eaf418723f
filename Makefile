# The README's two commands: `make demo` and `make test`. Both work on a fresh machine with
# only python3 and make; everything else is installed here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test test-fast lint bench clean setup test-deps

# The inner-loop lane: everything but the slow, emulator and compat tests (see tests/conftest.py),
# spread over one pytest worker per core (pytest-xdist): no timing statistics run in this lane, so
# tests sharing the cores cannot skew what they measure. `make test` stays one process.
FAST := not slow and not emulator and not compat

demo: $(STAMP)
	$(VENV)/bin/pgbridge demo

# Both print the suite's wall time last (tests/conftest.py).
test: $(STAMP) test-deps
	$(PY) -m pytest -q tests

test-fast: $(STAMP) test-deps
	$(PY) -m pytest -q -n auto -m "$(FAST)" tests

lint: $(STAMP)
	$(VENV)/bin/ruff check pgbridge tests bench
	$(VENV)/bin/mypy pgbridge

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || (scripts/apt-install.sh python3-venv && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,fast]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

test-deps: $(STAMP)
	@scripts/install-test-deps.sh

clean:
	rm -rf $(VENV) .pgbridge-demo .tools
