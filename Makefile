# Document Catalog — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint format check bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)  ## Create the virtualenv and install everything (skipped when up to date)

run: $(STAMP)  ## Run the whole app on embedded services (or DATABASE_URL / REDIS_URL)
	$(PY) -m catalog_site.devstack run

test: $(STAMP)  ## Run the full test suite against real PostgreSQL + pgvector and Redis
	$(PY) -m catalog_site.devstack test $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)  ## Run every benchmark and rewrite bench/RESULTS.md
	$(PY) -m bench

clean:  ## Remove the virtualenv (data under var/ is kept)
	rm -rf $(VENV)
