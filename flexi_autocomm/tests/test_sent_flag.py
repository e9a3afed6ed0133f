import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestOdooSentFlag(AutocommCase):
    """Odoo's own "sent" indicator of an invoice (``is_move_sent``: its "Not
    Sent" filter, the list badge) agrees with the mail state: it changes when
    the mail server accepted the automatic e-mail, never before."""

    def assertIndicators(self, invoice, autocomm_state, is_move_sent):
        self.assertEqual(
            (invoice.autocomm_state, invoice.is_move_sent),
            (autocomm_state, is_move_sent),
        )

    def test_refused_invoice_not_marked_sent(self):
        self.smtp.refuse_permanently("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "failed", False)
        self.assertEqual(invoice.move_sent_values, "not_sent")
        # Odoo's "Not Sent" filter of the invoice list finds it.
        self.assertIn(
            invoice,
            invoice.search([("id", "=", invoice.id), ("is_move_sent", "=", False)]),
        )

    def test_marked_sent_only_once_server_accepts(self):
        invoice = self.create_invoice()
        self.assertIndicators(invoice, "to_send", False)
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "sending", False)
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "sending", False)
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "sent", True)
        self.assertEqual(invoice.move_sent_values, "sent")

    def test_temporarily_refused_invoice_not_marked_sent_until_accepted(self):
        self.smtp.refuse_temporarily("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "sending", False)
        self.smtp.accept()
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "sent", True)

    def test_chatter_says_sent_once_when_server_accepts(self):
        invoice = self.create_invoice()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(self._sent_lines(invoice), [])
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(self._sent_lines(invoice), [("autocomm_state", "Sent")])

    def _sent_lines(self, invoice):
        """The chatter's tracking lines of the mail state and of Odoo's flag."""
        return [
            (value.field_id.name, value.new_value_char or value.new_value_integer)
            for value in invoice.message_ids.tracking_value_ids.sorted("id")
            if value.field_id.name == "is_move_sent"
            or (
                value.field_id.name == "autocomm_state"
                and value.new_value_char == "Sent"
            )
        ]

    def test_manual_send_and_print_after_failure_marks_sent(self):
        self.smtp.refuse_permanently("accounts@customer.example.com")
        self.smtp.refuse_permanently("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertIndicators(invoice, "failed", False)
        # The user sends it from Odoo's Send & Print, to another address: Odoo's
        # flag keeps its own meaning there, our mail state its own.
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"mail_partner_ids": self.contact_other.ids})
        )
        wizard.action_send_and_print()
        invoice.invalidate_recordset()
        self.assertIndicators(invoice, "failed", True)


@tagged("post_install", "-at_install")
class TestUpgradeSentFlag(AutocommCase):
    """The upgrade to 18.0.1.1.0 clears Odoo's flag where the automatic
    sending of the previous version set it for an e-mail not accepted."""

    def _migrate(self):
        path = Path(__file__).parents[1] / "migrations/18.0.1.1.0/post-migration.py"
        spec = importlib.util.spec_from_file_location("sent_flag_migration", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()

    def _refused_invoice(self):
        """An invoice as the previous version left it: Failed, yet flagged
        sent when its PDF was made, in the transaction of its e-mail."""
        self.smtp.refuse_permanently("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        invoice.with_context(
            tracking_disable=False, mail_notrack=False
        ).is_move_sent = True
        self.env.flush_all()
        self.env.cr.flush()  # the tracking of the flag, in this transaction
        return invoice

    def test_upgrade_clears_flag_set_by_automatic_sending_only(self):
        automatic = self._refused_invoice()
        # Sent with Print & Send by a user after the refusal.
        sent_by_user = self._refused_invoice()
        self.env["account.move.send.wizard"].with_context(
            active_model="account.move", active_ids=sent_by_user.ids
        ).create({"mail_partner_ids": self.contact_other.ids}).action_send_and_print()
        # Flagged by a user in an earlier transaction (Print & Send's
        # download), before the automatic sending.
        flagged_before = self._refused_invoice()
        self.env.cr.execute(
            """
            UPDATE mail_message SET create_date = create_date - interval '1 day'
             WHERE id IN (
                   SELECT tracking.mail_message_id FROM mail_tracking_value tracking
                     JOIN ir_model_fields field ON field.id = tracking.field_id
                    WHERE field.name = 'is_move_sent' AND field.model = 'account.move'
                   )
               AND model = 'account.move' AND res_id = %s
            """,
            [flagged_before.id],
        )
        self.smtp.accept()
        sent = self.create_invoice()
        self.run_autocomm_cron()
        self._migrate()
        self.assertEqual(
            [
                (invoice.autocomm_state, invoice.is_move_sent)
                for invoice in (automatic, sent_by_user, flagged_before, sent)
            ],
            [("failed", False), ("failed", True), ("failed", True), ("sent", True)],
        )
