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


def test_the_docs_page_works_offline(client):
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
