# The two README commands: `make` (book + student release) and `make test` (every test).
# Both set themselves up from scratch on a machine with Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: all setup release book test lint tools clean

all: book

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Regenerate the student versions in assignments/ from the instructor versions in source/.
release: setup
	$(BIN)/allyship release

# Build the book into _build/html (strict: any warning fails the build).
book: release
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# Browser and accessibility tools the tests need (Chromium from Debian, axe-core from npm).
tools:
	bash scripts/install-test-tools.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup tools lint
	$(BIN)/python -m pytest

clean:
	rm -rf _build .pytest_cache
