# Safety Map. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
export SAFETYMAP_DATA_DIR ?= var

.PHONY: help install system-deps static run test test-unit lint typecheck messages-extract messages-update messages-compile messages-check messages-review run-cluster bench clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(PY) ## Install Python and npm packages (pinned) and build static assets
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	$(MAKE) --no-print-directory static

static: ## Copy front-end packages from node_modules into static/vendor (no CDN, ever)
	mkdir -p static/vendor/leaflet
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx.org/dist/ext/hx-sse.min.js static/vendor/hx-sse.min.js
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
	cp -r node_modules/leaflet/dist/images static/vendor/leaflet/

run: install ## Run the app with demo data on http://127.0.0.1:8000 (SQLite under var/)
	$(BIN)/safetymap db upgrade
	$(BIN)/safetymap demo
	$(BIN)/safetymap serve --host $(HOST) --port $(PORT)

run-cluster: install ## Two app processes behind nginx on PostgreSQL and Redis: http://127.0.0.1:8080 (see README)
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  SUDO=""; if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	  echo "Installing nginx (Debian package nginx-light)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }
	$(PY) deploy/cluster.py

system-deps: ## Install the Debian packages the tests need (Chromium, PostgreSQL client)
	bash scripts/install-system-deps.sh

test: system-deps install ## Run every test: lint, translations, unit, HTTP and browser tests on SQLite and PostgreSQL
	$(MAKE) --no-print-directory lint messages-check
	bash scripts/run-tests.sh

test-unit: ## Run the tests without the browser ones (quick feedback)
	$(BIN)/pytest -m "not e2e" -q

lint: ## ruff and mypy
	$(BIN)/ruff check app tests bench migrations scripts
	$(BIN)/mypy

messages-extract: ## Extract translatable strings into locales/messages.pot
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-by-file -k _l -k lazy_gettext -o locales/messages.pot .

messages-update: messages-extract ## Merge new strings into every locale's .po
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete

messages-compile: ## Compile .po to .mo (the app also reads .po directly)
	$(BIN)/pybabel compile -d locales --statistics

messages-check: ## Fail when the .pot is stale, plural forms are wrong, or a shipped locale has untranslated strings
	$(PY) scripts/check_messages.py

messages-review: ## List the strings of LOCALE=xx still awaiting review by a fluent speaker
	@test -n "$(LOCALE)" || { echo "Say which catalogue: make messages-review LOCALE=cy" >&2; exit 2; }
	@$(PY) scripts/check_messages.py --review $(LOCALE)

bench: ## Run the benchmarks in bench/ (see bench/README.md)
	$(PY) bench/page_weight.py
	$(PY) bench/triage_eval.py

clean: ## Remove the virtualenv, node_modules and built assets (keeps var/)
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache .mypy_cache
