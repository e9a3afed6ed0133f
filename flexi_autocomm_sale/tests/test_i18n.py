import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
LANGUAGES = ("cs", "sk")
# What a translation must keep as it is: %(name)s placeholders, {{ ... }}
# template placeholders and HTML tags.
PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|</?\w+[^>]*>", re.S)


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The Czech and Slovak translations of flexi_autocomm_sale cover what the
    code shows to users.

    The terms are read the way ``--i18n-export`` reads them, from the code and
    from this database, so a label added without a translation (or without
    re-exporting ``flexi_autocomm_sale.pot``) fails here.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reader = TranslationModuleReader(cls.env.cr, modules=["flexi_autocomm_sale"])
        cls.terms = {source for _module, _type, _name, _res_id, source, *_ in reader}
        cls.pot = polib.pofile(str(I18N_DIR / "flexi_autocomm_sale.pot"))
        cls.catalogs = {
            lang: polib.pofile(str(I18N_DIR / f"{lang}.po")) for lang in LANGUAGES
        }

    def test_pot_is_up_to_date(self):
        missing = self.terms - {entry.msgid for entry in self.pot}
        self.assertFalse(
            missing,
            "flexi_autocomm_sale.pot lacks these terms; re-export it "
            "(--i18n-export, see README.md) and translate them:\n"
            + "\n".join(sorted(missing)),
        )

    def test_every_term_translated(self):
        for lang, catalog in self.catalogs.items():
            translated = {
                entry.msgid
                for entry in catalog
                if entry.msgstr.strip() and not entry.fuzzy and not entry.obsolete
            }
            missing = self.terms - translated
            with self.subTest(lang=lang):
                self.assertFalse(
                    missing,
                    f"{lang}.po has no translation for:\n" + "\n".join(sorted(missing)),
                )

    def test_no_fuzzy_or_untranslated_entries(self):
        for lang, catalog in self.catalogs.items():
            with self.subTest(lang=lang):
                self.assertFalse(
                    [entry.msgid for entry in catalog.fuzzy_entries()],
                    f"{lang}.po has fuzzy entries",
                )
                self.assertFalse(
                    [entry.msgid for entry in catalog.untranslated_entries()],
                    f"{lang}.po has untranslated entries",
                )

    def test_placeholders_and_markup_kept(self):
        for lang, catalog in self.catalogs.items():
            for entry in catalog.translated_entries():
                with self.subTest(lang=lang, msgid=entry.msgid):
                    self.assertEqual(
                        sorted(PLACEHOLDER_RE.findall(entry.msgstr)),
                        sorted(PLACEHOLDER_RE.findall(entry.msgid)),
                    )

    def test_flexibee_vocabulary(self):
        """The words Czech and Slovak FlexiBee users know."""
        expected = {
            "cs": {
                "Send quotations": "Odesílat nabídky",
                "Send orders": "Odesílat objednávky",
            },
            "sk": {
                "Send quotations": "Odosielať ponuky",
                "Send orders": "Odosielať objednávky",
            },
        }
        for lang, words in expected.items():
            translations = {entry.msgid: entry.msgstr for entry in self.catalogs[lang]}
            for msgid, msgstr in words.items():
                with self.subTest(lang=lang, msgid=msgid):
                    self.assertEqual(translations.get(msgid), msgstr)

    def test_czech_ui_reads_czech(self):
        """Loaded into a database, the translation reaches the user's screen."""
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.env["ir.module.module"].search(
            [("name", "=", "flexi_autocomm_sale")]
        )._load_module_terms(["flexi_autocomm_sale"], ["cs_CZ"], overwrite=True)
        partner_model = self.env["res.partner"].with_context(lang="cs_CZ")
        self.assertEqual(
            partner_model._fields["autocomm_send_quotations"]._description_string(
                partner_model.env
            ),
            "Odesílat nabídky",
        )
        self.assertEqual(
            self.env["sale.order"].with_context(lang="cs_CZ").env._("Quotation"),
            "Nabídka",
        )
