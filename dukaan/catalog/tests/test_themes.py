"""The rules of a store's look: a brand colour is #rrggbb or nothing, and the text on any colour reads
at WCAG AA, so no colour needs refusing for its contrast."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from dukaan.catalog.themes import AA_CONTRAST, THEMES, StoreLook, contrast, parse_colour, text_on


def test_the_text_on_every_colour_reads_at_wcag_aa():
    steps = range(0, 256, 15)  # 18³ colours across the cube, its corners and middle greys included
    worst = min(
        contrast(colour, text_on(colour))
        for colour in (f"#{r:02x}{g:02x}{b:02x}" for r, g, b in itertools.product(steps, repeat=3))
    )
    assert worst >= AA_CONTRAST


def test_contrast_matches_wcags_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert text_on("#ffd700") == "#000000" and text_on("#12372a") == "#ffffff"


def test_a_colour_is_kept_in_lower_case_and_empty_means_the_themes_own():
    assert parse_colour(" #0B3D91 ") == "#0b3d91"
    assert parse_colour("") == ""
    assert StoreLook(theme="kirana").brand == THEMES["kirana"].colour
    assert StoreLook(theme="kirana", colour="#0b3d91").brand == "#0b3d91"


@pytest.mark.parametrize("text", ["red", "#fff", "#12345g", "12372a", "#12372a;}", "var(--x)"])
def test_anything_else_is_not_a_colour(text):
    with pytest.raises(ValidationError, match="is not a colour"):
        parse_colour(text)


def test_each_themes_own_colour_reads_on_its_buttons():
    assert all(contrast(theme.colour, text_on(theme.colour)) >= AA_CONTRAST for theme in THEMES.values())
