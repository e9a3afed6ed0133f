from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestJournalText(AutocommCase):
    """The text for sending is refused at save when the customer would
    read something else than the clerk meant."""

    def assertOneSentence(self, message):
        self.assertNotIn("Traceback", message)
        self.assertNotIn("\n", message)
        self.assertTrue(message.endswith("."), message)
        self.assertNotIn(". ", message, "more than one sentence")

    def test_unclosed_placeholder_refused_at_save(self):
        self.create_invoice()
        with self.assertRaises(ValidationError) as caught:
            self.sale_journal.autocomm_email_text = (
                "<p>Invoice {{ object.name</p><p>Due {{ object.invoice_date_due }}</p>"
            )
        message = caught.exception.args[0]
        self.assertIn("incomplete placeholder, “{{ object.name”", message)
        self.assertOneSentence(message)

    def test_unopened_placeholder_refused_at_save(self):
        with self.assertRaisesRegex(ValidationError, "object.name }}”"):
            self.sale_journal.autocomm_email_text = "<p>Invoice object.name }}</p>"

    def test_unclosed_placeholder_saved_earlier_fails_the_document(self):
        # A text saved before the check existed: the document fails, the
        # customer never reads the braces.
        self.env.cr.execute(
            "UPDATE account_journal SET autocomm_email_text = %s WHERE id = %s",
            ['{"en_US": "<p>Invoice {{ object.name</p>"}', self.sale_journal.id],
        )
        self.sale_journal.invalidate_recordset(["autocomm_email_text"])
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertIn("incomplete placeholder", invoice.autocomm_error)
        self.assertFalse(self.smtp.messages)

    def test_misspelt_placeholder_named_in_one_sentence(self):
        self.create_invoice()
        with self.assertRaises(ValidationError) as caught:
            self.sale_journal.autocomm_email_text = (
                "<p>{{ object.name }}: {{ object.no_such_field }}</p>"
            )
        message = caught.exception.args[0]
        self.assertIn("The placeholder {{ object.no_such_field }} ", message)
        self.assertIn("{{ object.invoice_date_due }}", message, "what may be used")
        self.assertOneSentence(message)

    def test_misspelt_placeholder_refused_without_documents(self):
        journal = self.sale_journal.copy({"name": "New sales", "code": "NEWS"})
        with self.assertRaisesRegex(
            ValidationError, r"\{\{ object.partner_id.nmae \}\}"
        ):
            journal.autocomm_email_text = "<p>{{ object.partner_id.nmae }}</p>"

    def test_placeholder_failing_on_a_document_named(self):
        self.create_invoice()
        with self.assertRaises(ValidationError) as caught:
            self.sale_journal.autocomm_email_text = (
                "<p>{{ object.name }} {{ object.amount_total / 0 }}</p>"
            )
        message = caught.exception.args[0]
        self.assertIn("{{ object.amount_total / 0 }}", message)
        self.assertOneSentence(message)

    def test_text_failing_at_sending_explained_in_one_line(self):
        # A text saved before its placeholders were checked.
        self.env.cr.execute(
            "UPDATE account_journal SET autocomm_email_text = %s WHERE id = %s",
            ['{"en_US": "<p>{{ object.no_such_field }}</p>"}', self.sale_journal.id],
        )
        self.sale_journal.invalidate_recordset(["autocomm_email_text"])
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertIn("cannot be rendered", invoice.autocomm_error)
        self.assertIn("no_such_field", invoice.autocomm_error)
        self.assertNotIn("Traceback", invoice.autocomm_error)
        self.assertNotIn("\n", invoice.autocomm_error)

    def test_broken_text_refused_on_every_path(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.create_invoice()
        journal = self.sale_journal
        journal.autocomm_email_text = "<p>Invoice {{ object.name }}</p>"
        broken = "<p>Faktura {{ object.no_such_field }}</p>"
        in_czech = self.env["account.journal"].with_context(lang="cs_CZ")
        paths = {
            "write": lambda: journal.write({"autocomm_email_text": broken}),
            "write in Czech": lambda: journal.with_context(lang="cs_CZ").write(
                {"autocomm_email_text": broken}
            ),
            "create in Czech": lambda: in_czech.create(
                {
                    "name": "Czech sales",
                    "code": "CZS",
                    "type": "sale",
                    "company_id": self.company.id,
                    "autocomm_email_text": broken,
                }
            ),
            "translation": lambda: journal.update_field_translations(
                "autocomm_email_text", {"cs_CZ": broken}
            ),
        }
        for path, write in paths.items():
            with self.subTest(path=path), self.assertRaises(ValidationError) as caught:
                write()
            self.assertIn("object.no_such_field", caught.exception.args[0])
        imported = in_czech.load(
            [".id", "autocomm_email_text"], [[str(journal.id), broken]]
        )
        self.assertFalse(imported["ids"])
        self.assertIn("object.no_such_field", imported["messages"][0]["message"])
        for lang in ("en_US", "cs_CZ"):
            self.assertNotIn(
                "no_such_field", journal.with_context(lang=lang).autocomm_email_text
            )
