import logging

from odoo.tests import tagged

from .common import AutocommCase

_logger = logging.getLogger(__name__)

MAX_QUERIES_PER_DOCUMENT = 70


@tagged("post_install", "-at_install")
class TestPerformance(AutocommCase):
    def _queries_per_document(self, count):
        customers = self.env["res.partner"].create(
            [
                {"name": f"Customer {count}-{n}", "is_company": True}
                for n in range(count)
            ]
        )
        self.env["res.partner"].create(
            [
                {
                    "name": f"Contact {n}-{contact}",
                    "parent_id": customer.id,
                    "email": f"c{count}-{n}-{contact}@perf.example.com",
                    "autocomm_send_invoices": True,
                }
                for n, customer in enumerate(customers)
                for contact in (1, 2)
            ]
        )
        invoices = self.env["account.move"].browse()
        for customer in customers:
            invoices |= self.create_invoice(partner=customer)
        self.env["ir.config_parameter"].sudo().set_param(
            "flexi_autocomm.batch_size", count
        )
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        self.run_autocomm_cron(real_pdf=False)
        queries = self.env.cr.sql_log_count - before
        self.assertEqual(set(invoices.mapped("autocomm_state")), {"sent"})
        self.assertEqual(len(self.smtp.messages), 2 * count)
        self.smtp.reset()
        return queries / count

    def test_queries_per_document_do_not_grow_with_batch(self):
        per_document_10 = self._queries_per_document(10)
        per_document_50 = self._queries_per_document(50)
        _logger.info(
            "Queries per document: batch of 10: %.1f, batch of 50: %.1f",
            per_document_10,
            per_document_50,
        )
        self.assertLessEqual(per_document_50, per_document_10 * 1.10)
        # Measured: 65.7 at a batch of 50 (two e-mails per document, HTML
        # reports, savepoints standing in for the dispatcher's transactions);
        # 80.6 with a savepoint per document for posting, the balance of the
        # entry re-checked at each of Odoo's writes of the PDF and the portal
        # link, and the transient Sending state tracked in the chatter.
        self.assertLessEqual(per_document_50, MAX_QUERIES_PER_DOCUMENT)
