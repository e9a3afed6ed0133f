from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import AutocommCase, create_office_users

ACCESS_LOGGERS = ("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


class SecurityCase(AutocommCase):
    """One user per group: billing user, accounting manager, plain internal
    user, and a portal user who is a contact of the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing_user, cls.manager, cls.internal_user = create_office_users(
            cls.env, cls.company, "sec"
        )
        cls.portal_user = cls.env["res.users"].create(
            {
                "login": "sec_portal",
                "partner_id": cls.contact_billing.id,
                "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
            }
        )
        cls.company.autocomm_bcc_email = "archive@our.example.com"

    def assertRefused(self, function, *args, **kwargs):
        with self.assertRaises(AccessError), mute_logger(*ACCESS_LOGGERS):
            function(*args, **kwargs)
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestSettingsAccess(SecurityCase):
    """The company's mode and BCC address are settings: administrators only."""

    def test_only_administrators_change_the_mode(self):
        settings = self.env["res.config.settings"]
        for user in (self.billing_user, self.manager, self.internal_user):
            self.assertRefused(
                lambda user=user: (
                    settings.with_user(user)
                    .create({"autocomm_mode": "no_send"})
                    .execute()
                )
            )
        for user in (
            self.billing_user,
            self.manager,
            self.internal_user,
            self.portal_user,
        ):
            self.assertRefused(
                self.company.with_user(user).write, {"autocomm_mode": "no_send"}
            )
        self.assertEqual(self.company.autocomm_mode, "send")

    def test_accounting_manager_with_settings_right_changes_the_mode(self):
        self.manager.groups_id |= self.env.ref("base.group_system")
        with Form(self.env["res.config.settings"].with_user(self.manager)) as settings:
            settings.autocomm_mode = "bcc_only"
            settings.autocomm_bcc_email = "other-archive@our.example.com"
        self.assertEqual(self.company.autocomm_mode, "bcc_only")
        self.assertEqual(
            self.company.autocomm_bcc_email, "other-archive@our.example.com"
        )

    def test_billing_user_sees_why_documents_wait(self):
        invoice = self.create_invoice()
        self.assertEqual(
            invoice.with_user(self.billing_user).autocomm_company_mode, "send"
        )

    def test_bcc_address_hidden_from_portal(self):
        # The hidden copy must stay hidden from the customers.
        company = self.company.with_user(self.portal_user)
        self.assertRefused(company.read, ["autocomm_bcc_email"])
        self.assertEqual(
            self.company.with_user(self.billing_user).autocomm_bcc_email,
            "archive@our.example.com",
        )


@tagged("post_install", "-at_install")
class TestJournalTextAccess(SecurityCase):
    def test_accounting_manager_edits_text(self):
        journal = self.sale_journal.with_user(self.manager)
        journal.autocomm_email_text = (
            "<p>{{ object.partner_id.name }}: {{ object.name }}</p>"
        )
        self.assertIn("object.name", journal.autocomm_email_text)

    def test_others_do_not_edit_text(self):
        for user in (self.billing_user, self.internal_user, self.portal_user):
            self.assertRefused(
                self.sale_journal.with_user(user).write,
                {"autocomm_email_text": "<p>Hello</p>"},
            )

    def test_billing_user_reads_text(self):
        self.sale_journal.autocomm_email_text = "<p>Hello</p>"
        self.assertIn(
            "Hello", self.sale_journal.with_user(self.billing_user).autocomm_email_text
        )

    def test_expressions_need_template_editor(self):
        editor_group = self.env.ref("mail.group_mail_template_editor")
        self.manager.groups_id -= editor_group
        if self.manager.has_group("mail.group_mail_template_editor"):
            self.skipTest("every internal user edits templates in this database")
        journal = self.sale_journal.with_user(self.manager)
        text = "<p>Due on {{ format_date(object.invoice_date_due) }}</p>"
        with self.assertRaisesRegex(AccessError, r"other than \{\{ object.name \}\}"):
            journal.autocomm_email_text = text
        self.manager.groups_id |= editor_group
        journal.autocomm_email_text = text
        self.assertIn("format_date", journal.autocomm_email_text)

    def test_translation_with_expressions_needs_template_editor(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.manager.groups_id -= self.env.ref("mail.group_mail_template_editor")
        if self.manager.has_group("mail.group_mail_template_editor"):
            self.skipTest("every internal user edits templates in this database")
        self.sale_journal.autocomm_email_text = "<p>Invoice {{ object.name }}</p>"
        self.assertRefused(
            self.sale_journal.with_user(self.manager).update_field_translations,
            "autocomm_email_text",
            {"cs_CZ": "<p>Splatnost {{ format_date(object.invoice_date_due) }}</p>"},
        )
        self.assertNotIn(
            "format_date",
            self.sale_journal.with_context(lang="cs_CZ").autocomm_email_text,
        )

    def test_misspelt_placeholder_lists_what_others_may_use(self):
        self.manager.groups_id -= self.env.ref("mail.group_mail_template_editor")
        if self.manager.has_group("mail.group_mail_template_editor"):
            self.skipTest("every internal user edits templates in this database")
        journal = self.sale_journal.with_user(self.manager)
        with self.assertRaises(ValidationError) as caught:
            journal.autocomm_email_text = "<p>{{ object.nmae }}</p>"
        self.assertRegex(
            caught.exception.args[0],
            r"^The placeholder \{\{ object.nmae \}\} .* you may use "
            r"\{\{ object.name \}\}, \{\{ object.partner_id \}\}",
        )


@tagged("post_install", "-at_install")
class TestMailStateAccess(SecurityCase):
    def test_billing_user_sets_mail_state_and_resends(self):
        self.sale_journal.autocomm_auto_send = False
        invoice = self.create_invoice().with_user(self.billing_user)
        invoice.autocomm_state = "to_send"
        self.assertEqual(invoice.autocomm_state, "to_send")
        invoice.autocomm_state = "no_send"
        invoice.autocomm_state = "to_send"
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        invoice.action_autocomm_resend()
        self.assertEqual(invoice.autocomm_state, "to_send")

    def test_internal_user_does_not_see_invoices(self):
        invoice = self.create_invoice().with_user(self.internal_user)
        self.assertRefused(invoice.read, ["autocomm_state"])
        self.assertRefused(invoice.write, {"autocomm_state": "no_send"})

    def test_portal_user_neither_changes_nor_sends(self):
        queued = self.create_invoice().with_user(self.portal_user)
        self.assertEqual(queued.name, queued.sudo().name)  # their own invoice
        self.assertRefused(queued.write, {"autocomm_state": "no_send"})
        self.assertRefused(queued.action_autocomm_send_now)
        sent = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(sent.autocomm_state, "sent")
        self.assertRefused(sent.with_user(self.portal_user).action_autocomm_resend)
        self.assertEqual(sent.autocomm_state, "sent")

    def test_portal_user_does_not_read_sending_details(self):
        self.smtp.refuse_permanently("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertIn("boss@customer.example.com", invoice.autocomm_error)
        invoice = invoice.with_user(self.portal_user)
        for field in ("autocomm_error", "autocomm_mail_ids", "autocomm_recipient_ids"):
            self.assertRefused(invoice.read, [field])


@tagged("post_install", "-at_install")
class TestContractAccessMatrix(SecurityCase):
    """Who may read and write contracts and contract types (access rights)."""

    def test_access_rights_per_group(self):
        if "customer.contract" not in self.env:
            self.skipTest("no customer contracts in this version")
        access = self.env["ir.model.access"]
        expected = {
            # user: {model: (read, write/create/unlink)}
            self.billing_user: {
                "customer.contract": (1, 1),
                "customer.contract.type": (1, 0),
            },
            self.manager: {
                "customer.contract": (1, 1),
                "customer.contract.type": (1, 1),
            },
            self.internal_user: {
                "customer.contract": (0, 0),
                "customer.contract.type": (0, 0),
            },
            self.portal_user: {
                "customer.contract": (0, 0),
                "customer.contract.type": (0, 0),
            },
        }
        for user, models in expected.items():
            for model, (read, write) in models.items():
                for mode, allowed in (
                    ("read", read),
                    ("write", write),
                    ("create", write),
                    ("unlink", write),
                ):
                    with self.subTest(user=user.login, model=model, mode=mode):
                        self.assertEqual(
                            access.with_user(user).check(
                                model, mode, raise_exception=False
                            ),
                            bool(allowed),
                        )


@tagged("post_install", "-at_install")
class TestMultiCompany(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_data_2 = cls.setup_other_company()
        cls.company_2 = cls.company_data_2["company"]
        cls.company_2.write(
            {
                "autocomm_mode": "bcc_only",
                "autocomm_bcc_email": "archive2@other.example.com",
            }
        )
        cls.company_data_2["default_journal_sale"].autocomm_auto_send = True

    def create_invoice_2(self):
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.customer,
            amounts=[500.0],
            company=self.company_2,
            post=True,
        )
        self.assertEqual(invoice.company_id, self.company_2)
        return invoice

    def test_user_sees_only_own_company_documents(self):
        own, other = self.create_invoice(), self.create_invoice_2()
        moves = self.env["account.move"].with_user(self.billing_user)
        found = moves.search([("id", "in", (own | other).ids)])
        self.assertEqual(found, own)
        self.assertRefused(other.with_user(self.billing_user).read, ["autocomm_state"])

    def test_user_cannot_send_other_company_documents(self):
        other = self.create_invoice_2().with_user(self.billing_user)
        self.assertRefused(other.action_autocomm_send_now)
        self.assertRefused(other.write, {"autocomm_state": "no_send"})

    def test_each_company_sends_under_its_own_mode_and_bcc(self):
        own, other = self.create_invoice(), self.create_invoice_2()
        self.run_autocomm_cron()
        self.assertEqual(own.autocomm_state, "sent", own.autocomm_error)
        self.assertEqual(other.autocomm_state, "sent", other.autocomm_error)
        by_company = {
            address: sorted(
                m.subject.rsplit(" - ", 1)[1] for m in self.smtp.delivered_to(address)
            )
            for address in (
                "accounts@customer.example.com",
                "boss@customer.example.com",
                "archive@our.example.com",
                "archive2@other.example.com",
            )
        }
        self.assertEqual(
            by_company,
            {
                # Company 1 sends: the contacts, and a hidden copy to its archive.
                "accounts@customer.example.com": [self.company.name],
                "boss@customer.example.com": [self.company.name],
                "archive@our.example.com": [self.company.name],
                # Company 2 sends to its BCC address only.
                "archive2@other.example.com": [self.company_2.name],
            },
        )

    def test_company_that_does_not_send_keeps_its_queue(self):
        self.company_2.autocomm_mode = "no_send"
        own, other = self.create_invoice(), self.create_invoice_2()
        self.assertEqual(other.autocomm_state, "no_send")
        other.autocomm_state = "to_send"
        self.run_autocomm_cron()
        self.assertEqual(own.autocomm_state, "sent")
        self.assertEqual(other.autocomm_state, "to_send")
        self.assertFalse(self.smtp.delivered_to("archive2@other.example.com"))
