"""Translations outside a request: SMS and email texts in the contact's language.

Web pages use Flask-Babel; both read the same catalogs in shared/translations
(English msgids, French translations), so a phrase is translated once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def pick_language(value: str | None) -> str:
    """A supported language code from whatever the caller has ("fr-CA", "EN")."""
    code = (value or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [pick_language(lang)])


def t(lang: str, msgid: str, **params: Any) -> str:
    """Translate msgid into lang and fill its {placeholders}."""
    text = catalog(lang).gettext(msgid)
    return text.format(**params) if params else text


def tn(lang: str, singular: str, plural: str, n: int, **params: Any) -> str:
    text = catalog(lang).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def format_kg(value: float | None, lang: str) -> str:
    """500 -> "500 kg"; 1234.5 -> "1 234,5 kg" in French, "1,234.5 kg" in English."""
    if value is None:
        return "?"
    rounded = round(value, 1)
    text = f"{rounded:,.1f}".removesuffix(".0")
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return f"{text} kg"
