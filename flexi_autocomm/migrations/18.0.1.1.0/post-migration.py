# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Odoo's "sent" flag of invoices whose automatic e-mail was not accepted.

Up to 18.0.1.0.0 the automatic sending let Odoo set ``is_move_sent`` when it
made the invoice's PDF, before the e-mail went to the mail server: a refused
or waiting invoice showed as sent in Odoo's list and filter. Since 18.0.1.1.0
the flag is set when the mail server accepts the e-mail. This clears it on
the invoices that are not Sent, only where the flag provably comes from the
automatic sending:

- it was switched on (chatter tracking) in the transaction that queued one of
  the invoice's automatic e-mails (same creation time as that e-mail's message);
- and no other message of the invoice carries its PDF (a copy of it, as
  Odoo attaches it): nobody sent it with Print & Send, or from the chatter.

Invoices where that cannot be told (the e-mails of an earlier attempt deleted,
the flag set by a user before the automatic sending) keep their flag.
"""

import logging

_logger = logging.getLogger(__name__)

AUTOMATIC_FLAG_QUERY = """
    WITH automatic AS (
        SELECT DISTINCT message.res_id AS move_id,
               message.id AS message_id,
               message.create_date
          FROM mail_mail mail
          JOIN mail_message message ON message.id = mail.mail_message_id
         WHERE mail.autocomm_outcome IS NOT NULL
           AND message.model = 'account.move'
    )
    SELECT move.id
      FROM account_move move
     WHERE move.is_move_sent
       AND move.autocomm_state IN ('to_send', 'sending', 'failed', 'unknown')
       AND EXISTS (
           SELECT 1
             FROM mail_tracking_value tracking
             JOIN ir_model_fields field ON field.id = tracking.field_id
             JOIN mail_message flag_message
               ON flag_message.id = tracking.mail_message_id
             JOIN automatic
               ON automatic.move_id = move.id
              AND automatic.create_date = flag_message.create_date
            WHERE field.model = 'account.move'
              AND field.name = 'is_move_sent'
              AND tracking.new_value_integer = 1
              AND flag_message.model = 'account.move'
              AND flag_message.res_id = move.id
       )
       AND NOT EXISTS (
           SELECT 1
             FROM ir_attachment pdf
             JOIN ir_attachment copy ON copy.checksum = pdf.checksum
             JOIN message_attachment_rel rel ON rel.attachment_id = copy.id
             JOIN mail_message other ON other.id = rel.message_id
            WHERE pdf.res_model = 'account.move'
              AND pdf.res_id = move.id
              AND pdf.res_field = 'invoice_pdf_report_file'
              AND other.model = 'account.move'
              AND other.res_id = move.id
              AND other.id NOT IN (
                  SELECT automatic.message_id
                    FROM automatic
                   WHERE automatic.move_id = move.id
              )
       )
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(AUTOMATIC_FLAG_QUERY)
    move_ids = [row[0] for row in cr.fetchall()]
    if move_ids:
        cr.execute(
            "UPDATE account_move SET is_move_sent = false WHERE id IN %s",
            [tuple(move_ids)],
        )
    _logger.info(
        "Odoo's sent flag cleared on %s invoices whose automatic e-mail was "
        "not accepted by the mail server",
        len(move_ids),
    )
