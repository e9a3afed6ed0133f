import html
import re

import lxml.html
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import is_html_empty

# ``{{ expression }}`` or ``{{ expression || default }}``, as in Odoo's
# inline templates (mail template subjects). A placeholder never contains
# ``{{``: in ``{{ object.name</p><p>{{ object.ref }}`` the first one is left
# unclosed instead of swallowing the second.
PLACEHOLDER_RE = re.compile(r"\{\{((?:(?!\{\{).)+?)\}\}", re.S)


def placeholders_to_qweb(text):
    """Turn ``{{ expr }}`` placeholders of an HTML text into ``t-out`` nodes.

    The text is then rendered by Odoo's sandboxed QWeb engine, which escapes
    every value: a customer name cannot inject HTML into the e-mail.
    """

    def to_qweb(match):
        expression, _sep, default = html.unescape(match.group(1)).partition("||")
        return Markup('<t t-out="%s">%s</t>') % (
            expression.strip(),
            default.strip().strip("'\""),
        )

    return PLACEHOLDER_RE.sub(to_qweb, str(text or ""))


def as_placeholder(expression):
    return f"{{{{ {expression} }}}}"


def incomplete_placeholder(text):
    """The start of the first placeholder of ``text`` that is opened and not
    closed (or closed and not opened), None when all are complete."""
    rest = PLACEHOLDER_RE.sub("", str(text or ""))
    positions = [pos for pos in (rest.find("{{"), rest.find("}}")) if pos >= 0]
    if not positions:
        return None
    position = min(positions)
    if rest.startswith("}}", position):
        # Closed, never opened: show what stands before the braces.
        start = max(rest.rfind(">", 0, position) + 1, position - 30)
        fragment = rest[start : position + 2]
    else:
        fragment = rest[position : position + 30].split("<", 1)[0]
    return " ".join(html.unescape(fragment).split())


class AccountJournal(models.Model):
    _inherit = "account.journal"

    autocomm_auto_send = fields.Boolean(
        string="Automatically send by e-mail to client",
        help="New customer invoices and credit notes of this journal are marked "
        "Send: the scheduled action e-mails them once they are posted, when the "
        "company's automatic e-mail sending is switched on.",
    )
    autocomm_email_text = fields.Html(
        string="Text for sending",
        translate=True,
        sanitize="email_outgoing",
        help="Body of the automatic e-mail. Placeholders such as "
        "{{ object.name }}, {{ object.amount_total }} or "
        "{{ object.invoice_date_due }} are replaced by the document's values. "
        "When empty, a default text is used. The responsible person's signature "
        "is added below.",
    )

    @api.constrains("autocomm_email_text")
    def _check_autocomm_email_text(self):
        """Refuse a text that does not render, showing the renderer's error.

        Like Odoo's mail templates, placeholders other than the few Odoo
        allows everyone (``mail_allowed_qweb_expressions``: the document's
        name and partner) need the group "Mail Template Editor": the text is
        rendered by the scheduled action, with every right.
        """
        render_mixin = self.env["mail.render.mixin"]
        is_editor = self.env.su or self.env.user.has_group(
            "mail.group_mail_template_editor"
        )
        for journal in self.filtered(
            lambda j: not is_html_empty(j.autocomm_email_text)
        ):
            journal._autocomm_check_placeholders_complete(journal.autocomm_email_text)
            source = placeholders_to_qweb(journal.autocomm_email_text)
            try:
                is_unsafe = render_mixin._has_unsafe_expression_template_qweb(
                    source, "account.move"
                )
            except Exception as error:  # noqa: BLE001 - shown to the user as is
                raise journal._autocomm_text_error(error) from error
            if is_unsafe and not is_editor:
                raise AccessError(
                    self.env._(
                        "Only members of the group %(group)s may use placeholders "
                        "other than %(allowed)s in the text for sending.",
                        group=self.env.ref("mail.group_mail_template_editor").name,
                        allowed=", ".join(self._autocomm_allowed_placeholders()),
                    )
                )
            sample = self.env["account.move"].search(
                [("journal_id", "=", journal.id)], order="id desc", limit=1
            )
            try:
                if sample:
                    render_mixin.sudo()._render_template(
                        source, "account.move", sample.ids, engine="qweb"
                    )
                else:
                    # No document to try the text on: its syntax at least.
                    self.env["ir.qweb"]._compile(
                        lxml.html.fragment_fromstring(source, create_parent="div")
                    )
            except Exception as error:  # noqa: BLE001
                raise journal._autocomm_text_error(error) from error

    def _autocomm_check_placeholders_complete(self, text):
        """Refuse a text with a placeholder that is opened and never closed:
        the customer would read its braces."""
        fragment = incomplete_placeholder(text)
        if fragment:
            raise ValidationError(
                self.env._(
                    "The text for sending of journal %(journal)s has an incomplete "
                    "placeholder, “%(fragment)s”: a placeholder starts with "
                    "%(opening)s and ends with %(closing)s, such as %(example)s.",
                    journal=self.display_name,
                    fragment=fragment,
                    opening="{{",
                    closing="}}",
                    example=as_placeholder("object.name"),
                )
            )

    @api.model
    def _autocomm_allowed_placeholders(self):
        """The placeholders Odoo lets anyone use, on an invoice."""
        moves = self.env["account.move"]
        return [
            f"{{{{ {expression} }}}}"
            for expression in moves.mail_allowed_qweb_expressions()
            if expression.split(".")[1:2] and expression.split(".")[1] in moves._fields
        ]

    def _autocomm_text_error(self, error):
        return ValidationError(
            self.env._(
                "The text for sending of journal %(journal)s cannot be rendered: "
                "%(error)s",
                journal=self.display_name,
                error=error,
            )
        )

    def _autocomm_render_email_text(self, moves, lang):
        """Render this journal's text (or the default text) for ``moves``.

        :return: ``{move_id: Markup}``, all in language ``lang``.
        """
        self.ensure_one()
        render_mixin = self.env["mail.render.mixin"].with_context(lang=lang)
        text = self.with_context(lang=lang).autocomm_email_text
        if is_html_empty(text):
            rendered = render_mixin._render_template(
                "flexi_autocomm.autocomm_email_default_body",
                "account.move",
                moves.ids,
                engine="qweb_view",
            )
        else:
            # A text saved before incomplete placeholders were refused.
            self.with_context(lang=lang)._autocomm_check_placeholders_complete(text)
            rendered = render_mixin._render_template(
                placeholders_to_qweb(text),
                "account.move",
                moves.ids,
                engine="qweb",
                options={"post_process": True},
            )
        return {move_id: Markup(body) for move_id, body in rendered.items()}
