"""Languages: which one a buyer's page is in, and texts made once for every language.

A store's pages are in the store's language (`Store.language`) unless the buyer picked another, which
the language cookie remembers (settings.LANGUAGE_COOKIE_NAME, the cookie Django's LocaleMiddleware
reads). Every cache that keeps a store page keys it by that language (docs/i18n.md#caches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

CODES = tuple(code for code, _ in settings.LANGUAGES)


def picked_language(cookies: Mapping[str, str]) -> str:
    """The language the buyer picked (the language cookie), when it is one we have; else ""."""
    picked = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return picked if picked in CODES else ""


def page_language(cookies: Mapping[str, str], default: str) -> str:
    """The language of a store page: the buyer's pick, else the store's (`default`)."""
    return picked_language(cookies) or (default if default in CODES else settings.LANGUAGE_CODE)


def speak_to_buyer(cookies: Mapping[str, str], store_language: str) -> None:
    """Answer a buyer in their language: the one they picked, else the store's."""
    translation.activate(page_language(cookies, store_language))


@dataclass(frozen=True)
class InEachLanguage:
    """A text made in every language ahead of time (e.g. for a cached snapshot, which every buyer
    shares whatever their language); shown in the language active when it is rendered."""

    texts: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        texts = dict(self.texts)
        return texts.get(translation.get_language() or "", texts.get(settings.LANGUAGE_CODE, ""))

    def __bool__(self) -> bool:
        return any(text for _, text in self.texts)


def in_each_language(make: Callable[[], str]) -> InEachLanguage:
    texts = []
    for code in CODES:
        with translation.override(code):
            texts.append((code, make()))
    return InEachLanguage(tuple(texts))
