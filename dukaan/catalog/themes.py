"""A store's look: the themes it may choose, what a brand colour may be, the text colour that reads on
it, and the look as the storefront draws it (StoreLook, carried in the catalog snapshot).

The themes' CSS lives with the storefront's templates (storefront/themes/<key>.css); this module only
declares them, so the dashboard and the snapshot agree on the names without importing the storefront.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Theme:
    key: str
    label: str | Promise
    description: str | Promise
    colour: str  # the brand colour a store gets until it chooses its own


THEMES = {
    theme.key: theme
    for theme in (
        Theme(
            "classic", _("Classic"), _("Photos in a grid, a coloured bar on top: fits any shop."), "#12372a"
        ),
        Theme(
            "bold", _("Bold"), _("Large type, two big photos a row, round buttons: for fashion."), "#8c1d40"
        ),
        Theme(
            "minimal", _("Minimal"), _("White bar, serif headings, thin lines: lets photos speak."), "#1d2433"
        ),
        Theme(
            "kirana",
            _("Kirana"),
            _("A dense list with small photos: for groceries and long lists."),
            "#1a6b3c",
        ),
    )
}
DEFAULT_THEME = "classic"
THEME_CHOICES = [(theme.key, theme.label) for theme in THEMES.values()]

COLOUR = re.compile(r"#[0-9a-f]{6}")
# WCAG 2 level AA for normal text. White or black text on any colour reaches at least 4.58:1, so no
# brand colour is refused for its contrast: the text on it is chosen.
AA_CONTRAST = 4.5
ON_LIGHT, ON_DARK = "#000000", "#ffffff"
MAX_ANNOUNCEMENT = 120
_web_link = URLValidator(schemes=["https", "http"])


def parse_colour(text: str) -> str:
    """A brand colour as stored, "#rrggbb" in lower case ("" for the theme's own), or ValidationError."""
    colour = text.strip().lower()
    if colour and not COLOUR.fullmatch(colour):
        raise ValidationError(
            gettext(
                "“%(text)s” is not a colour. Write it as # and six hex digits, for example #12372a, or pick "
                "it with the colour box."
            )
            % {"text": text.strip()[:20]},
            code="not_a_colour",
        )
    return colour


def validate_colour(value: str) -> None:
    if parse_colour(value) != value:
        raise ValidationError(
            gettext("Write the colour as # and six hex digits in lower case, like #12372a.")
        )


def validate_announcement_link(value: str) -> None:
    """A web address (https://…) or a page of this site (/s/your-store/…); nothing else opens from it."""
    if value.startswith("/") and not value.startswith("//"):
        return
    try:
        _web_link(value)
    except ValidationError:
        raise ValidationError(
            gettext("Give a web address starting with https:// or a page of your store starting with /s/."),
            code="bad_link",
        ) from None


def _luminance(colour: str) -> float:
    """Relative luminance of "#rrggbb" (WCAG 2)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two "#rrggbb" colours, from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(colour: str) -> str:
    """White or black, whichever reads better on `colour` (at least AA_CONTRAST either way)."""
    return ON_DARK if contrast(colour, ON_DARK) >= contrast(colour, ON_LIGHT) else ON_LIGHT


@dataclass(frozen=True)
class StoreLook:
    """What a store's pages look like: its theme, brand colour ("" for the theme's), banner and
    announcement bar."""

    theme: str = DEFAULT_THEME
    colour: str = ""
    banner_url: str = ""
    banner_width: int = 0
    banner_height: int = 0
    announcement: str = ""
    announcement_link: str = ""

    @property
    def brand(self) -> str:
        return self.colour or THEMES.get(self.theme, THEMES[DEFAULT_THEME]).colour
