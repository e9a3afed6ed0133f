import ast
import html
import logging
import re

import lxml.html
from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import is_html_empty

_logger = logging.getLogger(__name__)

# ``{{ expression }}`` or ``{{ expression || default }}``, as in Odoo's
# inline templates (mail template subjects). A placeholder never contains
# ``{{``: in ``{{ object.name</p><p>{{ object.ref }}`` the first one is left
# unclosed instead of swallowing the second.
PLACEHOLDER_RE = re.compile(r"\{\{((?:(?!\{\{).)+?)\}\}", re.S)
# Placeholders suggested to those who may use any field of the document.
SUGGESTED_PLACEHOLDERS = (
    "object.name",
    "object.partner_id.name",
    "object.invoice_date",
    "object.invoice_date_due",
    "object.amount_total",
    "object.payment_reference",
    "object.date",
    "object.amount",
    "object.memo",
)


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


def placeholder_expressions(text):
    """The expressions of the placeholders of ``text``, in order, once each."""
    expressions = (
        html.unescape(match.group(1)).partition("||")[0].strip()
        for match in PLACEHOLDER_RE.finditer(str(text or ""))
    )
    return list(dict.fromkeys(expressions))


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


def attribute_path(node):
    """``['object', 'partner_id', 'name']`` for ``object.partner_id.name``;
    None when the expression does not start with a plain name."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(names)]


def path_exists(records, names):
    """Whether ``names`` lead from ``records`` through fields (or end on a
    method, or on a value whose own attributes are not checked)."""
    for name in names:
        field = records._fields.get(name)
        if field is None:
            return hasattr(type(records), name)
        if not field.relational:
            return True
        records = records.env[field.comodel_name]
    return True


class AutocommTextMixin(models.AbstractModel):
    """A record holding texts for sending (a journal, an operation type, the
    company): HTML with ``{{ placeholders }}`` rendered by Odoo's sandboxed
    QWeb for each document, checked when saved in any language.

    A holder names its text fields and the model of the documents each is
    written for (:meth:`_autocomm_text_fields`), and calls
    :meth:`_autocomm_check_texts` from its own ``@api.constrains``.
    """

    _name = "autocomm.text.mixin"
    _description = "Holder of texts for automatic e-mails"

    def _autocomm_text_fields(self):
        """``{field name: document model name}`` of this holder's texts.

        Several addons may add texts to one holder (the company holds those
        of sales and of purchases): each returns its own fields merged with
        ``super()``'s. A holder without ``autocomm_email_text`` starts empty.
        """
        if "autocomm_email_text" not in self._fields:
            return {}
        return {"autocomm_email_text": self._autocomm_document_model()._name}

    def _autocomm_document_model(self, field_name="autocomm_email_text"):
        """The (empty) model of the documents ``field_name`` is written for,
        as :meth:`_autocomm_text_fields` names it. A holder of
        ``autocomm_email_text`` says it here instead (a journal's depends on
        its type)."""
        return self.env[self._autocomm_text_fields()[field_name]]

    def _autocomm_text_holder_label(self, field_name):
        """The holder and text, in words, for the messages."""
        return self.display_name

    def _autocomm_sample_domain(self, field_name):
        """A document this text was written for, to try it on."""
        return []

    def _update_field_translations(
        self, field_name, translations, digest=None, source_lang=None
    ):
        res = super()._update_field_translations(
            field_name, translations, digest=digest, source_lang=source_lang
        )
        # Odoo writes the translations without running the constraints but
        # for the current language: check each language written.
        if field_name in self._autocomm_text_fields():
            for lang, translation in translations.items():
                if translation:
                    self.with_context(lang=lang)._autocomm_check_texts([field_name])
        return res

    def _autocomm_check_texts(self, field_names):
        """Refuse a text for sending that does not render, saying which
        placeholder is wrong (see :meth:`_autocomm_check_email_text`).

        Called by the holder's constraint on its text fields (forms,
        imports), with the value of the language being written.
        """
        for holder in self:
            for field_name in field_names:
                holder._autocomm_check_email_text(holder[field_name], field_name)

    def _autocomm_check_email_text(self, text, field_name="autocomm_email_text"):
        """Refuse ``text`` as this holder's text for sending when a
        placeholder is incomplete or wrong, or when it does not render.

        Like Odoo's mail templates, placeholders other than the few Odoo
        allows everyone (``mail_allowed_qweb_expressions``: the document's
        name and partner) need the group "Mail Template Editor": the text is
        rendered by the scheduled action, with every right.
        """
        self.ensure_one()
        if is_html_empty(text):
            return
        self._autocomm_check_placeholders_complete(text, field_name)
        for expression in placeholder_expressions(text):
            if not self._autocomm_placeholder_exists(expression, field_name):
                raise self._autocomm_placeholder_error(expression, field_name)
        self._autocomm_check_editing_right(text, field_name)
        render = self._autocomm_trial_renderer(field_name)
        try:
            render(
                placeholders_to_qweb(text),
                self._autocomm_document_model(field_name)._name,
            )
        except Exception as error:  # noqa: BLE001 - explained to the user
            raise self._autocomm_render_error(
                text, error, render, field_name
            ) from error

    def _autocomm_check_editing_right(self, text, field_name):
        """Refuse placeholders beyond Odoo's safe ones to those who may not
        edit dynamic mail templates."""
        render_mixin = self.env["mail.render.mixin"]
        try:
            is_unsafe = render_mixin._has_unsafe_expression_template_qweb(
                placeholders_to_qweb(text),
                self._autocomm_document_model(field_name)._name,
            )
        except Exception as error:  # noqa: BLE001 - explained to the user
            raise self._autocomm_render_error(
                text,
                error,
                render_mixin._has_unsafe_expression_template_qweb,
                field_name,
            ) from error
        if is_unsafe and not self._autocomm_may_use_any_placeholder():
            raise AccessError(
                self.env._(
                    "Only members of the group %(group)s may use placeholders "
                    "other than %(allowed)s in the text for sending.",
                    group=self.env.ref("mail.group_mail_template_editor").name,
                    allowed=", ".join(self._autocomm_allowed_placeholders(field_name)),
                )
            )

    def _autocomm_trial_renderer(self, field_name):
        """A function ``render(source, model)`` that renders a text on the
        latest document it is written for; without one, checks its syntax."""
        sample = self._autocomm_document_model(field_name).search(
            self._autocomm_sample_domain(field_name), order="id desc", limit=1
        )
        if sample:
            render_mixin = self.env["mail.render.mixin"].sudo()

            def render(source, model):
                return render_mixin._render_template(
                    source, model, sample.ids, engine="qweb"
                )

            return render

        def check_syntax(source, _model):
            return self.env["ir.qweb"]._compile(
                lxml.html.fragment_fromstring(source, create_parent="div")
            )

        return check_syntax

    def _autocomm_check_placeholders_complete(self, text, field_name):
        """Refuse a text with a placeholder that is opened and never closed:
        the customer would read its braces."""
        fragment = incomplete_placeholder(text)
        if fragment:
            raise ValidationError(
                self.env._(
                    "The text for sending of %(holder)s has an incomplete "
                    "placeholder, “%(fragment)s”: a placeholder starts with "
                    "%(opening)s and ends with %(closing)s, such as %(example)s.",
                    holder=self._autocomm_text_holder_label(field_name),
                    fragment=fragment,
                    opening="{{",
                    closing="}}",
                    example=as_placeholder("object.name"),
                )
            )

    def _autocomm_placeholder_exists(self, expression, field_name):
        """Whether ``expression`` is Python whose ``object.…`` paths name
        fields (or methods) of the document."""
        try:
            tree = ast.parse(expression, mode="eval")
        except SyntaxError:
            return False
        moves = self._autocomm_document_model(field_name)
        for node in ast.walk(tree):
            path = attribute_path(node) if isinstance(node, ast.Attribute) else None
            if path and path[0] == "object" and not path_exists(moves, path[1:]):
                return False
        return True

    def _autocomm_render_error(self, text, error, render, field_name):
        """The error to show for a text that ``render`` failed on: the
        placeholder that fails alone, else the renderer's own reason."""
        for expression in placeholder_expressions(text):
            try:
                render(
                    placeholders_to_qweb(as_placeholder(expression)),
                    self._autocomm_document_model(field_name)._name,
                )
            except Exception:  # noqa: BLE001 - this is the placeholder to name
                _logger.info(
                    "Placeholder %s does not render", expression, exc_info=True
                )
                return self._autocomm_placeholder_error(expression, field_name)
        return self._autocomm_text_error(error, field_name)

    def _autocomm_placeholder_error(self, expression, field_name):
        """One sentence: which placeholder is wrong, which ones may be used."""
        if self._autocomm_may_use_any_placeholder():
            return ValidationError(
                self.env._(
                    "The placeholder %(placeholder)s in the text for sending of "
                    "%(holder)s is not valid; use a field of the "
                    "document, such as %(placeholders)s.",
                    placeholder=as_placeholder(expression),
                    holder=self._autocomm_text_holder_label(field_name),
                    placeholders=", ".join(
                        self._autocomm_suggested_placeholders(field_name)
                    ),
                )
            )
        return ValidationError(
            self.env._(
                "The placeholder %(placeholder)s in the text for sending of "
                "%(holder)s is not valid; you may use %(placeholders)s.",
                placeholder=as_placeholder(expression),
                holder=self._autocomm_text_holder_label(field_name),
                placeholders=", ".join(self._autocomm_allowed_placeholders(field_name)),
            )
        )

    @api.model
    def _autocomm_may_use_any_placeholder(self):
        return self.env.su or self.env.user.has_group("mail.group_mail_template_editor")

    def _autocomm_allowed_placeholders(self, field_name):
        """The placeholders Odoo lets anyone use, on the document."""
        moves = self._autocomm_document_model(field_name)
        return [
            as_placeholder(expression)
            for expression in moves.mail_allowed_qweb_expressions()
            if expression.split(".")[1:2] and expression.split(".")[1] in moves._fields
        ]

    def _autocomm_suggested_placeholders(self, field_name):
        """Placeholders worth knowing, for those who may use any field."""
        moves = self._autocomm_document_model(field_name)
        return [
            as_placeholder(expression)
            for expression in SUGGESTED_PLACEHOLDERS
            if path_exists(moves, expression.split(".")[1:])
        ]

    def _autocomm_text_error(self, error, field_name="autocomm_email_text"):
        """The renderer's reason, without its traceback."""
        while error.__cause__ or error.__context__:
            error = error.__cause__ or error.__context__
        reason = str(error).strip().splitlines()
        return ValidationError(
            self.env._(
                "The text for sending of %(holder)s cannot be rendered: %(error)s",
                holder=self._autocomm_text_holder_label(field_name),
                error=reason[0] if reason else type(error).__name__,
            )
        )

    def _autocomm_render_email_text(
        self, documents, lang, field_name="autocomm_email_text"
    ):
        """Render this holder's text ``field_name`` (or the documents' default
        text when it is empty) for ``documents``.

        :return: ``{document_id: Markup}``, all in language ``lang``.
        """
        self.ensure_one()
        render_mixin = self.env["mail.render.mixin"].with_context(lang=lang)
        text = self.with_context(lang=lang)[field_name]
        if is_html_empty(text):
            rendered = render_mixin._render_template(
                documents._autocomm_get_default_body_template(),
                documents._name,
                documents.ids,
                engine="qweb_view",
            )
        else:
            # A text saved before incomplete placeholders were refused.
            self.with_context(lang=lang)._autocomm_check_placeholders_complete(
                text, field_name
            )
            rendered = render_mixin._render_template(
                placeholders_to_qweb(text),
                documents._name,
                documents.ids,
                engine="qweb",
                options={"post_process": True},
            )
        return {doc_id: Markup(body) for doc_id, body in rendered.items()}
