from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import DeliverySlipCase


@tagged("post_install", "-at_install")
class TestOperationTypeText(DeliverySlipCase):
    """The text for sending of a delivery operation type: written for
    delivery orders, checked as the journal's text is."""

    def test_operation_type_text_with_delivery_placeholders(self):
        self.out_type.autocomm_email_text = (
            "<p>Delivery {{ object.name }} for order {{ object.origin }}.</p>"
        )
        picking = self.create_delivery()
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        body = self.smtp.messages[0].html_body()
        self.assertIn(f"Delivery {picking.name} for order S00042.", body)
        self.assertIn("Best regards,", body)

    def test_text_checked_against_delivery_fields(self):
        with self.assertRaisesRegex(
            ValidationError, r"object.invoice_date_due.*operation type"
        ):
            self.out_type.autocomm_email_text = (
                "<p>Due {{ object.invoice_date_due }}</p>"
            )

    def test_incomplete_placeholder_refused(self):
        with self.assertRaisesRegex(ValidationError, "incomplete placeholder"):
            self.out_type.autocomm_email_text = "<p>Delivery {{ object.name</p>"

    def test_expressions_need_template_editor(self):
        manager = new_test_user(
            self.env,
            login="stock_manager",
            groups="stock.group_stock_manager",
            company_id=self.company.id,
        )
        editor_group = self.env.ref("mail.group_mail_template_editor")
        manager.groups_id -= editor_group
        if manager.has_group("mail.group_mail_template_editor"):
            self.skipTest("every internal user edits templates in this database")
        operation_type = self.out_type.with_user(manager)
        text = "<p>Order {{ object.origin }}</p>"
        with self.assertRaises(AccessError):
            operation_type.autocomm_email_text = text
        manager.groups_id |= editor_group
        operation_type.autocomm_email_text = text
        self.assertIn("object.origin", operation_type.autocomm_email_text)

    def test_translation_checked_in_its_language(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.out_type.autocomm_email_text = "<p>Delivery {{ object.name }}</p>"
        with self.assertRaisesRegex(ValidationError, "object.amount_total"):
            self.out_type.update_field_translations(
                "autocomm_email_text",
                {"cs_CZ": "<p>Dodávka {{ object.amount_total }}</p>"},
            )

    def test_czech_customer_receives_czech_text(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.out_type.autocomm_email_text = "<p>Delivery {{ object.name }}</p>"
        self.out_type.update_field_translations(
            "autocomm_email_text", {"cs_CZ": "<p>Dodávka {{ object.name }}</p>"}
        )
        self.customer.lang = "cs_CZ"
        picking = self.create_delivery()
        self.run_autocomm_cron()
        self.assertIn(f"Dodávka {picking.name}", self.smtp.messages[0].html_body())
