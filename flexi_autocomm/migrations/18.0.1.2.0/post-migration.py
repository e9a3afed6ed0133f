"""18.0.1.2.0: one engine sends every kind of document.

The scheduled action belongs to the engine (``autocomm.engine``) instead of
``account.move``; its record is ``noupdate``, so it is moved here, keeping
its schedule, activity and user. The automatic e-mails no longer point to
their invoice (``autocomm_move_id``): their message names the document, as
it always did, so nothing else changes for the documents being sent.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("flexi_autocomm.ir_cron_autocomm_send", raise_if_not_found=False)
    if cron:
        cron.model_id = env["ir.model"]._get("autocomm.engine")
