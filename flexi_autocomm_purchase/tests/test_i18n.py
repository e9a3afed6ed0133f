import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDON = "flexi_autocomm_purchase"
I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
LANGUAGES = ("cs", "sk")
# What a translation must keep as it is: %(name)s placeholders, {{ ... }}
# template placeholders and HTML tags.
PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|</?\w+[^>]*>", re.S)


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The Czech and Slovak translations cover what the addon shows to users
    (read as ``--i18n-export`` reads them, see flexi_autocomm's test_i18n)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reader = TranslationModuleReader(cls.env.cr, modules=[ADDON])
        cls.terms = {source for _module, _type, _name, _res_id, source, *_ in reader}
        cls.pot = polib.pofile(str(I18N_DIR / f"{ADDON}.pot"))
        cls.catalogs = {
            lang: polib.pofile(str(I18N_DIR / f"{lang}.po")) for lang in LANGUAGES
        }

    def test_pot_is_up_to_date(self):
        missing = self.terms - {entry.msgid for entry in self.pot}
        self.assertFalse(
            missing,
            f"{ADDON}.pot lacks these terms; re-export it (--i18n-export, see "
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
                self.assertFalse([entry.msgid for entry in catalog.fuzzy_entries()])
                self.assertFalse(
                    [entry.msgid for entry in catalog.untranslated_entries()]
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
        """The contact flags in the words of FlexiBee's contact."""
        expected = {
            "cs": {
                "Send RFQs": "Odesílat poptávky",
                "Send orders": "Odesílat objednávky",
            },
            "sk": {
                "Send RFQs": "Odosielať dopyty",
                "Send orders": "Odosielať objednávky",
            },
        }
        for lang, words in expected.items():
            translations = {entry.msgid: entry.msgstr for entry in self.catalogs[lang]}
            for msgid, msgstr in words.items():
                with self.subTest(lang=lang, msgid=msgid):
                    self.assertEqual(translations.get(msgid), msgstr)
