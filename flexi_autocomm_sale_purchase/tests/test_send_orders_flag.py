from lxml import etree

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSendOrdersFlag(TransactionCase):
    def test_contact_form_shows_send_orders_once(self):
        arch = etree.fromstring(
            self.env["res.partner"].get_view(
                self.env.ref("base.view_partner_form").id, "form"
            )["arch"]
        )
        for group in ("autocomm_flags", "autocomm_flags_dialog"):
            self.assertEqual(
                len(
                    arch.xpath(
                        f"//group[@name='{group}']/field[@name='autocomm_send_orders']"
                    )
                ),
                1,
                group,
            )
        self.assertEqual(
            len(arch.xpath("//span[@t-if='record.autocomm_send_orders.raw_value']")),
            1,
        )
        for flag in ("autocomm_send_quotations", "autocomm_send_rfqs"):
            self.assertEqual(
                len(
                    arch.xpath(f"//group[@name='autocomm_flags']/field[@name='{flag}']")
                ),
                1,
                flag,
            )

    def test_contact_search_has_one_send_orders_filter(self):
        arch = etree.fromstring(
            self.env["res.partner"].get_view(view_type="search")["arch"]
        )
        self.assertEqual(len(arch.xpath("//filter[@name='autocomm_send_orders']")), 1)
