"""System tests: real databases, real Odoo cron workers, a real SMTP server.

Plain pytest tests (not Odoo test cases), collected by the same pytest run as
the rest of the suite; see :mod:`.harness` for how they work and when they run.
Odoo's own test runner does not import this package.
"""
