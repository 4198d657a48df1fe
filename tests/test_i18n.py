"""The message catalogs: complete in Chinese, placeholders intact in every language."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.i18n import SUPPORTED_LANGUAGES, Catalogs, language_from_client

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _catalog(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _template_ids() -> set[str]:
    with (LOCALE / "messages.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogs_translate_every_message(language):
    catalog = _catalog(language)
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert untranslated == []
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id} == _template_ids()


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_translations_keep_the_placeholders(language):
    for message in _catalog(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if string:
                assert set(PLACEHOLDER.findall(string)) == expected, (message.id, string)


def test_template_is_up_to_date_with_the_code():
    """Every string marked in the code is in the template: run `scripts/i18n.py extract`."""
    keywords = {"_": None, "N_": None, "tr": None, "plural": (1, 2)}
    root = LOCALE.parent
    marked = set()
    for folder in ("bot", "handlers", "services", "scheduler"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            marked.add(message if isinstance(message, str) else message[0])
    assert marked == _template_ids()


def test_languages_render(catalogs: Catalogs):
    assert catalogs.translator("zh_Hans")("Weekends") == "周末"
    assert catalogs.translator("zh_Hant")("Weekends") == "週末"
    assert catalogs.translator("en")("Weekends") == "Weekends"
    assert catalogs.translator("xx")("Weekends") == "周末"  # unknown: the default language
    assert (
        catalogs.translator("zh_Hans").plural("{count} member", "{count} members", 3)
        == "{count} 名队员"
    )


def test_client_language_codes():
    assert language_from_client("en-GB") == "en"
    assert language_from_client("zh-HK") == "zh_Hant"
    assert language_from_client("zh") == "zh_Hans"
    assert language_from_client("de") == "zh_Hans"
    assert language_from_client("de", default="en") == "en"
