# Operator interface. Every target creates and uses .venv itself: a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
BIND ?= 127.0.0.1:8000
SCALE ?= small
export FLASK_APP := backend.wsgi
export BIND

.PHONY: install install-dev run serve worker events serve-proxy migrate seed shell test test-fast lint profile load load-links report bench bench-streams bench-fanout bench-dashboard bench-exports bench-menu bench-menu-stats clean

# Two stamps: running needs only requirements.txt; tests and the toolkit add requirements-dev.txt.
$(RUNTIME_STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

run: install migrate ## install, migrate, seed demo data if empty; serve the API on $(BIND), the job worker and the event server (Procfile); Ctrl-C stops all
	$(BIN)/flask seed --scale small --if-empty
	$(BIN)/honcho start -f Procfile

serve: install ## the API: gunicorn with gunicorn_config.py, nothing else
	$(BIN)/gunicorn -c gunicorn_config.py backend.wsgi:app

worker: install ## the background-job consumer (Huey) with its heartbeat and reaper
	$(BIN)/python -m backend.jobs.worker

events: install ## the event server (job progress streams) on EVENTS_BIND (127.0.0.1:8001)
	$(BIN)/gunicorn -c gunicorn_events.py backend.events.wsgi:app

serve-proxy: install ## nginx (deploy/nginx.conf) on PROXY_BIND (127.0.0.1:8080) in front of gunicorn on BIND
	$(BIN)/python -m deploy.serve_proxy

migrate: install
	$(BIN)/flask db upgrade

seed: install migrate ## replace data with SCALE=small|large|xl
	$(BIN)/flask seed --scale $(SCALE)

shell: install
	$(BIN)/flask shell

# Test processes (pytest-xdist): each has its own SQLite files, PostgreSQL schema, metrics and file
# directories and Redis key prefixes; a file's tests stay in one process (--dist loadfile: its
# module-scoped servers start once). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2

test: install-dev ## the whole suite (SQLite; PostgreSQL/Redis too when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(BIN)/python -m pytest -q -ra -n $(TEST_WORKERS) --dist loadfile

test-fast: install-dev ## the suite without the slow server/load tests (quick iteration)
	$(BIN)/python -m pytest -q -ra -m "not slow" -n $(TEST_WORKERS) --dist loadfile

lint: install-dev
	$(BIN)/ruff check .

# Performance toolkit. BASE=<url> targets a running server (loopback only); without it the script
# starts its own gunicorn on a free port over a temp SQLite DB seeded with SCALE data. ARGS passes
# any other option (see `$(BIN)/python -m scripts.<tool> --help`). scripts/ is a package: the tools
# run as modules from the repository root.
PERF_TARGET = $(if $(BASE),--base $(BASE),--start --scale $(SCALE))

profile: install-dev ## per-endpoint latency, SQL statements, sizes, N+1/budget/compression flags -> reports/profile-*.json
	$(BIN)/python -m scripts.profiler $(PERF_TARGET) $(ARGS)

load: install-dev ## Locust sweep (default 50,100,500,1000 users; ARGS="--rate 300" for the open model) -> reports/load-*.json
	$(BIN)/python -m scripts.load_test $(PERF_TARGET) $(ARGS)

load-links: install-dev ## the link analyzer under Locust: loopback fake platform + Gemini, TESTING gunicorn, real worker -> reports/load-links-*.json
	$(BIN)/python -m scripts.load_links $(ARGS)

report: install-dev ## reports/PERFORMANCE_REPORT.md + charts from the newest JSON (ARGS="--baseline reports/profile-X.json")
	$(BIN)/python -m scripts.report $(ARGS)

# The main table of docs/performance.md (not part of `make test`; needs wrk). Seeds SCALE=large into
# BENCH_DATABASE_URL (default instance/bench-large.db, never the development database), serves it
# with gunicorn_config.py on free loopback ports and measures against the bare-Flask floor
# (scripts/floor_app.py, served by scripts.ratio under the same config). ARGS passes bench options
# (see `$(BIN)/python -m scripts.bench --help`).
bench: install-dev ## ratio table: cached/uncached chef list, deep cursor, detail, POST bookings, 1,000 connections
	$(BIN)/python -m scripts.bench $(ARGS)

# Streams and jobs (issue 7): API ratios with and without 200 open streams, event delivery delay,
# Meari POST latency and time to completion. Needs wrk. Not part of `make test`.
bench-streams: install-dev ## stream isolation, event delivery delay, Meari POST latency / completion time
	$(BIN)/python -m scripts.bench_streams $(ARGS)

bench-fanout: install-dev ## notification fan-out per batch size (NOTIFICATIONS_BATCH): total and longest chunk
	$(BIN)/python -m scripts.bench_fanout $(ARGS)

# Dashboards (issue 10) on the `make bench` database (run `make bench` once, or pass ARGS=--seed), and
# the time and memory of a 10,000-row PDF export. Not part of `make test`.
bench-dashboard: install-dev ## user/chef/admin dashboards cached and uncached vs the floor (SCALE=large)
	$(BIN)/python -m scripts.bench_dashboard $(ARGS)

bench-exports: install-dev ## wall time and memory of 1,000- and 10,000-row PDF exports
	$(BIN)/python -m scripts.bench_exports $(ARGS)
# Menu (issue 8): identify ratios to the floor (exact / modifier, cached / uncached) and the
# menu_identify load scenario against a fake LLM answering in 800 ms. Needs wrk. Not part of `make test`.
bench-menu: install-dev ## identify ratios to the floor + the menu_identify load scenario (fake 800 ms LLM)
	$(BIN)/python -m scripts.bench_menu $(ARGS)

# Menu admin stats over SCALE=large scan logs (1,000,000): the one-statement query, timed (ARGS="--database-url ...").
bench-menu-stats: install-dev ## menu admin stats at 1,000,000 scan logs (SQLite, or --database-url PostgreSQL)
	$(BIN)/python -m scripts.bench_menu_stats $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The perf tools book hundreds of slots as one demo user; the per-user, per-chef pending cap (a rule
# against hoarding a chef's calendar, 3 by default) would turn their writes into 409s, so servers they
# start get a cap they cannot reach (an explicit MAX_PENDING_PER_CHEF in the environment still wins).
profile load bench: export MAX_PENDING_PER_CHEF ?= 1000000
