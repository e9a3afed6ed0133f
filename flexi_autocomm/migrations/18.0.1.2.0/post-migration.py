"""18.0.1.2.0: one engine sends every kind of document.

The scheduled action belongs to the engine (``autocomm.engine``) instead of
``account.move``; its record is ``noupdate``, so it is moved here, keeping
its schedule, activity and user. The automatic e-mails no longer point to
their invoice (``autocomm_move_id``): their message names the document, as
it always did, so nothing else changes for the documents being sent. The
claims of e-mails still held by a worker end with the upgrade (see
``expire_claims``).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("flexi_autocomm.ir_cron_autocomm_send", raise_if_not_found=False)
    if cron:
        cron.model_id = env["ir.model"]._get("autocomm.engine")
    expire_claims(cr)


def expire_claims(cr):
    """A claim left in the database being upgraded belongs to a worker that
    is gone (the server stops for an upgrade; a worker still alive meanwhile
    is the rare case): its lease ends now, so that the next run settles its
    e-mail as "Check delivery" instead of leaving the document waiting for
    the lease, and never sends it a second time."""
    cr.execute(
        """
        UPDATE mail_mail
           SET autocomm_claimed_until = now() AT TIME ZONE 'UTC'
         WHERE autocomm_claimed_until IS NOT NULL AND state = 'outgoing'
        """
    )
