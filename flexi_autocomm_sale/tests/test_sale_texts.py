from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import SaleAutocommCase


@tagged("post_install", "-at_install")
class TestSaleTexts(SaleAutocommCase):
    """The company's texts for sending quotations and order confirmations:
    sale order placeholders, checked when saved, as the journal's text."""

    def test_quotation_text_placeholders_rendered(self):
        self.company.autocomm_quotation_text = (
            "<p>Quotation {{ object.name }} for {{ object.partner_id.name }}, "
            "valid until {{ object.validity_date }}.</p>"
        )
        quotation = self.create_quotation()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn(
            f"Quotation {quotation.name} for {self.customer.name}, valid until "
            f"{quotation.validity_date}.",
            body,
        )

    def test_order_text_used_for_confirmation_only(self):
        self.company.autocomm_quotation_text = "<p>Our offer {{ object.name }}</p>"
        self.company.autocomm_sale_order_text = "<p>Your order {{ object.name }}</p>"
        order = self.create_quotation()
        self.run_autocomm_cron()
        order.action_confirm()
        self.run_autocomm_cron()
        quotation, confirmation = (m.html_body() for m in self.smtp.messages)
        self.assertIn(f"Our offer {order.name}", quotation)
        self.assertNotIn("Your order", quotation)
        self.assertIn(f"Your order {order.name}", confirmation)

    def test_text_placeholder_of_other_document_refused(self):
        with self.assertRaisesRegex(ValidationError, "invoice_date_due"):
            self.company.autocomm_sale_order_text = (
                "<p>Due {{ object.invoice_date_due }}</p>"
            )

    def test_incomplete_placeholder_refused(self):
        with self.assertRaisesRegex(ValidationError, "incomplete placeholder"):
            self.company.autocomm_quotation_text = "<p>Offer {{ object.name</p>"

    def test_translation_checked_in_its_language(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.company.autocomm_quotation_text = "<p>Offer {{ object.name }}</p>"
        with self.assertRaisesRegex(ValidationError, "amount_due"):
            self.company.update_field_translations(
                "autocomm_quotation_text",
                {"cs_CZ": "<p>Nabídka {{ object.amount_due }}</p>"},
            )

    def test_unsafe_placeholder_needs_template_editor(self):
        user = new_test_user(
            self.env,
            login="sales_admin",
            groups="base.group_erp_manager,sales_team.group_sale_manager",
        )
        user.groups_id -= self.env.ref("mail.group_mail_template_editor")
        if user.has_group("mail.group_mail_template_editor"):
            self.skipTest("every internal user edits templates in this database")
        company = self.company.with_user(user)
        company.autocomm_quotation_text = "<p>{{ object.name }}</p>"
        with self.assertRaisesRegex(AccessError, "Mail Template Editor"):
            company.autocomm_quotation_text = "<p>{{ object.amount_total }}</p>"

    def test_settings_edit_company_switches_and_texts(self):
        settings = (
            self.env["res.config.settings"]
            .with_company(self.company)
            .create(
                {
                    "autocomm_quotation_auto_send": False,
                    "autocomm_sale_order_text": "<p>Order {{ object.name }}</p>",
                }
            )
        )
        settings.execute()
        self.assertFalse(self.company.autocomm_quotation_auto_send)
        self.assertIn("{{ object.name }}", self.company.autocomm_sale_order_text)
