from odoo.tests import tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestRecipients(AutocommCase):
    def test_flagged_contacts_all_receive(self):
        invoice = self.create_invoice()
        self.assertEqual(invoice.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(),
            ["accounts@customer.example.com", "boss@customer.example.com"],
        )
        self.assertEqual(
            invoice.autocomm_recipient_ids, self.contact_billing | self.contact_boss
        )
        self.assertTrue(invoice.autocomm_sent_date)
        self.assertFalse(invoice.autocomm_error)

    def test_unflagged_contact_and_company_address_left_out(self):
        self.create_invoice()
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.delivered_to("store@customer.example.com"))
        self.assertFalse(self.smtp.delivered_to("info@customer.example.com"))

    def test_fallback_to_company_email(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Bez kontaktů a.s.",
                "is_company": True,
                "email": "office@nocontacts.example.com",
            }
        )
        self._create_contact(
            "Not flagged", "someone@nocontacts.example.com", False, customer
        )
        invoice = self.create_invoice(partner=customer)
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(), ["office@nocontacts.example.com"]
        )

    def test_private_customer_is_own_recipient(self):
        person = self.env["res.partner"].create(
            {"name": "Jan Novák", "email": "jan@private.example.com"}
        )
        invoice = self.create_invoice(partner=person)
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["jan@private.example.com"])
        self.assertEqual(invoice.autocomm_recipient_ids, person)

    def test_invoice_to_contact_goes_to_flagged_contacts(self):
        invoice = self.create_invoice(partner=self.contact_other)
        self.run_autocomm_cron()
        self.assertEqual(
            self.smtp.envelope_recipients(),
            ["accounts@customer.example.com", "boss@customer.example.com"],
        )
        self.assertEqual(invoice.autocomm_state, "sent")

    def test_no_valid_address_fails_and_batch_goes_on(self):
        nobody = self.env["res.partner"].create(
            {"name": "Nikdo", "is_company": True, "email": "not-an-address"}
        )
        self._create_contact("Broken", "broken@@example", True, nobody)
        failing = self.create_invoice(partner=nobody)
        good = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(failing.autocomm_state, "failed")
        self.assertIn("Nobody to send to", failing.autocomm_error)
        self.assertTrue(failing.activity_ids, "the responsible user gets a to-do")
        self.assertEqual(failing.activity_ids.user_id, self.salesperson)
        self.assertEqual(good.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.messages), 2)

    def test_skipped_flagged_contacts_named_on_document(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Překlep s.r.o.",
                "is_company": True,
                "email": "office@typo.example.com",
            }
        )
        self._create_contact("Petr Překlep", "petr@@typo.example.com", True, customer)
        self._create_contact("Jana Bezadresná", False, True, customer)
        invoice = self.create_invoice(partner=customer)
        self.run_autocomm_cron()
        # SPEC 3.2: no flagged contact can receive it, the company does.
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["office@typo.example.com"])
        notes = invoice.message_ids.filtered(lambda m: "Petr Překlep" in m.body)
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
        self.assertIn(
            "Petr Překlep: the e-mail address petr@@typo.example.com is not valid",
            notes.body,
        )
        self.assertIn("Jana Bezadresná: no e-mail address", notes.body)
        self.run_autocomm_cron()
        self.assertEqual(
            invoice.message_ids.filtered(lambda m: "Petr Překlep" in m.body), notes
        )

    def test_followers_not_notified(self):
        follower = self.env["res.partner"].create(
            {"name": "Follower", "email": "follower@example.com"}
        )
        invoice = self.create_invoice()
        invoice.message_subscribe(partner_ids=follower.ids)
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertFalse(self.smtp.delivered_to("follower@example.com"))
        self.assertFalse(self.smtp.delivered_to("info@customer.example.com"))


@tagged("post_install", "-at_install")
class TestModes(AutocommCase):
    def test_no_send_mode_sends_nothing(self):
        invoice = self.create_invoice()
        self.company.autocomm_mode = "no_send"
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "to_send")
        self.assertFalse(self.smtp.messages)

    def test_new_documents_of_no_send_company_are_not_queued(self):
        self.company.autocomm_mode = "no_send"
        invoice = self.create_invoice()
        self.assertEqual(invoice.autocomm_state, "no_send")

    def test_bcc_only_sends_only_to_bcc(self):
        self.company.write(
            {
                "autocomm_mode": "bcc_only",
                "autocomm_bcc_email": "archive@our.example.com",
            }
        )
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["archive@our.example.com"])

    def test_send_mode_bcc_copy_is_hidden(self):
        self.company.autocomm_bcc_email = "archive@our.example.com"
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(),
            [
                "accounts@customer.example.com",
                "archive@our.example.com",
                "boss@customer.example.com",
            ],
        )
        for address in ("accounts@customer.example.com", "boss@customer.example.com"):
            (received,) = self.smtp.delivered_to(address)
            self.assertNotIn("archive@our.example.com", received.header_text())
        self.assertNotIn(
            "archive@our.example.com", invoice.autocomm_recipient_ids.mapped("email")
        )


