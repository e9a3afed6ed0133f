from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestSettings(TransactionCase):
    def test_default_mode_is_no_send(self):
        company = self.env["res.company"].create({"name": "New company"})
        self.assertEqual(company.autocomm_mode, "no_send")

    def test_settings_round_trip(self):
        with Form(self.env["res.config.settings"]) as settings:
            settings.autocomm_mode = "send"
            settings.autocomm_bcc_email = "archive@our.example.com"
        self.assertEqual(self.env.company.autocomm_mode, "send")
        self.assertEqual(self.env.company.autocomm_bcc_email, "archive@our.example.com")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.autocomm_mode, "send")
        self.assertEqual(settings.autocomm_bcc_email, "archive@our.example.com")

    def test_bcc_only_needs_address(self):
        mode_before = self.env.company.autocomm_mode
        with self.assertRaises(ValidationError) as caught:
            self.env.company.write(
                {"autocomm_mode": "bcc_only", "autocomm_bcc_email": False}
            )
        self.assertIn("BCC address is required", str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(self.env.company.autocomm_mode, mode_before)

    def test_bcc_must_be_valid_email(self):
        with self.assertRaisesRegex(ValidationError, "not a valid e-mail address"):
            self.env.company.write(
                {"autocomm_mode": "send", "autocomm_bcc_email": "not an address"}
            )

    def test_settings_refuse_bad_input(self):
        mode_before = self.env.company.autocomm_mode
        with self.assertRaises(ValidationError) as caught:
            self.env["res.config.settings"].create(
                {"autocomm_mode": "bcc_only", "autocomm_bcc_email": False}
            ).execute()
        self.assertIn("BCC address is required", str(caught.exception))
        self.assertEqual(self.env.company.autocomm_mode, mode_before)


@tagged("post_install", "-at_install")
class TestScheduledActionProblems(AutocommCase):
    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("flexi_autocomm.ir_cron_autocomm_send")

    def settings_problem(self):
        return self.env["res.config.settings"].create({}).autocomm_cron_problem

    def test_running_scheduled_action_says_nothing(self):
        invoice = self.create_invoice()
        self.assertFalse(self.settings_problem())
        self.assertFalse(invoice.autocomm_cron_problem)

    def test_disabled_scheduled_action_shown_on_settings_and_queued_documents(self):
        queued = self.create_invoice()
        not_queued = self.create_invoice(autocomm_state="no_send")
        self.cron.active = False
        self.assertIn("is disabled", self.settings_problem())
        self.assertIn("is disabled", queued.autocomm_cron_problem)
        self.assertFalse(not_queued.autocomm_cron_problem)

    def test_failing_scheduled_action_shown_with_failure_count(self):
        queued = self.create_invoice()
        self.cron.write({"failure_count": 3, "first_failure_date": "2026-11-30 08:00"})
        self.assertIn("failed 3 times", self.settings_problem())
        self.assertIn("failed 3 times", queued.autocomm_cron_problem)

    def test_billing_user_reads_why_documents_wait(self):
        queued = self.create_invoice()
        self.cron.active = False
        self.assertIn(
            "is disabled", queued.with_user(self.salesperson).autocomm_cron_problem
        )
