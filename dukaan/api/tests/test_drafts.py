"""GET /checkouts/unfinished: the store's unfinished checkouts, as the dashboard lists them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.orders.models import CheckoutDraft
from dukaan.orders.services import save_draft

from .conftest import ApiClient, problem

pytestmark = pytest.mark.django_db

LINES: dict[str, list[object]] = {"7:0": [2, "250.00", "Steel tiffin"], "8:3": [1, None, "Cotton kurta (M)"]}


def draft(store, phone: str, *, hours: float = 2, name: str = "Meera") -> CheckoutDraft:
    made = save_draft(store=store, token="", phone=phone, name=name, lines=LINES)
    CheckoutDraft.objects.filter(pk=made.pk).update(updated_at=timezone.now() - timedelta(hours=hours))
    return made


def test_the_list_shows_quiet_drafts_newest_first_with_lines_value_and_cart_link(api, store, settings):
    settings.SITE_URL = "https://dukaan.example"
    older = draft(store, "98123 45601", hours=5)
    newer = draft(store, "98123 45602", hours=2)
    draft(store, "98123 45603", hours=0.5)  # not quiet for an hour yet

    body = api.get("/checkouts/unfinished").json()

    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    first = body["items"][0]
    assert (first["phone"], first["name"], first["pin_code"]) == ("+919812345602", "Meera", "")
    assert first["lines"] == [
        {"product_id": 7, "variant_id": None, "quantity": 2, "name": "Steel tiffin", "seen_price": "250.00"},
        {"product_id": 8, "variant_id": 3, "quantity": 1, "name": "Cotton kurta (M)", "seen_price": None},
    ]
    assert first["value"] == "500.00"
    assert first["cart_url"] == f"https://dukaan.example/s/{store.slug}/cart/r/{newer.token}/"
    assert body["next_cursor"] is None


def test_pages_by_cursor_and_another_stores_drafts_never_show(api, store, other_store):
    for index in range(3):
        draft(store, f"98123 4560{index}", hours=2 + index)
    draft(other_store, "98123 45699", name="Theirs")

    first = api.get("/checkouts/unfinished", {"limit": 2}).json()
    second = api.get("/checkouts/unfinished", {"limit": 2, "cursor": first["next_cursor"]}).json()

    phones = [item["phone"] for item in first["items"] + second["items"]]
    assert phones == ["+919812345600", "+919812345601", "+919812345602"]
    assert second["next_cursor"] is None


def test_a_token_without_orders_read_is_refused(store):
    _, raw = create_api_token(store=store, name="Catalog only", scopes=[Scope.CATALOG_READ])

    assert problem(ApiClient(raw).get("/checkouts/unfinished"), 403)["required_scope"] == "orders:read"
