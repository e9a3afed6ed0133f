# System tests: run by pytest (see flexi_autocomm/tests/system/harness.py),
# never imported by Odoo's test loader.
