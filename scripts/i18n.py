"""Message catalog chores (run with the project's virtualenv python).

    python scripts/i18n.py extract   # code -> locale/messages.pot -> each messages.po
    python scripts/i18n.py hant      # fill zh_Hant entries from zh_Hans with OpenCC
    python scripts/i18n.py hant --all  # ... refilling every entry, not only missing ones
    python scripts/i18n.py compile   # messages.po -> messages.mo (the install step runs this)
    python scripts/i18n.py check     # list untranslated Chinese entries; exit 1 if any

English needs no translations: the message ids are English.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
POT = LOCALE / "messages.pot"
LANGUAGES = ("zh_Hans", "zh_Hant", "en")
CHINESE = ("zh_Hans", "zh_Hant")


def _po(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "messages.po"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def extract() -> None:
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-o",
        str(POT),
        "--no-location",
        # Handlers call a Translator: tr("…") and tr.plural("…", "…", n).
        "--keyword=tr",
        "--keyword=plural:1,2",
        "--sort-output",
        "--project=civic-volunteer-bot",
        "--copyright-holder=civic-volunteer-bot contributors",
        ".",
    )
    for language in LANGUAGES:
        if _po(language).exists():
            _pybabel(
                "update",
                "-i",
                str(POT),
                "-d",
                str(LOCALE),
                "-l",
                language,
                "--no-wrap",
                "--ignore-obsolete",
                # A guess from a similar old message reads as a wrong translation.
                "--no-fuzzy-matching",
            )
        else:
            _pybabel("init", "-i", str(POT), "-d", str(LOCALE), "-l", language, "--no-wrap")


def hant(refill_all: bool = False) -> None:
    """Traditional from Simplified where zh_Hant has nothing (or only a fuzzy guess)."""
    import opencc

    # Taiwan's standard characters (為, 裡), which Hong Kong readers share too.
    converter = opencc.OpenCC("s2tw")
    with _po("zh_Hans").open("rb") as handle:
        simplified = read_po(handle)
    with _po("zh_Hant").open("rb") as handle:
        traditional = read_po(handle)
    filled = 0
    for message in traditional:
        if not message.id:
            continue
        source = simplified.get(message.id)
        if source is None or not source.string or source.fuzzy:
            continue
        if _translated(message) and not message.fuzzy and not refill_all:
            continue
        if isinstance(source.string, tuple):
            message.string = tuple(converter.convert(s) for s in source.string)
        else:
            message.string = converter.convert(source.string)
        message.flags.discard("fuzzy")
        filled += 1
    with _po("zh_Hant").open("wb") as handle:
        write_po(handle, traditional, width=0)
    print(f"zh_Hant: {filled} entries filled from zh_Hans")


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def compile_all() -> None:
    from babel.messages.mofile import write_mo

    for language in LANGUAGES:
        with _po(language).open("rb") as handle:
            catalog = read_po(handle)
        errors = [(m.id, e) for m, errs in catalog.check() for e in errs]
        if errors:
            sys.exit(f"{_po(language)}: {errors}")
        with _po(language).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def check() -> int:
    missing = 0
    for language in CHINESE:
        with _po(language).open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy or not _translated(message):
                missing += 1
                print(f"{language}: untranslated: {message.id!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    actions = {"extract": extract, "hant": hant, "compile": compile_all, "check": check}
    if command not in actions:
        sys.exit(__doc__)
    if command == "hant":
        sys.exit(hant(refill_all="--all" in sys.argv[2:]) or 0)
    sys.exit(actions[command]() or 0)
