# Two commands on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# apt-get needs root; a normal user goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-postgres postgres serve-demo lint fixtures clean system-packages chromium

demo: $(VENV)/.installed
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_demo
	$(MANAGE) collectstatic --noinput -v0
	@echo "Serving the archive on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	$(MANAGE) runserver $(HOST):$(PORT) --insecure

# The suite runs in parallel, one pytest-xdist worker a core (TEST_WORKERS=0: one process,
# TEST_WORKERS=3: three); an idle worker takes tests still waiting for a busy one
# (worksteal), so a few long tests do not hold the end of the run.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

test: $(VENV)/.installed-test chromium node_modules/axe-core lint
	$(PYTEST)

# The whole suite once more on a real PostgreSQL server on loopback (CI runs both).
# The role may create the test database; its password only guards a loopback test server.
PG_USER ?= archive
PG_PASSWORD ?= archive-test
PG_DB ?= archive
PG_PORT ?= 5432
PG_URL := postgres://$(PG_USER):$(PG_PASSWORD)@127.0.0.1:$(PG_PORT)/$(PG_DB)
AS_POSTGRES := $(if $(SUDO),sudo -u postgres,runuser -u postgres --)
PSQL := $(AS_POSTGRES) psql -q -v ON_ERROR_STOP=1 -p $(PG_PORT)

test-postgres: $(VENV)/.installed-postgres chromium node_modules/axe-core postgres
	DATABASE_URL=$(PG_URL) $(PYTEST)

# Debian's PostgreSQL installed if missing, its cluster started, role and database made once.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }
	@pg_lsclusters -h | grep -q . || $(SUDO) pg_createcluster "$$(ls /usr/lib/postgresql | sort -V | tail -1)" main
	@pg_lsclusters -h | while read version cluster rest; do \
	  $(SUDO) pg_ctlcluster "$$version" "$$cluster" status >/dev/null 2>&1 || \
	    $(SUDO) pg_ctlcluster "$$version" "$$cluster" start; done
	@for i in $$(seq 60); do pg_isready -q -h 127.0.0.1 -p $(PG_PORT) && break; sleep 1; done; \
	  pg_isready -h 127.0.0.1 -p $(PG_PORT)
	@$(PSQL) -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$(PG_USER)'" | grep -q 1 || \
	  $(PSQL) -c "CREATE ROLE $(PG_USER) LOGIN"
	@$(PSQL) -c "ALTER ROLE $(PG_USER) LOGIN CREATEDB PASSWORD '$(PG_PASSWORD)'"
	@$(PSQL) -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PG_DB)'" | grep -q 1 || \
	  $(PSQL) -c "CREATE DATABASE $(PG_DB) OWNER $(PG_USER)"

# A SolrCloud on loopback from Maven Central (search/solr/): two Solr nodes and ZooKeeper in
# one JVM, the archive's collection with 2 shards x 2 replicas. Needs Java 17 and Maven;
# prints the nodes' addresses and writes them to var/solr/cluster.json. Then e.g.
# SEARCH_URL=solr://127.0.0.1:PORT1,127.0.0.1:PORT2/solr/archive, and `rebuild_index`.
# SOLR_PORT=8983 fixes the first node's port (the next ones follow).
.PHONY: solr solr-stop
solr:
	@search/solr/solr.sh start

solr-stop:
	@search/solr/solr.sh stop

# The search, quote, related-documents, hostile-input, index-queue and concurrency tests, and
# gunicorn's three workers under readers and editors (tests/test_load.py), once more against
# the local SolrCloud (started for the run unless `make solr` is up), in one process: the
# tests share its one collection, emptied before each test.
SOLR_TESTS ?= tests/test_search.py tests/test_search_page.py tests/test_search_periods.py \
  tests/test_quote_index.py tests/test_quotes_pages.py tests/test_near_quotes.py \
  tests/test_related.py tests/test_hostile_input.py tests/test_integrity.py \
  tests/test_search_sync.py tests/test_index_concurrency.py tests/test_load.py \
  tests/test_solr_cloud.py
.PHONY: test-solr
test-solr: $(VENV)/.installed-test
	search/solr/solr.sh with-cluster $(BIN)/pytest -n 0 $(SOLR_TESTS)

# Production serving: gunicorn with WORKERS processes on HOST:PORT, DEBUG off,
# static files served by WhiteNoise; the database is migrated first. gunicorn.conf.py
# preloads the application and freezes its start-up objects (shared by the workers).
# Settings come from the environment (README: "Running in production").
WORKERS ?= 3
.PHONY: serve
serve: $(VENV)/.installed
	DEBUG=0 $(MANAGE) migrate --noinput
	DEBUG=0 $(MANAGE) collectstatic --noinput -v0
	DEBUG=0 $(BIN)/gunicorn archive.wsgi -c gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --access-logfile - --graceful-timeout 30 --no-control-socket

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

# axe-core for the accessibility tests, pinned in package.json and package-lock.json,
# from the npm registry with Debian's npm; the tests inject it, readers never load it.
node_modules/axe-core: package.json package-lock.json
	@command -v npm >/dev/null || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund
	@touch $@

$(VENV)/.installed: pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	touch $@

$(VENV)/.installed-postgres: $(VENV)/.installed-test
	$(BIN)/pip install -q -e ".[test,postgres]"
	touch $@

clean:
	rm -rf $(VENV) var node_modules
