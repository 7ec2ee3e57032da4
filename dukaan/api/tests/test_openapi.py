"""The OpenAPI contract: checked in at docs/openapi.json, served live, and shown at /api/docs."""

import json

import pytest
from django.core.management import call_command

from dukaan.api.openapi import CHECKED_IN, openapi_text


def test_the_checked_in_schema_is_the_generated_one():
    assert CHECKED_IN.exists(), "docs/openapi.json is missing: run `dukaan export_openapi`"
    assert CHECKED_IN.read_text(encoding="utf-8") == openapi_text(), (
        "docs/openapi.json is out of date: run `dukaan export_openapi` and commit the result"
    )


def test_the_export_command_writes_the_canonical_text(tmp_path):
    target = tmp_path / "openapi.json"
    call_command("export_openapi", output=target)
    text = target.read_text(encoding="utf-8")
    assert text == openapi_text()
    assert text.endswith("}\n")
    assert text.splitlines()[1].startswith('  "')  # two-space indent
    with pytest.raises(SystemExit):
        target.write_text("{}\n")
        call_command("export_openapi", output=target, check=True)


def test_the_live_schema_is_the_checked_in_one(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(CHECKED_IN.read_text(encoding="utf-8"))


def test_every_operation_documents_its_problems():
    schema = json.loads(openapi_text())
    assert schema["openapi"].startswith("3.")
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "404", "422", "429"} <= set(responses), (method, path)
            if operation.get("security"):
                assert "401" in responses, (method, path)
            for status, response in responses.items():
                if status >= "400":
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)


def test_money_is_a_decimal_string_in_responses():
    schemas = json.loads(openapi_text())["components"]["schemas"]
    assert schemas["ProductOut"]["properties"]["price"]["type"] == "string"


def test_the_docs_page_works_offline(client, db):  # a request through every middleware may read a session
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '"url": "/api/v1/openapi.json"' in html
    assert "cdn" not in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"):
        assert f"/api/docs/assets/{asset}" in html
        served = client.get(f"/api/docs/assets/{asset}")
        assert served.status_code == 200
        served.close()
    assert client.get("/api/docs/assets/../../settings.py").status_code == 404


def _inline_enums(node, found: list) -> list:
    """Every enum written out in place (not a component) anywhere below `node`."""
    if isinstance(node, dict):
        if "enum" in node and len(node["enum"]) > 1:
            found.append(node["enum"])
        for value in node.values():
            _inline_enums(value, found)
    elif isinstance(node, list):
        for value in node:
            _inline_enums(value, found)
    return found


def test_order_status_and_payment_enums_are_declared_once_as_components():
    schema = json.loads(openapi_text())
    components = schema["components"]["schemas"]
    for name in ("OrderStatus", "PaymentMethod", "PaymentStatus"):
        values = components[name]["enum"]
        elsewhere = _inline_enums({**schema, "components": {"schemas": {**components, name: {}}}}, [])
        assert values not in elsewhere, name
    order = components["OrderOut"]["properties"]
    assert order["status"] == {"$ref": "#/components/schemas/OrderStatus"}
    assert order["payment_method"] == {"$ref": "#/components/schemas/PaymentMethod"}


def test_the_document_names_its_server_and_the_shapes_given_only_in_prose():
    schema = json.loads(openapi_text())
    assert schema["servers"][0]["url"] == "/"
    day = next(p for p in schema["paths"]["/api/v1/orders"]["get"]["parameters"] if p["name"] == "day")
    assert day["schema"]["format"] == "date"
    quantity = schema["components"]["schemas"]["LineIn"]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 100)


def test_every_operation_declares_405_with_allow_and_503_with_retry_after():
    schema = json.loads(openapi_text())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert responses["405"]["headers"]["Allow"]["required"], (method, path)
            assert responses["503"]["headers"]["Retry-After"]["required"], (method, path)


@pytest.mark.django_db
def test_a_204_has_neither_body_nor_content_type(api, store):
    category = api.post("/categories", {"name": "Kurtas"}).json()
    response = api.delete(f"/categories/{category['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response


def test_the_docs_page_says_its_own_words_in_the_visitors_language(client, db):
    english = client.get("/api/docs").content.decode()
    assert '<html lang="en' in english and "<title>Dukaan API documentation</title>" in english
    assert "This page needs JavaScript" in english
    hindi = client.get("/api/docs", HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert '<html lang="hi">' in hindi and "<title>Dukaan API की जानकारी</title>" in hindi
    assert "इस पेज को JavaScript चाहिए" in hindi and "This page" not in hindi
    assert '"url": "/api/v1/openapi.json"' in hindi  # the operations themselves stay English
