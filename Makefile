# dukaan: `make run` serves the app on the embedded defaults; `make test` is what CI runs.

SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions with hashes of every runtime and test dependency (Python 3.11, Linux x86_64): `make lock`.
LOCK := requirements.lock
# No .pytest_cache in the tree; every run starts from a clean slate anyway.
PYTEST := $(BIN)/pytest -p no:cacheprovider
# Extra arguments for pytest (make test PYTEST_ARGS='-k health -x') and for `dukaan up`.
PYTEST_ARGS ?=
# A whole pass spreads its files over the cores (pytest-xdist; conftest.py says which stay together); a
# run given PYTEST_ARGS runs in one process, as a debugger and -x expect.
XDIST := $(if $(PYTEST_ARGS),,-n auto --dist loadgroup)
UP_ARGS ?=

# pytest exits 5 when it collected no test: that is not a failure here.
pytest_ok = status=0; $(1) || status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

.PHONY: run install lock test test-postgres test-sqlite test-cluster lint mypy-baseline bench sysdeps clean

$(BIN)/python:
	python3 -m venv $(VENV)

# Reinstall only when pyproject.toml or the lock changed since the last install. The lock brings every
# dependency; the project itself goes on top without asking for any.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The translation catalogues (dukaan/<app>/locale/<lang>/LC_MESSAGES/django.po, docs/i18n.md) compiled
# in pure Python, so running needs no GNU gettext; a .mo is rebuilt when its .po is newer.
PO_FILES := $(wildcard dukaan/*/locale/*/LC_MESSAGES/django.po)
$(PO_FILES:.po=.mo): %.mo: %.po | $(STAMP)
	$(BIN)/dukaan compilemessages

install: $(STAMP) $(PO_FILES:.po=.mo)

# The newest versions pyproject.toml allows, pinned with their hashes; commit the result.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --upgrade --quiet \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --output-file $(LOCK)

run: install
	$(BIN)/dukaan up $(UP_ARGS)

# Every check runs, so one run shows every problem; the target fails if any of them failed.
lint: install
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/lint-imports --no-cache || status=1; \
	$(BIN)/python tools/layers_picture.py --check || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

# Drop from mypy's baseline (pyproject.toml) the modules that have no error now; it never adds one.
mypy-baseline: install
	$(BIN)/python tools/mypy_baseline.py

# PostgreSQL's server programs and Debian's Chromium, for the PostgreSQL pass and browser tests.
# Java and Maven fetch and run Kafka, Kafka Connect and Debezium (deploy/local/kafka.py); Redis backs
# the catalog cache and the storefront service; Varnish (with varnish-modules' xkey) is the edge cache;
# nginx and wrk are the benches' ceiling and load generator; prometheus ships the promtool that checks
# deploy/observability/ (python -m deploy.local tools). gettext's xgettext makes the translation catalogues
# (the test that checks them runs makemessages); Noto draws the Hindi pages in the browser tests. Caddy,
# Pebble (Let's Encrypt's test ACME server) and openssl run the custom domains' HTTPS test (tests/tls/).
SYSTEM_PACKAGES := postgresql chromium fonts-liberation openjdk-17-jre-headless maven redis-server nginx wrk \
	varnish varnish-modules pgbouncer prometheus gettext fonts-noto-core caddy pebble openssl
sysdeps:
	@if dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "make test needs these Debian packages. As root, run:" >&2; \
		echo "  apt-get update && apt-get install -y $(SYSTEM_PACKAGES)" >&2; \
		exit 1; \
	fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q $(SYSTEM_PACKAGES)

test: lint sysdeps
	@status=0; \
	$(MAKE) --no-print-directory test-postgres || status=1; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-cluster || status=1; \
	exit $$status

# tests/kafka runs after the rest, alone: Debezium creates its replication slot, which waits for every
# open transaction on the server, and tests running beside it on another worker kept it waiting.
test-postgres: install
	@echo "== pytest on PostgreSQL (throwaway cluster) =="
	@$(call pytest_ok,$(BIN)/python -m deploy.local with-postgres -- $(PYTEST) $(XDIST) \
		$(if $(PYTEST_ARGS),$(PYTEST_ARGS),--ignore=tests/kafka))
	@$(if $(PYTEST_ARGS),,$(call pytest_ok,$(BIN)/python -m deploy.local with-postgres -- $(PYTEST) tests/kafka))

test-sqlite: install
	@echo "== pytest on SQLite (default settings) =="
	@$(call pytest_ok,env -u DATABASE_URL $(PYTEST) $(XDIST) $(PYTEST_ARGS))

# The whole topology (`dukaan cluster up`, deploy/local/cluster.py) in a temporary folder, booted once,
# then tests/cluster drives it from outside: HTTP through nginx, Chromium, signals to its processes.
test-cluster: install
	@echo "== cluster: dukaan cluster up, then tests/cluster =="
	@$(call pytest_ok,env -u DATABASE_URL $(PYTEST) -m cluster tests/cluster $(PYTEST_ARGS))

# bench/conftest.py loads dukaan/conftest.py as a plugin, which pytest refuses in a session that also
# collects dukaan/ ("Plugin already registered under a different name"): dukaan/ runs on its own.
# The Kafka + Debezium bench (tests/kafka) needs PostgreSQL's WAL, so the second pass runs them all
# against a throwaway PostgreSQL (bench-postgres); on SQLite it is skipped. Each pass merges its figures
# into docs/benchmarks/results.json and rewrites README.md there (bench/report.py).
# BENCH=storefront,search runs only those benches; QUICK=1 shortens every load and writes to
# test-artifacts/bench/quick/ instead.
BENCH ?=
QUICK ?= $(BENCH_QUICK)
BENCH_ENV := env BENCH='$(BENCH)' BENCH_QUICK='$(QUICK)'
# A failing pass does not stop the next one (each writes its figures); the target fails at the end.
bench: install
	@failed=0; \
	echo "== bench: default database =="; \
	( $(call pytest_ok,$(BENCH_ENV) $(PYTEST) -m bench $(wildcard bench) tests $(PYTEST_ARGS)) ) || failed=1; \
	( $(call pytest_ok,$(BENCH_ENV) $(PYTEST) -m bench dukaan $(PYTEST_ARGS)) ) || failed=1; \
	echo "== bench-postgres: PostgreSQL (throwaway cluster), Kafka + Debezium, checkout =="; \
	( $(call pytest_ok,$(BENCH_ENV) $(BIN)/python -m deploy.local with-postgres -- $(PYTEST) -m bench $(wildcard bench) tests $(PYTEST_ARGS)) ) || failed=1; \
	exit $$failed

clean:
	rm -rf test-artifacts .pytest_cache .ruff_cache build *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
