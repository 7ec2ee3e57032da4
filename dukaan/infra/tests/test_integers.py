"""Whole numbers from requests: only ASCII digits within a BIGINT name a row."""

import pytest
from django.urls import NoReverseMatch, resolve, reverse
from django.urls.exceptions import Resolver404

from dukaan.infra.integers import MAX_ID, request_ids, request_int


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("42", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("१२", None),  # Devanagari digits pass str.isdigit(), yet are not an id
        ("", None),
        (None, None),
    ],
)
def test_only_ascii_digits_within_a_bigint_are_an_id(raw, expected):
    assert request_int(raw) == expected


def test_a_list_of_ids_keeps_the_usable_ones_in_order():
    assert request_ids(["3", str(2**64), "x", "1"]) == [3, 1]


def test_a_path_id_beyond_a_bigint_matches_no_url():
    assert resolve(f"/dashboard/products/{MAX_ID}/").kwargs == {"pk": MAX_ID}
    with pytest.raises(Resolver404):
        resolve(f"/dashboard/products/{MAX_ID + 1}/")
    with pytest.raises(NoReverseMatch):
        reverse("dashboard:product_edit", args=[-1])
