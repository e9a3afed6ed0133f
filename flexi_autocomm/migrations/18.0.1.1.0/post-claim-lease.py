"""18.0.1.1.0: a claim of an automatic e-mail is a lease, not a process id.

Up to 18.0.1.0.0 a worker claimed an e-mail with its database connection's
process id (``autocomm_dispatch_pid``); a claim whose process was gone was
recovered as "Check delivery". From 18.0.1.1.0 the claim carries the end of its
lease (``autocomm_claimed_until``). A claim left in the database being upgraded
belongs to a worker that is gone (the server is stopped for the upgrade): it
becomes a lease that has run out, so that the next run recovers it as before,
and never sends its e-mail a second time. Odoo drops the old column after
the upgrade.
"""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not column_exists(cr, "mail_mail", "autocomm_dispatch_pid"):
        return
    cr.execute(
        """
        UPDATE mail_mail
           SET autocomm_claimed_until = COALESCE(
                   autocomm_dispatch_date, now() AT TIME ZONE 'UTC'
               )
         WHERE COALESCE(autocomm_dispatch_pid, 0) != 0
        """
    )
