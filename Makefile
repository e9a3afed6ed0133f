# Developer and CI entry points of flexi_autocomm; the work is done by
# tools/devenv.py (and, on a first run, tools/bootstrap.py).
#
#   make run                        serve the demo database on http://localhost:8069
#   make test                       install, lint and run the tests (what CI runs)
#   make test PYTEST_ARGS="-k foo"  extra pytest arguments
#   make test ADDONS=flexi_autocomm only these addons of the repository
#   make lint                       ruff and pylint-odoo only
#   make clean                      remove .dev/ (databases, mailbox, Odoo's venv)
#   make test PYTHON=/path/python3  use another Python
#   make test ODOO_SRC=/path/odoo   where Odoo 18.0 comes from when PYTHON has none

PYTHON ?= python3
DEVENV = $(PYTHON) tools/devenv.py

.DEFAULT_GOAL := help
.PHONY: help run test lint clean

help: ## Show this help
	@echo "Usage: make TARGET [PYTHON=python3] [ODOO_SRC=...] [PORT=8069] [PYTEST_ARGS=...]"
	@echo
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-6s %s\n", $$1, $$2}'
	@echo
	@echo "When PYTHON cannot import Odoo 18.0, it is installed into .dev/venv from"
	@echo "ODOO_SRC (a source tree, an archive or a git URL; default: Odoo's official"
	@echo "18.0 branch). The dev tools, a PostgreSQL cluster (.dev/pgdata) and an SMTP"
	@echo "sink (.dev/mailbox) are installed and started as needed. Details:"
	@echo "tools/devenv.py and tools/bootstrap.py."

run: ## Serve Odoo with the addons and demo data (admin/admin), Ctrl-C stops
	$(DEVENV) run

test: ## Install in a fresh database, run ruff, pylint-odoo, then pytest
	$(DEVENV) test

lint: ## Run ruff and pylint-odoo only
	$(DEVENV) lint

clean: ## Remove .dev/: the cluster, databases, mailbox and Odoo's venv
	@if [ -f .dev/pgdata/postmaster.pid ] \
		&& kill -0 "$$(head -n 1 .dev/pgdata/postmaster.pid)" 2>/dev/null; then \
		echo "make clean: stop 'make run' first (its PostgreSQL uses .dev/pgdata)"; \
		exit 1; \
	fi
	rm -rf .dev
