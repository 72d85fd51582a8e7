# Operator interface. Every target creates and uses .venv itself: a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BIND ?= 127.0.0.1:8000
SCALE ?= small
export FLASK_APP := backend.wsgi
export BIND

.PHONY: install run serve migrate seed shell test lint profile load report clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install migrate ## install, migrate, seed demo data if empty, serve on $(BIND)
	$(BIN)/flask seed --scale small --if-empty
	$(BIN)/gunicorn -c gunicorn_config.py backend.wsgi:app

serve: install ## gunicorn with gunicorn_config.py, nothing else
	$(BIN)/gunicorn -c gunicorn_config.py backend.wsgi:app

migrate: install
	$(BIN)/flask db upgrade

seed: install migrate ## replace data with SCALE=small|large|xl
	$(BIN)/flask seed --scale $(SCALE)

shell: install
	$(BIN)/flask shell

test: install ## the whole suite (SQLite; PostgreSQL/Redis too when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(BIN)/python -m pytest -q -ra

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
