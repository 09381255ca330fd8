"""Country names in the visitor's language, from pycountry's ISO 3166-1 catalogues.

The database keeps one English name per country (extracts and citations use it);
the other languages come from the maintained translations that ship with pycountry
(Debian's iso-codes), looked up by the ISO code, so no curator has to keep them.
"""

import gettext
import unicodedata
from functools import cache

import pycountry
from django.conf import settings
from django.utils import translation


@cache
def _catalogue(language: str) -> gettext.NullTranslations | None:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except FileNotFoundError:
        return None


def country_name(code: str, english: str) -> str:
    """The country ``code``'s name in the active language; ``english`` where none is known."""
    language = translation.get_language()
    if not language or language == settings.LANGUAGE_CODE:
        return english
    record = pycountry.countries.get(alpha_2=code)
    catalogue = _catalogue(language)
    if record is None or catalogue is None:
        return english
    # The everyday name ("South Korea") where the standard has one, else the official one.
    name = getattr(record, "common_name", None) or record.name
    return catalogue.gettext(name)


def sort_key(name: str) -> str:
    """Alphabetical order in any of the shipped languages: accents do not move a name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
