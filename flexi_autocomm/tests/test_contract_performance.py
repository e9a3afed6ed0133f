import logging
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .test_contract import ContractCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestContractPerformance(ContractCase):
    """The scheduled action's cost per contract does not grow with the number
    of contracts: no query per contract where one can serve the batch."""

    def _new_customers(self, count):
        return self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {count}-{n}",
                    "country_id": self.company.country_id.id,
                }
                for n in range(count)
            ]
        )

    def _plain_invoicing_queries(self, count):
        """Queries Odoo itself spends creating and posting ``count`` such
        invoices without any contract: the floor for the generation."""
        vals_list = [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "journal_id": self.sale_journal.id,
                "invoice_date": date(2027, 3, 1),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.service.id,
                            "quantity": 2,
                            "price_unit": 100.0,
                            "tax_ids": [Command.set(self.service.taxes_id.ids)],
                        }
                    )
                ],
            }
            for customer in self._new_customers(count)
        ]
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["account.move"].create(vals_list)._post(soft=False)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def _generation_queries(self, count):
        """Queries of one scheduled run generating ``count`` posted invoices,
        each for a different customer."""
        customers = self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {count}-{n}",
                    "country_id": self.company.country_id.id,
                }
                for n in range(count)
            ]
        )
        contracts = self.env["customer.contract"].create(
            [
                {
                    "partner_id": customer.id,
                    "type_id": self.contract_type.id,
                    "date_start": date(2027, 3, 1),
                    "state": "running",
                    "auto_post": True,
                    "auto_send": True,
                    "line_ids": [
                        Command.create({"product_id": self.service.id, "quantity": 2})
                    ],
                }
                for customer in customers
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        with freeze_time("2027-03-10"):
            before = self.env.cr.sql_log_count
            self.env["customer.contract"]._cron_generate_invoices(batch_size=count)
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
        self.assertEqual(len(contracts.invoice_ids), count)
        self.assertEqual(set(contracts.invoice_ids.mapped("state")), {"posted"})
        return queries

    def test_queries_per_contract_do_not_grow_with_batch(self):
        self._generation_queries(3)  # warm the caches
        queries_1 = self._generation_queries(1)
        queries_10 = self._generation_queries(10)
        queries_40 = self._generation_queries(40)
        # A run costs a fixed part (claim, counts) plus a part per contract;
        # the part per contract is the same from 1 to 10 as from 10 to 40.
        per_contract_10 = (queries_10 - queries_1) / 9
        per_contract_40 = (queries_40 - queries_10) / 30
        _logger.info(
            "queries per contract: 1 to 10: %.1f, 10 to 40: %.1f; fixed: %.0f",
            per_contract_10,
            per_contract_40,
            queries_1 - per_contract_10,
        )
        self.assertLessEqual(per_contract_40, per_contract_10 * 1.10)
        self.assertGreaterEqual(per_contract_40, per_contract_10 * 0.90)

    def test_generation_adds_no_query_per_contract_to_odoo_invoicing(self):
        self._plain_invoicing_queries(3)
        self._generation_queries(3)
        per_invoice = (
            self._plain_invoicing_queries(40) - self._plain_invoicing_queries(10)
        ) / 30
        per_contract = (
            self._generation_queries(40) - self._generation_queries(10)
        ) / 30
        _logger.info(
            "queries per invoice: plain Odoo %.1f, from a contract %.1f",
            per_invoice,
            per_contract,
        )
        # Contracts are read, planned and moved on for the whole batch at
        # once; what each invoice costs is Odoo's own creation and posting.
        self.assertLessEqual(per_contract, per_invoice + 0.5)
