# Developer and CI entry points of flexi_autocomm; the work is done by
# tools/devenv.py, which first checks that $(PYTHON) imports Odoo 18.0.
#
#   make run                        serve the demo database on http://localhost:8069
#   make test                       install, lint and run the tests (what CI runs)
#   make test PYTEST_ARGS="-k foo"  extra pytest arguments
#   make lint                       ruff and pylint-odoo only
#   make test PYTHON=/path/python3  use another Python (one with Odoo 18.0)

PYTHON ?= python3
DEVENV = $(PYTHON) tools/devenv.py

.DEFAULT_GOAL := help
.PHONY: help run test lint

help: ## Show this help
	@echo "Usage: make TARGET [PYTHON=python3] [PORT=8069] [PYTEST_ARGS=...]"
	@echo
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-6s %s\n", $$1, $$2}'
	@echo
	@echo "Needs a Python with Odoo 18.0; the dev tools of requirements-dev.txt,"
	@echo "a PostgreSQL cluster (.dev/pgdata) and an SMTP sink (.dev/mailbox) are"
	@echo "installed and started as needed. Details: tools/devenv.py."

run: ## Serve Odoo with flexi_autocomm and demo data (admin/admin), Ctrl-C stops
	$(DEVENV) run

test: ## Install in a fresh database, run ruff, pylint-odoo, then pytest
	$(DEVENV) test

lint: ## Run ruff and pylint-odoo only
	$(DEVENV) lint
