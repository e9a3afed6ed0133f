"""Two scheduled-action workers generating invoices at the same time.

Each worker has its own database connection (``registry.cursor()``), as two
cron worker processes do. Another connection cannot see the test's own
uncommitted transaction, so these tests commit their data (on the database's
main company) and delete it afterwards.
"""

import threading

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestContractConcurrency(TransactionCase):
    contract_count = 3

    def _commit_contracts(self, auto_post):
        self.today = fields.Date.today()
        # Three periods due per contract: two missed months and this one.
        date_start = self.today + relativedelta(day=1, months=-2)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal = env["account.journal"].search(
                [
                    ("type", "=", "sale"),
                    ("company_id", "=", env.company.id),
                    ("default_account_id", "!=", False),
                ],
                limit=1,
            )
            if not journal:
                self.skipTest("the main company has no sales journal")
            partner = env["res.partner"].create({"name": "Concurrent customer"})
            product = env["product.product"].create(
                {"name": "Concurrent service", "type": "service", "list_price": 10.0}
            )
            contracts = env["customer.contract"].create(
                [
                    {
                        "partner_id": partner.id,
                        "journal_id": journal.id,
                        "date_start": date_start,
                        "state": "running",
                        "auto_post": auto_post,
                        "line_ids": [Command.create({"product_id": product.id})],
                    }
                    for _n in range(self.contract_count)
                ]
            )
            self.contract_ids = contracts.ids
            self.partner_id, self.product_id = partner.id, product.id
        self.addCleanup(self._delete_committed_data)

    def _delete_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contracts = env["customer.contract"].browse(self.contract_ids).exists()
            invoices = contracts.invoice_ids
            invoices.filtered(lambda move: move.state == "posted").button_draft()
            invoices.with_context(force_delete=True).unlink()
            contracts.unlink()
            env["product.product"].browse(self.product_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def _worker(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        # Fail rather than hang if a worker ever waited for the other.
        cr.execute("SET lock_timeout = '20s'")
        return env["customer.contract"]

    def _due_domain(self, contracts):
        return [
            ("id", "in", self.contract_ids),
            *contracts._get_contracts_to_invoice_domain(self.today),
        ]

    def _assert_each_period_invoiced_once(self, state):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contracts = env["customer.contract"].browse(self.contract_ids)
            invoices = contracts.invoice_ids
            periods = [
                (move.customer_contract_id.id, move.customer_contract_period_start)
                for move in invoices
            ]
            self.assertEqual(len(periods), len(set(periods)), "a period invoiced twice")
            self.assertEqual(len(invoices), 3 * self.contract_count)
            self.assertEqual(set(invoices.mapped("state")), {state})
            self.assertEqual(
                set(contracts.mapped("recurring_next_date")),
                {self.today + relativedelta(day=1, months=1)},
            )

    def test_second_worker_skips_contracts_the_first_one_holds(self):
        """The worst overlap, step by step: worker A has claimed and invoiced
        a batch but not committed yet when worker B runs. The invoices stay
        drafts: posting would make B wait for A's invoice numbers, and both
        workers run in this one thread."""
        self._commit_contracts(auto_post=False)
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            worker_a, worker_b = self._worker(cr_a), self._worker(cr_b)
            batch_a = worker_a._claim_contracts(self._due_domain(worker_a), limit=2)
            self.assertEqual(len(batch_a), 2)
            self.assertEqual(len(batch_a._generate_invoices(self.today)), 6)

            # B is handed only the contract A does not hold, without waiting.
            batch_b = worker_b._claim_contracts(self._due_domain(worker_b))
            self.assertEqual(
                set(batch_b.ids), set(self.contract_ids) - set(batch_a.ids)
            )
            # A worker that bypassed the claim would plan A's periods again...
            stale = worker_b.browse(batch_a.ids)
            stale_plans = stale._plan_invoices(self.today)
            self.assertEqual(len(batch_b._generate_invoices(self.today)), 3)
            cr_b.commit()
            cr_a.commit()

            # ...but the database refuses a second invoice for a period.
            with (
                self.assertRaises(psycopg2.errors.UniqueViolation),
                mute_logger("odoo.sql_db"),
                cr_b.savepoint(),
            ):
                stale._create_planned_invoices(stale_plans, self.today)
            cr_b.rollback()

            # Once both committed, nothing is due any more for either worker.
            self.assertFalse(worker_a._claim_contracts(self._due_domain(worker_a)))
            self.assertFalse(worker_b._claim_contracts(self._due_domain(worker_b)))
        self._assert_each_period_invoiced_once("draft")

    def test_two_workers_at_once(self):
        """Two threads claim and invoice the same contracts at the same
        moment, one contract per batch, committing after every batch as the
        scheduled action does; posting makes them contend for numbers too."""
        self._commit_contracts(auto_post=True)
        barrier = threading.Barrier(2)
        errors = []

        def run_worker():
            try:
                with self.registry.cursor() as cr:
                    contracts = self._worker(cr)
                    domain = self._due_domain(contracts)
                    barrier.wait(timeout=30)
                    while batch := contracts._claim_contracts(domain, limit=1):
                        batch._generate_invoices(self.today)
                        # A worker of its own commits each batch, as the cron does.
                        cr.commit()  # pylint: disable=invalid-commit
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        threads = [threading.Thread(target=run_worker) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse(errors)
        self._assert_each_period_invoiced_once("posted")
