"""Participants' names in the active language (docs/i18n.md).

Countries: the ISO 3166-1 names pycountry ships translated (its gettext catalogues, the common name
where ISO has one: "Corée du Sud", not "Corée, République de"). Organisations (EU, NATO): our own
catalogue. English, and any code pycountry does not know, keep the stored name.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

# Participants that are not countries: their names are translated in our catalogue.
ORGANISATION_NAMES = {
    "EU": gettext_noop("EU institutions (Commission and Council)"),
    "NATO": gettext_noop("North Atlantic Treaty Organization"),
}


@cache
def _iso_catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


@cache
def _iso_english(code: str) -> str | None:
    country = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    if country is None:
        return None
    return str(getattr(country, "common_name", None) or country.name)


def localized_name(code: str, stored: str) -> str:
    """The name of participant `code` in the active language; `stored` in English or when unknown."""
    language = (get_language() or "en").split("-")[0]
    if language == "en":
        return stored
    if code in ORGANISATION_NAMES:
        return _(ORGANISATION_NAMES[code])
    english = _iso_english(code)
    if english is None:
        return stored
    return _iso_catalogue(language).gettext(english)