@tagged("post_install", "-at_install")
class TestWhichDocuments(AutocommCase):
    def test_draft_waits_until_posted(self):
        invoice = self.create_invoice(post=False)
        self.assertEqual(invoice.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        invoice.action_post()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.messages), 2)

    def test_cancelled_never_sent(self):
        invoice = self.create_invoice()
        invoice.button_cancel()
        self.assertEqual(invoice.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_vendor_bill_never_sent(self):
        bill = self.init_invoice(
            "in_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        self.assertEqual(bill.autocomm_state, "no_send")
        bill.autocomm_state = "to_send"
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_journal_without_flag_does_not_queue(self):
        self.sale_journal.autocomm_auto_send = False
        invoice = self.create_invoice()
        self.assertEqual(invoice.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_turning_flag_on_never_queues_old_documents(self):
        self.sale_journal.autocomm_auto_send = False
        old = self.create_invoice()
        self.sale_journal.autocomm_auto_send = True
        self.assertEqual(old.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_credit_note_sent(self):
        refund = self.create_invoice(move_type="out_refund")
        self.run_autocomm_cron()
        self.assertEqual(refund.autocomm_state, "sent", refund.autocomm_error)
        self.assertIn("Credit Note", self.smtp.messages[0].subject)


@tagged("post_install", "-at_install")
class TestContent(AutocommCase):
    def test_pdf_attached_and_kept_on_invoice(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertTrue(invoice.invoice_pdf_report_id)
        for received in self.smtp.messages:
            attachments = received.attachments()
            self.assertEqual(list(attachments), [invoice.invoice_pdf_report_id.name])
            self.assertTrue(next(iter(attachments.values())).startswith(b"%PDF"))

    def test_subject_has_title_number_company(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        subject = self.smtp.messages[0].subject
        self.assertIn(f"Invoice {invoice.name}", subject)
        self.assertIn(self.company.name, subject)

    def test_signature_is_salesperson_not_technical_user(self):
        self.create_invoice()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn("Ing.", body)
        self.assertIn("Jana Nováková", body)
        self.assertNotIn("OdooBot", body)
        self.assertNotIn(self.env.ref("base.user_root").name, body)

    def created_by(self, invoice, user):
        """``invoice``, as if ``user`` had created it."""
        self.env.cr.execute(
            "UPDATE account_move SET create_uid = %s WHERE id = %s",
            [user.id, invoice.id],
        )
        invoice.invalidate_recordset(["create_uid"])
        return invoice

    def assertSignedByCompany(self, received, message):
        signature = received.html_body().split("Best regards,", 1)[1]
        self.assertIn(self.company.name, signature)
        for user in (
            self.env.ref("base.user_root"),
            self.env.ref("base.public_user"),
        ):
            self.assertNotIn(user.name, received.html_body())
        self.assertEqual(
            received.message["From"].addresses[0].addr_spec, "billing@our.example.com"
        )
        self.assertEqual(message.author_id, self.company.partner_id)

    def sent_message(self, invoice):
        return invoice.message_ids.filtered(lambda m: m.message_type == "comment")

    def test_signature_falls_back_to_creator(self):
        clerk = self.env["res.users"].create(
            {
                "name": "Karel Fakturant",
                "login": "karel",
                "email": "karel@our.example.com",
            }
        )
        invoice = self.created_by(self.create_invoice(post=False), clerk)
        invoice.invoice_user_id = False
        invoice.action_post()
        self.run_autocomm_cron()
        received = self.smtp.messages[0]
        self.assertIn("Karel Fakturant", received.html_body())
        self.assertIn("karel@our.example.com", received.message["From"])
        self.assertEqual(self.sent_message(invoice).author_id, clerk.partner_id)

    def test_company_signs_when_nobody_is_responsible(self):
        # Created by the scheduled action (the superuser), no salesperson.
        invoice = self.created_by(
            self.create_invoice(post=False), self.env.ref("base.user_root")
        )
        invoice.invoice_user_id = False
        invoice.action_post()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertSignedByCompany(self.smtp.messages[0], self.sent_message(invoice))

    def test_technical_users_never_sign(self):
        portal = self.env["res.users"].create(
            {
                "name": "Portal Customer",
                "login": "portal_customer",
                "email": "portal@customer.example.com",
                "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
            }
        )
        archived = self.env["res.users"].create(
            {"name": "Left Company", "login": "left", "email": "left@our.example.com"}
        )
        archived.active = False
        technical = {
            "OdooBot": self.env.ref("base.user_root"),
            "portal user": portal,
            "archived user": archived,
            "public user": self.env.ref("base.public_user"),
        }
        invoices = {
            kind: self.created_by(self.create_invoice(invoice_user_id=user.id), user)
            for kind, user in technical.items()
        }
        self.run_autocomm_cron()
        for kind, invoice in invoices.items():
            with self.subTest(kind=kind):
                self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
                received = next(
                    m for m in self.smtp.messages if invoice.name in m.subject
                )
                self.assertNotIn(technical[kind].name, received.html_body())
                self.assertSignedByCompany(received, self.sent_message(invoice))

    def test_journal_text_rendered_in_customer_language(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.customer.lang = "cs_CZ"
        self.sale_journal.autocomm_email_text = (
            "<p>Dear customer, invoice {{ object.name }}.</p>"
        )
        self.sale_journal.with_context(lang="cs_CZ").autocomm_email_text = (
            "<p>Vážený zákazníku, posíláme fakturu {{ object.name }} "
            "splatnou {{ object.invoice_date_due }}.</p>"
        )
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn(f"Vážený zákazníku, posíláme fakturu {invoice.name}", body)
        self.assertIn(str(invoice.invoice_date_due), body)
        self.assertNotIn("Dear customer", body)

    def test_placeholder_values_are_escaped(self):
        self.customer.name = "<b>Bold</b> s.r.o."
        self.sale_journal.autocomm_email_text = (
            "<p>Customer {{ object.partner_id.name }}</p>"
        )
        self.create_invoice()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn("&lt;b&gt;Bold&lt;/b&gt; s.r.o.", body)

    def test_default_text_when_journal_has_none(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn("please find attached", body)
        self.assertIn(invoice.name, body)

    def test_chatter_shows_message_recipients_attachment(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        message = invoice.message_ids.filtered(
            lambda m: m.message_type == "comment" and m.partner_ids
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.partner_ids, self.contact_billing | self.contact_boss)
        self.assertTrue(
            message.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")
        )
        self.assertEqual(
            set(message.notification_ids.mapped("notification_status")), {"sent"}
        )

    def test_chatter_tracks_outcome_not_transient_state(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        changes = (
            invoice.message_ids.tracking_value_ids.filtered(
                lambda t: t.field_id.name == "autocomm_state"
            )
            .sorted("id")
            .mapped(lambda t: (t.old_value_char, t.new_value_char))
        )
        # The e-mail itself is in the chatter; "Sending" would only repeat it.
        self.assertEqual(changes, [("Sending", "Sent")])

    def test_author_is_responsible_user_even_when_address_shared(self):
        # Another partner with the salesperson's address must not become the
        # author (Odoo would look the author up by the sender's address).
        self.env["res.partner"].create(
            {"name": "Namesake", "email": self.salesperson.partner_id.email}
        )
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        message = invoice.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(message.author_id, self.salesperson.partner_id)


@tagged("post_install", "-at_install")
class TestLanguages(AutocommCase):
    def test_each_recipient_reads_its_language_in_one_batch(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.env["ir.module.module"].search(
            [("name", "in", ("account", "flexi_autocomm"))]
        )._load_module_terms(["account", "flexi_autocomm"], ["cs_CZ"], overwrite=True)
        czech = self.env["res.partner"].create(
            {"name": "Pekárna a.s.", "email": "pekarna@example.com", "lang": "cs_CZ"}
        )
        english = self.create_invoice()
        in_czech = self.create_invoice(partner=czech)
        self.run_autocomm_cron()
        self.assertEqual(english.autocomm_state, "sent", english.autocomm_error)
        self.assertEqual(in_czech.autocomm_state, "sent", in_czech.autocomm_error)
        (message,) = (m for m in self.smtp.messages if m.rcpt_tos == [czech.email])
        self.assertTrue(message.subject.startswith("Faktura "), message.subject)
        english_subjects = {
            m.subject for m in self.smtp.messages if m.rcpt_tos != [czech.email]
        }
        self.assertEqual(len(english_subjects), 1)
        self.assertTrue(english_subjects.pop().startswith("Invoice "))
