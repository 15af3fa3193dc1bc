# Two commands do everything on a fresh machine with python3 >= 3.11 and PyPI:
#   make demo   set up, start serve-local, generate a week of traffic, run the pipeline, print spend
#   make test   set up, lint, run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the copy `make uv` puts in .tools/uv.
UV_HOME := $(CURDIR)/.tools/uv
UV := $(shell command -v uv 2>/dev/null || echo "$(UV_HOME)/bin/uv")
export UV_LINK_MODE ?= copy
DEV_PORT ?= 3000

.PHONY: uv setup demo test lint fmt dev bench clean

# uv is bootstrapped with pip when missing. --target, not --user: a system Python marked as
# externally managed (PEP 668: Debian 12, Ubuntu 23.04 and later) refuses --user installs, and
# a private folder touches neither the system's packages nor the user's.
uv:
	@test -x "$(UV)" || $(PYTHON) -m pip install --quiet --target "$(UV_HOME)" uv || { \
		echo "uv is not installed and '$(PYTHON) -m pip' could not install it: install uv" \
			"(https://docs.astral.sh/uv/getting-started/installation/), or pip for $(PYTHON)" \
			"(Debian/Ubuntu: apt install python3-pip), or run make with PYTHON=<another python3>"; \
		exit 1; } >&2

# The lock file pins every version.
# --compile-bytecode: where Python may not write .pyc files (PYTHONDONTWRITEBYTECODE, as in many
# containers and CI machines), every process would compile Dagster from source: ~2 s and ~40 MB
# more per run, test and daemon process (BENCHMARKS.md). ~13 s on a new .venv, then ~0.4 s.
# Not uv's compile-bytecode setting in pyproject.toml: that costs ~0.35 s on every `uv run`.
setup: uv
	@$(UV) sync --frozen --quiet --compile-bytecode

demo: setup
	$(UV) run cost-pipeline demo

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .

test: lint
	$(UV) run pytest -n 2 --dist loadgroup

fmt: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

# Dagster UI on http://127.0.0.1:3001 with serve-local running in the background on DEV_PORT.
dev: setup
	$(UV) run cost-pipeline dev --port $(DEV_PORT)

bench: setup
	$(UV) run python -m bench.run_all

clean:
	rm -rf .cost_pipeline .pytest_cache .ruff_cache
