"""A store link given up (the store took another, or was deleted) stays that store's for
RELEASED_SLUG_DAYS: no other store can take it, so its old links and printed QR codes never open
someone else's store, and the store itself can take it back."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dukaan.catalog.services import SlugUnavailable
from dukaan.conftest import change_store, make_store

pytestmark = pytest.mark.django_db


def rename(store, slug: str):
    return change_store(store, slug=slug)


def day(moment) -> str:
    moment = timezone.localtime(moment)
    return f"{moment.day} {moment:%B %Y}"


def test_a_slug_given_up_is_refused_to_another_store_saying_until_when_with_a_free_suggestion(
    store, other_store, settings
):
    settings.RELEASED_SLUG_DAYS = 365
    rename(store, "asha-kurtas")

    with pytest.raises(SlugUnavailable) as refused:
        rename(other_store, "asha-store")

    message = refused.value.message_dict["slug"][0]
    today, in_a_year = timezone.now(), timezone.now() + timedelta(days=365)
    assert message.startswith(f"This link was used by another store until {day(today)}")
    assert f"reserved for it until {day(in_a_year)}" in message
    assert refused.value.suggestion == "asha-store-shop"
    assert message.endswith("Try “asha-store-shop”.")
    other_store.refresh_from_db()
    assert other_store.slug == "bala-store"


def test_a_new_store_cannot_take_a_given_up_slug_either(store):
    rename(store, "asha-kurtas")
    with pytest.raises(SlugUnavailable, match="used by another store"):
        make_store("+919812345609", "asha-store")


def test_the_store_that_gave_up_a_slug_can_take_it_back_and_then_keeps_the_other(store, other_store):
    rename(store, "asha-kurtas")

    rename(store, "asha-store")

    store.refresh_from_db()
    assert store.slug == "asha-store"
    with pytest.raises(SlugUnavailable, match="used by another store"):
        rename(other_store, "asha-kurtas")


def test_renamed_twice_both_old_slugs_stay_reserved(store, other_store):
    rename(store, "asha-kurtas")
    rename(store, "asha-sarees")
    for slug in ("asha-store", "asha-kurtas"):
        with pytest.raises(SlugUnavailable, match="used by another store"):
            rename(other_store, slug)


def test_a_deleted_stores_slug_is_reserved(store, other_store):
    store.owner.delete()  # the account goes, and its store with it

    with pytest.raises(SlugUnavailable, match="used by another store"):
        rename(other_store, "asha-store")


def test_after_the_reservation_another_store_may_take_the_slug(store, other_store, settings):
    settings.RELEASED_SLUG_DAYS = 0  # reserved until the moment it was given up
    rename(store, "asha-kurtas")

    rename(other_store, "asha-store")

    other_store.refresh_from_db()
    assert other_store.slug == "asha-store"


def test_a_suggestion_is_never_a_reserved_slug(store, other_store):
    third = make_store("+919812345603", "asha-store-shop")
    rename(third, "chandra-store")  # "asha-store-shop" is now reserved for the third store
    rename(store, "asha-kurtas")

    with pytest.raises(SlugUnavailable) as refused:
        rename(other_store, "asha-store")

    assert refused.value.suggestion == "asha-store-store"


def test_the_dashboard_form_says_why_a_given_up_slug_is_refused(client, store, other_store):
    rename(store, "asha-kurtas")
    client.force_login(other_store.owner)

    response = client.post(
        reverse("dashboard:store_settings"),
        {"name": other_store.name, "slug": "asha-store", "whatsapp": other_store.whatsapp, "currency": "INR"},
    )

    assert response.status_code == 200
    assert "This link was used by another store until" in response.content.decode()
    other_store.refresh_from_db()
    assert other_store.slug == "bala-store"
