# The two commands of the README: `make demo` (the main job) and `make test` (everything CI runs).
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test check services install clean

demo: $(STAMP)
	$(VENV)/bin/dunmail demo

test: $(STAMP) services
	scripts/check
	scripts/test

check: $(STAMP)
	scripts/check

services:
	scripts/services

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
