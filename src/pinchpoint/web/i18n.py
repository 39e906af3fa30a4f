"""English and Japanese: gettext catalogs (``locale/<lang>/LC_MESSAGES/messages.po``) read with Babel when first
used, so no compiled ``.mo`` file has to be built or kept in step."""

from __future__ import annotations

import gettext
from functools import lru_cache
from importlib.resources import files
from io import BytesIO

LANGUAGES: dict[str, str] = {"en": "English", "ja": "日本語"}
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=8)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE or lang not in LANGUAGES:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    po = files("pinchpoint.web") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def pick_language(chosen: str | None, accept_language: str | None) -> str:
    """The language the user chose (session), else the first supported one their browser asks for."""
    if chosen in LANGUAGES:
        return str(chosen)
    for part in (accept_language or "").split(",")[:20]:
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
