"""Bad input gets a problem+json answer that says what to fix, never a 500 or an HTML page."""

import pytest
from django.test import Client

from dukaan.accounts.models import ApiToken
from dukaan.accounts.services import revoke_api_token

from .conftest import ApiClient, problem, simple_product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer dk_not-a-real-token", "Bearer " + "x" * 200],
)
def test_no_valid_token_is_a_401_with_a_challenge(store, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = Client().get("/api/v1/me", headers=headers)
    body = problem(response, 401)
    assert body["type"] == "/api/problems/unauthorized"
    assert response["WWW-Authenticate"].startswith('Bearer realm="dukaan"')


def test_a_revoked_token_is_a_401(api, store):
    assert api.get("/me").status_code == 200
    revoke_api_token(token=ApiToken.objects.get(store=store))
    body = problem(api.get("/me"), 401)
    assert "revoked" in body["detail"]


@pytest.mark.parametrize(
    "raw, detail",
    [
        (b'{"name": "Kurtas"', "The body is not valid JSON"),
        (b"{'name': 'Kurtas'}", "The body is not valid JSON"),
        (b'{"name": NaN}', "The body is not valid JSON"),
        (b"\xff\xfe", "The body is not valid JSON"),
        (b'["Kurtas"]', "The body must be a JSON object"),
        (b"", "The request has no body"),
        (b"[" * 100_000 + b"]" * 100_000, None),
    ],
)
def test_malformed_json_is_a_400(api, raw, detail, settings):
    settings.API_MAX_BODY_BYTES = 1_000_000
    body = problem(api.post("/categories", raw), 400)
    assert body["type"] == "/api/problems/malformed-request"
    if detail:
        assert body["detail"].startswith(detail)


def test_json_must_be_sent_as_json(api):
    body = problem(
        api.post("/categories", "name=Kurtas", content_type="application/x-www-form-urlencoded"), 415
    )
    assert "application/json" in body["detail"]
    problem(api.post("/categories", '{"name": "x"}', content_type="text/plain"), 415)
    created = api.post("/categories", '{"name": "x"}', content_type="application/merge-patch+json")
    assert created.status_code == 201


def test_a_body_over_the_limit_is_a_413(api, settings):
    settings.API_MAX_BODY_BYTES = 100
    body = problem(api.post("/categories", {"name": "x" * 200}), 413)
    assert "100 bytes" in body["detail"]


def test_the_content_length_is_checked_before_the_body_is_read(api, settings):
    settings.API_MAX_BODY_BYTES = 100
    problem(api.post("/categories", {"name": "x"}, CONTENT_LENGTH="10000000"), 413)
    problem(api.post("/categories", {"name": "x"}, CONTENT_LENGTH="ten"), 400)


def test_an_upload_over_the_limit_is_a_413(api, store, settings):
    from dukaan.conftest import png_upload

    settings.API_MAX_UPLOAD_BYTES = 200
    product = simple_product(store)
    problem(api.upload(f"/products/{product.pk}/images", [png_upload(size=(400, 400))]), 413)


def test_unknown_paths_and_methods_are_problems(api):
    problem(api.get("/nothing/here"), 404)
    problem(api.get("/api/nothing"), 404)
    response = api.delete("/me")
    body = problem(response, 405)
    assert response["Allow"] == "GET"
    assert "DELETE" in body["detail"]


def test_an_id_that_is_not_a_number_or_too_large_is_refused_not_a_crash(api):
    problem(api.get("/products/abc"), 422)
    problem(api.get("/products/0"), 422)
    problem(api.get(f"/products/{2**64}"), 422)
    problem(api.post("/products", {"name": "x", "price": "1", "category_id": 2**64}), 422)


def test_nul_characters_are_refused_before_they_reach_the_database(api, store, anon):
    body = problem(api.post("/categories", {"name": "Ku\u0000rtas"}), 422)
    assert body["errors"][0]["field"] == "name"
    problem(api.get("/products", {"q": "a\x00b"}), 422)
    problem(anon.get(f"/stores/{store.slug}/search", {"q": "a\x00b"}), 422)


def test_validation_problems_name_each_field(api):
    body = problem(api.post("/products", {"price": "abc", "variants": [{"options": {}, "price": "1"}]}), 422)
    assert {(error["field"], error["location"]) for error in body["errors"]} == {
        ("name", "body"),
        ("price", "body"),
        ("variants[0].options", "body"),
    }
    assert body["detail"].startswith("name: Field required.")


def test_a_tampered_cursor_is_a_400(api, store):
    for index in range(3):
        simple_product(store, name=f"P{index}")
    cursor = api.get("/products", {"limit": 1}).json()["next_cursor"]
    for bad in (cursor[:-2] + "xx", "garbage", cursor.replace(":", ".", 1)):
        body = problem(api.get("/products", {"cursor": bad}), 400)
        assert body["type"] == "/api/problems/invalid-cursor"
    # A cursor from one list is not accepted by another.
    problem(api.get("/orders", {"cursor": cursor}), 400)


def test_problem_types_describe_themselves(anon):
    response = anon.get("/api/problems/rate-limited")
    assert response.status_code == 200
    assert response.json()["status"] == 429
    problem(anon.get("/api/problems/no-such-thing"), 404)


def test_a_crash_is_a_problem_too(api, monkeypatch):
    from dukaan.api import merchant

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(merchant, "_store", broken)
    body = problem(api.get("/store"), 500)
    assert "boom" not in body["detail"]


def test_the_error_bodies_follow_rfc_9457(api):
    body = problem(ApiClient().get("/me"), 401)
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    assert body["instance"] == "/api/v1/me"
