import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
MODULE = "flexi_autocomm_stock"
LANGUAGES = ("cs", "sk")
# What a translation must keep as it is: %(name)s placeholders, {{ ... }}
# template placeholders and HTML tags.
PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|</?\w+[^>]*>", re.S)


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The Czech and Slovak translations cover what the addon shows to users,
    read the way ``--i18n-export`` reads them (see flexi_autocomm's test)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reader = TranslationModuleReader(cls.env.cr, modules=[MODULE])
        cls.terms = {source for _module, _type, _name, _res_id, source, *_ in reader}
        cls.pot = polib.pofile(str(I18N_DIR / f"{MODULE}.pot"))
        cls.catalogs = {
            lang: polib.pofile(str(I18N_DIR / f"{lang}.po")) for lang in LANGUAGES
        }

    def test_pot_is_up_to_date(self):
        missing = self.terms - {entry.msgid for entry in self.pot}
        self.assertFalse(
            missing,
            f"{MODULE}.pot lacks these terms; re-export it (--i18n-export, see "
            "README.md) and translate them:\n" + "\n".join(sorted(missing)),
        )

    def test_every_term_translated(self):
        for lang, catalog in self.catalogs.items():
            translated = {
                entry.msgid
                for entry in catalog
                if entry.msgstr.strip() and not entry.fuzzy and not entry.obsolete
            }
            with self.subTest(lang=lang):
                self.assertFalse(
                    self.terms - translated,
                    f"{lang}.po has no translation for:\n"
                    + "\n".join(sorted(self.terms - translated)),
                )

    def test_no_fuzzy_or_untranslated_entries(self):
        for lang, catalog in self.catalogs.items():
            with self.subTest(lang=lang):
                self.assertFalse([e.msgid for e in catalog.fuzzy_entries()])
                self.assertFalse([e.msgid for e in catalog.untranslated_entries()])

    def test_placeholders_and_markup_kept(self):
        for lang, catalog in self.catalogs.items():
            for entry in catalog.translated_entries():
                with self.subTest(lang=lang, msgid=entry.msgid):
                    self.assertEqual(
                        sorted(PLACEHOLDER_RE.findall(entry.msgstr)),
                        sorted(PLACEHOLDER_RE.findall(entry.msgid)),
                    )

    def test_czech_ui_reads_czech(self):
        """Loaded into a database, the translation reaches the user's screen."""
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.env["ir.module.module"].search([("name", "=", MODULE)])._load_module_terms(
            [MODULE], ["cs_CZ"], overwrite=True
        )
        partners = self.env["res.partner"].with_context(lang="cs_CZ")
        self.assertEqual(
            partners._fields["autocomm_send_stock"]._description_string(partners.env),
            "Odesílat skladové doklady",
        )
        pickings = self.env["stock.picking"].with_context(lang="cs_CZ")
        self.assertEqual(pickings._autocomm_get_document_title(), "Dodací list")
