from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DeliverySlipCase


@tagged("post_install", "-at_install")
class TestDeliverySlip(DeliverySlipCase):
    """Delivery orders: FlexiBee's "Send stock documents", sent by the same
    engine as the invoices, with Odoo's delivery slip."""

    def test_validated_delivery_goes_to_contacts_flagged_for_stock(self):
        picking = self.create_delivery()
        self.assertEqual(picking.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(), ["store@customer.example.com"]
        )
        self.assertEqual(picking.autocomm_recipient_ids, self.contact_other)
        self.assertTrue(picking.autocomm_sent_date)

    def test_validated_delivery_sent_once(self):
        picking = self.create_delivery()
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(len(self.smtp.messages), 1)

    def test_delivery_slip_attached_under_odoo_subject(self):
        picking = self.create_delivery()
        self.run_autocomm_cron()
        (message,) = self.smtp.messages
        attachments = message.attachments()
        name = f"Delivery Slip - {self.customer.name} - {picking.name}.pdf"
        self.assertEqual(list(attachments), [name])
        self.assertEqual(attachments[name][:5], b"%PDF-")
        self.assertEqual(
            message.subject,
            f"{self.company.name} Delivery Order (Ref {picking.name})",
        )

    def test_delivery_not_sent_before_validation(self):
        picking = self.create_delivery(validate=False)
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(picking.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        self.assertEqual(picking.autocomm_state, "to_send")
        self.validate(picking)
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)

    def test_send_now_refused_before_validation(self):
        picking = self.create_delivery(validate=False)
        with self.assertRaisesRegex(UserError, "validated delivery orders"):
            picking.action_autocomm_send_now()

    def test_cancelled_delivery_never_sent(self):
        picking = self.create_delivery(validate=False)
        picking.action_cancel()
        self.assertEqual(picking.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_backorder_of_partial_delivery_is_its_own_document(self):
        picking = self.create_delivery(validate=False)
        self.validate(picking, quantity=2.0)
        backorder = picking.backorder_ids
        self.assertEqual(backorder.state, "assigned")
        self.assertEqual(backorder.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(backorder.autocomm_state, "to_send")
        self.assertEqual(len(self.smtp.messages), 1)
        self.validate(backorder)
        self.run_autocomm_cron()
        self.assertEqual(backorder.autocomm_state, "sent", backorder.autocomm_error)
        self.assertEqual(
            [message.subject.rsplit(" ", 1)[-1] for message in self.smtp.messages],
            [f"{picking.name})", f"{backorder.name})"],
        )

    def test_backorder_takes_operation_type_default_not_original_choice(self):
        picking = self.create_delivery(validate=False)
        picking.autocomm_state = "no_send"
        self.validate(picking, quantity=2.0)
        self.assertEqual(picking.backorder_ids.autocomm_state, "to_send")

    def test_other_operation_types_and_switch_off_not_sent(self):
        receipt_type = self.out_type.warehouse_id.in_type_id
        receipt_type.autocomm_auto_send = True
        receipt = self.create_delivery(
            picking_type_id=receipt_type.id,
            location_id=self.env.ref("stock.stock_location_suppliers").id,
            location_dest_id=self.stock_location.id,
        )
        self.out_type.autocomm_auto_send = False
        delivery = self.create_delivery()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(receipt.autocomm_state, "no_send")
        self.assertEqual(delivery.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_company_not_sending_leaves_delivery_unmarked(self):
        self.company.autocomm_mode = "no_send"
        picking = self.create_delivery()
        self.assertEqual(picking.autocomm_state, "no_send")

    def test_delivery_address_flagged_company_contacts_receive(self):
        address = self.env["res.partner"].create(
            {
                "name": "Provozovna Brno",
                "parent_id": self.customer.id,
                "type": "delivery",
                "email": "brno@customer.example.com",
            }
        )
        picking = self.create_delivery(partner=address)
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(), ["store@customer.example.com"]
        )

    def test_nobody_flagged_delivery_address_own_email_receives(self):
        wholesaler = self.env["res.partner"].create(
            {
                "name": "Velkoobchod a.s.",
                "is_company": True,
                "email": "info@wholesale.example.com",
            }
        )
        address = self.env["res.partner"].create(
            {
                "name": "Sklad Ostrava",
                "parent_id": wholesaler.id,
                "type": "delivery",
                "email": "receiving@wholesale.example.com",
            }
        )
        picking = self.create_delivery(partner=address)
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(), ["receiving@wholesale.example.com"]
        )
        self.assertEqual(picking.autocomm_recipient_ids, address)

    def test_nobody_flagged_address_without_email_its_company_receives(self):
        wholesaler = self.env["res.partner"].create(
            {
                "name": "Velkoobchod a.s.",
                "is_company": True,
                "email": "info@wholesale.example.com",
            }
        )
        address = self.env["res.partner"].create(
            {"name": "Sklad Ostrava", "parent_id": wholesaler.id, "type": "delivery"}
        )
        picking = self.create_delivery(partner=address)
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(), ["info@wholesale.example.com"]
        )

    def test_nobody_to_send_to_fails_with_reason(self):
        customer = self.env["res.partner"].create({"name": "Bez adresy s.r.o."})
        picking = self.create_delivery(partner=customer)
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "failed")
        self.assertIn("Send stock documents", picking.autocomm_error)
        self.assertEqual(picking.activity_ids.user_id, self.storekeeper)

    def test_signature_is_responsible_storekeeper(self):
        self.create_delivery()
        self.run_autocomm_cron()
        received = self.smtp.messages[0]
        signature = received.html_body().split("Best regards,", 1)[1]
        self.assertIn("Pavel Skladník", signature)
        self.assertIn("pavel.skladnik@our.example.com", received.message["From"])
        self.assertNotIn("OdooBot", received.html_body())

    def test_signature_falls_back_to_creator(self):
        picking = self.created_by(
            self.create_delivery(validate=False, user_id=False), self.storekeeper
        )
        self.validate(picking)
        self.run_autocomm_cron()
        signature = self.smtp.messages[0].html_body().split("Best regards,", 1)[1]
        self.assertIn("Pavel Skladník", signature)

    def test_company_signs_for_technical_user(self):
        # Created by OdooBot, as a procurement run by a scheduled action is.
        odoobot = self.env.ref("base.user_root")
        picking = self.created_by(
            self.create_delivery(validate=False, user_id=odoobot.id), odoobot
        )
        self.validate(picking)
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        received = self.smtp.messages[0]
        signature = received.html_body().split("Best regards,", 1)[1]
        self.assertIn(self.company.name, signature)
        self.assertNotIn("OdooBot", received.html_body())
        self.assertEqual(
            received.message["From"].addresses[0].addr_spec, "billing@our.example.com"
        )

    def test_default_text_names_delivery_and_order(self):
        picking = self.create_delivery()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn(f"delivery slip <strong>{picking.name}</strong>", body)
        self.assertIn("S00042", body)

    def test_odoo_confirmation_email_not_sent_on_top(self):
        self.company.stock_move_email_validation = True
        self.create_delivery()
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 1)

    def test_odoo_confirmation_email_kept_for_delivery_not_marked(self):
        self.company.stock_move_email_validation = True
        self.out_type.autocomm_auto_send = False
        picking = self.create_delivery()
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "no_send")
        (message,) = self.smtp.messages
        self.assertIn("Delivery Order", message.subject)

    def test_resend_sends_delivery_slip_again(self):
        picking = self.create_delivery()
        self.run_autocomm_cron()
        picking.action_autocomm_resend()
        self.assertEqual(picking.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(picking.autocomm_state, "sent", picking.autocomm_error)
        self.assertEqual(len(self.smtp.messages), 2)

    def test_storekeeper_marks_validated_deliveries_to_send(self):
        self.out_type.autocomm_auto_send = False
        pickings = self.create_delivery() | self.create_delivery(validate=False)
        pickings.with_user(self.storekeeper).action_autocomm_mark_to_send()
        self.assertEqual(pickings.mapped("autocomm_state"), ["to_send", "no_send"])
