"""Merchants make API tokens in the dashboard: shown once, stored hashed, revocable."""

import hashlib

import pytest
from django.urls import reverse

from dukaan.accounts.models import ApiToken
from dukaan.accounts.services import authenticate_api_token

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(me, store):
    page = me.post(
        reverse("dashboard:api_tokens"), {"name": "POS", "scopes": ["catalog:read"]}
    ).content.decode()
    raw = page.split('<p class="share"><code>')[1].split("</code>")[0]
    assert raw.startswith("dk_") and len(raw) > 40
    token = ApiToken.objects.get(store=store)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values().get())
    assert authenticate_api_token(raw).store == store
    assert raw not in me.get(reverse("dashboard:api_tokens")).content.decode()


def test_a_revoked_token_no_longer_authenticates(me, store):
    page = me.post(
        reverse("dashboard:api_tokens"), {"name": "Sync", "scopes": ["orders:read"]}
    ).content.decode()
    raw = page.split('<p class="share"><code>')[1].split("</code>")[0]
    token = ApiToken.objects.get(store=store)
    me.post(reverse("dashboard:api_token_revoke", args=[token.pk]))
    assert authenticate_api_token(raw) is None
    assert "Revoked" in me.get(reverse("dashboard:api_tokens")).content.decode()


def test_a_token_has_the_scopes_ticked_and_the_list_shows_them(me, store):
    page = me.get(reverse("dashboard:api_tokens")).content.decode()
    assert 'value="store:write"' in page and "UPI ID" in page
    me.post(
        reverse("dashboard:api_tokens"), {"name": "Stock sync", "scopes": ["catalog:read", "catalog:write"]}
    )
    assert ApiToken.objects.get(store=store).scopes == ["catalog:read", "catalog:write"]
    listed = me.get(reverse("dashboard:api_tokens")).content.decode().split("<tbody>")[1]
    assert "<code" in listed and "catalog:write" in listed and "store:write" not in listed


def test_a_token_needs_at_least_one_scope(me, store):
    page = me.post(reverse("dashboard:api_tokens"), {"name": "POS"}).content.decode()
    assert "Tick at least one thing the token may do." in page
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(me, store):
    assert "required" in me.post(reverse("dashboard:api_tokens"), {"name": "  "}).content.decode()
    assert not ApiToken.objects.exists()


def test_a_store_at_its_token_limit_is_told_to_revoke_one(me, store):
    from dukaan.accounts.services import MAX_ACTIVE_API_TOKENS, create_api_token

    for number in range(MAX_ACTIVE_API_TOKENS):
        create_api_token(store=store, name=f"Till {number}")
    answer = me.post(reverse("dashboard:api_tokens"), {"name": "One too many", "scopes": ["catalog:read"]})
    assert answer.status_code == 200
    assert "at most" in answer.content.decode() and store.api_tokens.count() == MAX_ACTIVE_API_TOKENS
