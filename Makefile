# Every target bootstraps .venv from pyproject.toml itself (pip re-runs only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint migrate status bench bench-attach soak golden clean clean-data venv

# Development targets run the SQL of this checkout (--db-dir db); an installed assetsync runs the SQL it ships.
DB_DIR := --db-dir db

# The demo's story lives in its own database (assetsync_demo). On the embedded server (no DATABASE_URL) the
# default database is migrated first too, so that `make status` and `make migrate` find it up to date after
# `make demo` instead of reporting every file pending; a DATABASE_URL database is never migrated by the demo.
demo: $(STAMP)
	@if [ -z "$${DATABASE_URL:-}" ]; then $(BIN)/assetsync migrate $(DB_DIR) >/dev/null && \
		echo "make demo: the default database is migrated too, so make status is up to date after the demo"; fi
	$(BIN)/assetsync demo $(DB_DIR)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/sqlfluff lint db src/assetsync
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src

# Rewrites tests/generated_functions.sql from what asset_sync_refresh() generates now; commit the diff.
golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_generated_code.py

migrate: $(STAMP)
	$(BIN)/assetsync migrate $(DB_DIR)

status: $(STAMP)
	$(BIN)/assetsync status $(DB_DIR)

# Benchmarks (issue 7): full mode ~12 min, BENCH_ARGS=--quick ~1 min; see bench/README.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Attach (issue 14) on 100,000 copies and 10,000 library rows, three rounds, about half a minute; see bench/README.md.
bench-attach: $(STAMP)
	$(BIN)/python bench/attach.py $(BENCH_ARGS)

# Longer runs of the reliability tests: thousands of model-based examples (ASSETSYNC_MODEL_EXAMPLES=N to
# change), the concurrency load test for a minute, and bench/soak when it exists.
soak: $(STAMP)
	@if [ -x bench/soak ]; then bench/soak; fi
	ASSETSYNC_MODEL_EXAMPLES=$${ASSETSYNC_MODEL_EXAMPLES:-3000} $(BIN)/pytest -q -s tests/test_model_based.py
	ASSETSYNC_SOAK=1 $(BIN)/pytest -q -s tests/test_concurrency_load.py::test_mixed_load_loses_no_edit_and_raises_no_error

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,lint,embedded]'
	touch $(STAMP)

# Removes the environment, caches and build outputs; never the embedded database (see clean-data).
clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis src/*.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

# Stops the embedded server and deletes its data directory (.assetsync). Needs no venv, so `make clean
# clean-data` works in either order: it asks the postmaster of .assetsync/pgdata/postmaster.pid for a fast
# shutdown (SIGINT) and waits for it to exit.
clean-data:
	@pidfile=.assetsync/pgdata/postmaster.pid; \
	if [ -f $$pidfile ]; then \
		pid=$$(head -n 1 $$pidfile); \
		if kill -INT $$pid 2>/dev/null; then \
			echo "stopping the embedded PostgreSQL (pid $$pid)"; \
			for i in $$(seq 100); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
			if kill -0 $$pid 2>/dev/null; then echo "pid $$pid did not stop; not deleting .assetsync" >&2; exit 1; fi; \
		fi; \
	fi
	rm -rf .assetsync
