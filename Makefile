# newsflow: `make demo` runs the whole pipeline on the bundled sample site; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

prereqs: ## check the machine has what the local stack needs (Python 3.11, Java 17+, Maven)
	@command -v $(PYTHON) >/dev/null || { echo "newsflow: $(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@command -v java >/dev/null || { echo "newsflow: java not found: install a JDK 17+ (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v mvn >/dev/null || { echo "newsflow: mvn not found: install Maven (apt-get install maven); it resolves the Kafka jars"; exit 1; }

$(BIN)/.installed: pyproject.toml devtools/pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --compile-bytecode -p $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e devtools
	@touch $@

install: prereqs $(BIN)/.installed ## create .venv: the pinned dependencies, newsflow and its devtools

lock: ## re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench -p 3.11 -o requirements.lock -q --no-header

jars: install ## resolve the Kafka jars with Maven (cached under .newsflow/)
	$(BIN)/newsflow stack jars

demo: install ## run the whole pipeline on the bundled sample news site
	$(BIN)/newsflow demo

test-tools: ## install what the tests need beyond Python (docker-compose validates the compose file; chromium drives the UI test; redis-server is the Celery broker; prometheus, promtool and the Pushgateway back stack up --metrics and the alert-rule tests)
	@if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's docker-compose (validates docker-compose.yml; no engine needed)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q docker-compose >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q docker-compose >/dev/null; }; \
	  else echo "newsflow: docker-compose not found: sudo apt-get install docker-compose"; exit 1; fi; \
	fi
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium and chromium-driver (the Airflow UI browser test)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; \
	  else echo "newsflow: chromium not found: sudo apt-get install chromium chromium-driver"; exit 1; fi; \
	fi
	@if ! command -v redis-server >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's redis-server (the Celery broker of stack up --executor celery)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q redis-server >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; }; \
	  else echo "newsflow: redis-server not found: sudo apt-get install redis-server"; exit 1; fi; \
	fi
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null || \
	    ! command -v prometheus-pushgateway >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's prometheus and prometheus-pushgateway (stack up --metrics; promtool tests the alert rules)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q prometheus prometheus-pushgateway >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q prometheus prometheus-pushgateway >/dev/null; }; \
	  else echo "newsflow: prometheus not found: sudo apt-get install prometheus prometheus-pushgateway"; exit 1; fi; \
	fi

lint: $(BIN)/.installed ## ruff (rules, then formatting), mypy (strict on the contract, clean, enrich), the layer contracts
	$(BIN)/ruff check pipeline dags tests devtools
	$(BIN)/ruff format --check pipeline dags tests devtools
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install test-tools lint ## lint, then unit and integration tests (starts its own Kafka, PostgreSQL and Airflow)
	$(BIN)/pytest $(PYTEST_ARGS)

down: ## stop every process of the local stack
	-$(BIN)/newsflow stack down

clean: down ## remove the virtualenv and local state
	rm -rf $(VENV) .newsflow

.PHONY: help prereqs install lock jars demo test-tools lint test down clean
