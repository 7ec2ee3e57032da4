"""A token does only what its scopes allow, and a change of the store's payment details through the API
is written to the store's audit trail and texted to the owner's own phone, once."""

import pytest

from dukaan.accounts.models import AuditEntry
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.events.local import run_pending
from dukaan.events.models import ConsumerOffset, ProcessedEvent

from .conftest import ApiClient, problem, simple_product

pytestmark = pytest.mark.django_db


def sms_to(settings, phone: str) -> list[str]:
    path = settings.SMS_CONSOLE_LOG
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in lines if f"to={phone} " in line]


def client_with(store, *scopes, name="stock sync") -> ApiClient:
    return ApiClient(create_api_token(store=store, name=name, scopes=scopes)[1])


def test_a_catalog_read_token_cannot_change_the_store_and_is_told_which_scope_it_needs(store, settings):
    api = client_with(store, Scope.CATALOG_READ)
    body = problem(api.patch("/store", {"upi_id": "thief@okaxis", "whatsapp": "98123 45699"}), 403)
    assert body["type"] == "/api/problems/insufficient-scope"
    assert body["required_scope"] == "store:write"
    assert "store:write" in body["detail"] and "new token" in body["detail"]
    store.refresh_from_db()
    assert store.upi_id == "" and store.whatsapp == "+919812345601"
    run_pending()
    assert not AuditEntry.objects.exists() and not sms_to(settings, store.owner.phone)


def test_a_read_token_reads_but_does_not_write(store):
    api = client_with(store, Scope.CATALOG_READ)
    simple_product(store)
    assert api.get("/products").status_code == 200
    assert problem(api.post("/products", {"name": "Cap", "price": "10"}), 403)["required_scope"] == (
        "catalog:write"
    )
    assert problem(api.get("/orders"), 403)["required_scope"] == "orders:read"
    assert store.products.count() == 1


def test_me_shows_the_tokens_scopes(store):
    api = client_with(store, Scope.ORDERS_READ, Scope.CATALOG_READ)
    assert api.get("/me").json()["token"]["scopes"] == ["catalog:read", "orders:read"]


def test_a_store_write_token_changes_the_upi_id_and_the_owner_is_texted_once(store, settings):
    api = client_with(store, Scope.STORE_WRITE)
    token = store.api_tokens.get()
    assert api.patch("/store", {"upi_id": "asha.new@okicici"}).status_code == 200
    store.refresh_from_db()
    assert store.upi_id == "asha.new@okicici"

    entry = AuditEntry.objects.get(store=store)
    assert (entry.field, entry.old_value, entry.new_value) == ("upi_id", "(none)", "…cici")
    assert (entry.actor_kind, entry.actor, entry.actor_detail) == ("token", "stock sync", token.prefix)

    run_pending()
    texts = sms_to(settings, store.owner.phone)
    assert len(texts) == 1
    assert "UPI ID" in texts[0] and "…cici" in texts[0] and "stock sync" in texts[0]
    assert "asha.new@okicici" not in texts[0]

    # Redelivered, and even replayed with the consumer's memory wiped: no second SMS.
    ConsumerOffset.objects.filter(group="notifier").update(position=0)
    ProcessedEvent.objects.filter(group="notifier").delete()
    run_pending()
    assert len(sms_to(settings, store.owner.phone)) == 1


def test_a_new_whatsapp_number_texts_the_owners_own_phone_not_the_new_number(store, settings):
    api = client_with(store, Scope.STORE_WRITE)
    assert api.patch("/store", {"whatsapp": "98123 45699"}).status_code == 200
    run_pending()
    (text,) = sms_to(settings, store.owner.phone)
    assert "WhatsApp number" in text and "…5699" in text
    assert not sms_to(settings, "+919812345699")
    assert AuditEntry.objects.get(store=store).old_value == "…5601"


def test_a_change_of_name_only_is_logged_but_texts_no_one(store, settings):
    api = client_with(store, Scope.STORE_WRITE)
    assert api.patch("/store", {"name": "Asha's Kurtas"}).status_code == 200
    run_pending()
    entry = AuditEntry.objects.get()
    assert (entry.field, entry.new_value) == ("name", "Asha's Kurtas")
    assert not sms_to(settings, store.owner.phone)


def test_tokens_made_without_naming_scopes_get_everything_but_the_store_settings(store):
    token, _raw = create_api_token(store=store, name="Old style")
    assert token.scopes == ["catalog:read", "catalog:write", "orders:read", "orders:write"]


def test_an_unknown_scope_is_refused_with_the_list_of_scopes(store):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="store:write"):
        create_api_token(store=store, name="POS", scopes=["admin"])


def test_the_openapi_document_names_each_operations_scope(client):
    schema = client.get("/api/v1/openapi.json").json()
    patch_store = schema["paths"]["/api/v1/store"]["patch"]
    assert patch_store["security"] == [{"TokenAuth": ["store:write"]}]
    assert "Token scope: `store:write`." in patch_store["description"]
    assert "403" in patch_store["responses"]
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"TokenAuth": []}]
    assert all(f"`{scope}`" in schema["info"]["description"] for scope in Scope)
