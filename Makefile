# Likeness: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench fuzz install install-test install-bench browser lint clean
.PHONY: install-postgres test-postgres
.PHONY: multihost

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test,fuzz]"
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install -q -e ".[test,fuzz,bench]"
	touch $@

$(VENV)/.installed-postgres: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install -q -e ".[test,fuzz,postgres]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser
install-bench: $(VENV)/.installed-bench

# Page tests drive a real headless Chromium: Debian's package, as the machine's root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium for the page tests (apt-get)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(BIN)/python manage.py serve

test: install-test
	$(BIN)/python -m pytest

# The suite against the PostgreSQL that DATABASE_URL names (`.ci/postgres make test-postgres`
# starts a throwaway one).
test-postgres: install-postgres
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "DATABASE_URL must name a PostgreSQL database" >&2; exit 2;; esac
	$(BIN)/python -m pytest

install-postgres: $(VENV)/.installed-postgres browser

# PostgreSQL, Redis, an S3 server, two worker hosts and the web server as separate processes;
# one worker host is killed while jobs run (also part of `make test`, about 30 s).
multihost: $(VENV)/.installed-test
	$(BIN)/python -m tests.multihost

bench: install-bench
	$(BIN)/python -m bench

# Schemathesis against a live app, driven by webapp/api/openapi.json (FUZZ_EXAMPLES per endpoint).
FUZZ_EXAMPLES ?= 2000
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m tests.api.fuzz --examples $(FUZZ_EXAMPLES)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check webapp tests bench
	$(BIN)/ruff format --check webapp tests bench

clean:
	rm -rf $(VENV) staticfiles
