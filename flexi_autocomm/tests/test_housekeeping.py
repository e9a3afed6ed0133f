import inspect

import odoo
from odoo.modules.module import get_manifest
from odoo.tests import tagged

from odoo.addons.base.models.ir_autovacuum import is_autovacuum

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestHousekeeping(AutocommCase):
    """What the engine leaves in the mail queue: removed when old, and
    never sent by Odoo's own queue once the addon is uninstalled."""

    def run_mail_autovacuum(self):
        """Run the mail queue's part of Odoo's daily autovacuum job."""
        model = self.env["mail.mail"]
        for _name, method in inspect.getmembers(type(model), is_autovacuum):
            method(model)

    def age(self, mails, days):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mail_mail SET write_date = now() - make_interval(days => %s) "
            "WHERE id IN %s",
            (days, tuple(mails.ids)),
        )
        mails.invalidate_recordset(["write_date"])

    def test_finished_emails_removed_after_the_days_to_keep(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "flexi_autocomm.mail_keep_days", 30
        )
        self.smtp.refuse_permanently("boss@customer.example.com")
        old, recent = self.create_invoice(), self.create_invoice()
        self.run_autocomm_cron()
        self.smtp.go_down()
        waiting = self.create_invoice()
        self.run_autocomm_cron()
        self.smtp.come_back()
        self.assertEqual((old | recent).mapped("autocomm_state"), ["failed"] * 2)
        self.assertEqual(waiting.autocomm_state, "sending")
        self.age(old.autocomm_mail_ids | waiting.autocomm_mail_ids, days=31)
        self.age(recent.autocomm_mail_ids, days=29)
        kept = recent.autocomm_mail_ids | waiting.autocomm_mail_ids
        self.run_mail_autovacuum()
        self.assertFalse(old.exists().autocomm_mail_ids)
        self.assertEqual(kept.exists(), kept)
        # The chatter keeps the e-mail the document was sent with.
        self.assertTrue(old.message_ids.filtered(lambda m: m.partner_ids))

    def test_uninstall_leaves_no_email_for_odoo_queue(self):
        self.smtp.go_down()
        sending = self.create_invoice()
        self.run_autocomm_cron()
        queued = self.create_invoice()
        self.smtp.come_back()
        mails = sending.autocomm_mail_ids
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        hook = get_manifest("flexi_autocomm")["uninstall_hook"]
        getattr(odoo.addons.flexi_autocomm, hook)(self.env)
        self.assertEqual(set(mails.mapped("state")), {"cancel"})
        # What Odoo's queue does with them, once the addon is gone.
        mails.send()
        self.assertFalse(self.smtp.messages)
        for move in sending | queued:
            self.assertTrue(
                move.message_ids.filtered(lambda m: "was uninstalled" in m.body),
                move.name,
            )
