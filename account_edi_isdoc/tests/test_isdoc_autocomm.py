"""The automatic sending of ``flexi_autocomm`` attaches the ISDOC with nothing
special: it sends through Odoo's invoice sending, which writes the file of the
customer's e-invoice format. Runs where both addons are installed."""

from unittest import SkipTest

from lxml import etree

from odoo.modules.registry import Registry
from odoo.tests import get_db_name, tagged
from odoo.tools.misc import file_path

from .common import SCHEMA_PATH

try:
    from odoo.addons.flexi_autocomm.tests.common import AutocommCase
except ImportError:  # account_edi_isdoc without flexi_autocomm beside it
    AutocommCase = None


if AutocommCase:

    @tagged("post_install", "-at_install")
    class TestIsdocAutocomm(AutocommCase):
        @classmethod
        def setUpClass(cls):
            move_fields = Registry(get_db_name())["account.move"]._fields
            if "autocomm_state" not in move_fields:
                raise SkipTest("flexi_autocomm is not installed")
            super().setUpClass()
            cls.customer.invoice_edi_format = "isdoc"
            cls.schema = etree.XMLSchema(etree.parse(file_path(SCHEMA_PATH)))

        def test_automatic_sending_attaches_number_isdoc(self):
            invoice = self.create_invoice()

            self.run_autocomm_cron(real_pdf=False)

            self.assertEqual(invoice.autocomm_state, "sent")
            filename = f"{invoice.name.replace('/', '_')}.isdoc"
            self.assertEqual(len(self.smtp.messages), 2)  # the two flagged contacts
            for message in self.smtp.messages:
                xml = message.attachments()[filename]
                self.assertTrue(self.schema.validate(etree.fromstring(xml)))
            self.assertEqual(invoice.ubl_cii_xml_id.name, filename)
