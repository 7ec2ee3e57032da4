"""Rate limits: per token on merchant endpoints, per address on public ones, 429 with Retry-After."""

from types import SimpleNamespace

import pytest
from django.test import Client

from dukaan.accounts.services import create_api_token

from .conftest import ApiClient, problem

pytestmark = pytest.mark.django_db


def test_a_token_over_its_limit_gets_429_with_retry_after(api, settings):
    settings.API_RATE_LIMIT_PER_TOKEN = 3
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/me")
    body = problem(response, 429)
    assert body["type"] == "/api/problems/rate-limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in body["detail"]


def test_each_token_has_its_own_limit(api, store, settings):
    settings.API_RATE_LIMIT_PER_TOKEN = 2
    api.get("/me"), api.get("/me")
    assert api.get("/me").status_code == 429
    other = ApiClient(create_api_token(store=store, name="Other")[1])
    assert other.get("/me").status_code == 200


def test_the_limit_resets_when_the_window_ends(api, settings, monkeypatch):
    from dukaan.infra import clients

    settings.API_RATE_LIMIT_PER_TOKEN = 1
    settings.API_RATE_LIMIT_WINDOW_SECONDS = 60
    clock = [60 * 16_667 + 20.0]  # 20 seconds into a window
    monkeypatch.setattr(clients, "time", SimpleNamespace(time=lambda: clock[0]))
    assert api.get("/me").status_code == 200
    response = api.get("/me")
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    clock[0] += 40
    assert api.get("/me").status_code == 200


def test_public_endpoints_are_limited_per_address(store, settings):
    settings.API_RATE_LIMIT_PER_IP = 2
    here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    url = f"/api/v1/stores/{store.slug}"
    assert [here.get(url).status_code for _ in range(2)] == [200, 200]
    response = here.get(url)
    problem(response, 429)
    assert response["Retry-After"]
    assert there.get(url).status_code == 200


def test_guessing_tokens_is_limited_per_address(store, settings):
    settings.API_RATE_LIMIT_PER_IP = 2
    guesser = Client(REMOTE_ADDR="10.0.0.9")
    headers = {"Authorization": "Bearer dk_guess"}
    assert [guesser.get("/api/v1/me", headers=headers).status_code for _ in range(2)] == [401, 401]
    response = guesser.get("/api/v1/me", headers=headers)
    problem(response, 429)
    assert response["Retry-After"]


def test_zero_means_no_limit(api, settings):
    settings.API_RATE_LIMIT_PER_TOKEN = 0
    assert {api.get("/me").status_code for _ in range(20)} == {200}
