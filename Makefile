# Two commands on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# apt-get needs root; a normal user goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test serve-demo lint fixtures clean system-packages chromium

demo: $(VENV)/.installed
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_demo
	$(MANAGE) collectstatic --noinput -v0
	@echo "Serving the archive on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	$(MANAGE) runserver $(HOST):$(PORT) --insecure

test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check .
	$(BIN)/pytest

# Production serving: gunicorn with WORKERS processes on HOST:PORT, DEBUG off,
# static files served by WhiteNoise; the database is migrated first.
# Settings come from the environment (README: "Running in production").
WORKERS ?= 3
.PHONY: serve
serve: $(VENV)/.installed
	DEBUG=0 $(MANAGE) migrate --noinput
	DEBUG=0 $(MANAGE) collectstatic --noinput -v0
	DEBUG=0 $(BIN)/gunicorn archive.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --access-logfile - --graceful-timeout 30

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The seed articles exactly as the importer makes them, for `make demo`.
fixtures: $(VENV)/.installed
	rm -rf var/fixture-build
	ARCHIVE_DATA_DIR=var/fixture-build $(MANAGE) migrate --noinput -v0
	ARCHIVE_DATA_DIR=var/fixture-build $(MANAGE) import_articles fixtures/seeds
	ARCHIVE_DATA_DIR=var/fixture-build $(MANAGE) dumpdata archive.source archive.article \
	  --indent 2 -o fixtures/seed_articles.json
	rm -rf var/fixture-build

system-packages:
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv python3-pip; }

chromium:
	@[ -x /usr/bin/chromium ] || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

$(VENV)/.installed: pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	touch $@

clean:
	rm -rf $(VENV) var
