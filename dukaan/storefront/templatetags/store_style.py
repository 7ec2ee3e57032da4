"""{% store_style look %}: a store page's one inline stylesheet, the base (store.css) with the store's
theme and brand colour, allowed by the page's Content-Security-Policy by its hash."""

import functools

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from dukaan.catalog.themes import COLOUR, DEFAULT_THEME, THEMES, StoreLook, text_on
from dukaan.infra.security import allow_inline_style

register = template.Library()


@functools.lru_cache(maxsize=256)
def page_css(theme: str, brand: str) -> str:
    """store.css, then the theme's own CSS, then the brand colour and the text colour that reads on it."""
    theme = theme if theme in THEMES else DEFAULT_THEME
    brand = brand if COLOUR.fullmatch(brand) else THEMES[theme].colour
    return (
        render_to_string("storefront/store.css")
        + render_to_string(f"storefront/themes/{theme}.css")
        + f":root{{--brand:{brand};--on-brand:{text_on(brand)}}}\n"
    )


@register.simple_tag(takes_context=True)
def store_style(context, look: StoreLook | None) -> str:
    look = look or StoreLook()
    css = page_css(look.theme, look.brand)
    if "request" in context:  # a page rendered without one (none today) sends no policy of its own
        allow_inline_style(context["request"], css)
    # Ours alone (store.css, a theme's file, a colour matching COLOUR): nothing a store typed.
    return mark_safe(f"<style>{css}</style>")  # noqa: S308
