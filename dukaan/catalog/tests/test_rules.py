"""Slug rules: what a share link may be, and what we suggest instead."""

import pytest
from django.core.exceptions import ValidationError

from dukaan.catalog import services
from dukaan.catalog.rules import parse_options, slug_problem
from dukaan.conftest import make_store


@pytest.mark.parametrize("slug", ["asha", "asha-kitchen", "shop24x7", "a1b"])
def test_good_slugs_pass(slug):
    assert slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug, reason",
    [
        ("ab", "3 to 40"),
        ("Asha", "lowercase"),
        ("-asha", "starting"),
        ("asha-", "ending"),
        ("asha--kitchen", "single hyphens"),
        ("asha kitchen", "lowercase"),
        ("a" * 41, "3 to 40"),
        ("admin", "reserved"),
        ("dashboard", "reserved"),
        ("ऑशा", "lowercase"),
    ],
)
def test_bad_slugs_are_refused_with_a_reason(slug, reason):
    assert reason in slug_problem(slug)


@pytest.mark.django_db
def test_a_taken_slug_is_refused_with_a_free_suggestion(store):
    with pytest.raises(services.SlugUnavailable) as error:
        make_store("+919812345699", "asha-store")
    assert error.value.suggestion == "asha-store-shop"
    assert "Try “asha-store-shop”" in " ".join(error.value.messages)


@pytest.mark.django_db
def test_a_reserved_slug_gets_a_suggestion_too():
    with pytest.raises(services.SlugUnavailable) as error:
        make_store("+919812345698", "admin")
    assert error.value.suggestion == "admin-shop"


def test_variant_options_are_parsed_from_what_a_merchant_types():
    assert parse_options("Size: M, Colour: red") == {"Size": "M", "Colour": "red"}
    assert parse_options("M / Red") == {"Option 1": "M", "Option 2": "Red"}
    assert parse_options("500 g") == {"Option": "500 g"}
    with pytest.raises(ValidationError):
        parse_options("Size: M, size: L")
    with pytest.raises(ValidationError):
        parse_options(" , ")
