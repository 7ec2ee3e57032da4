"""Chromium runs here: a real browser reaches the live test server."""

import pytest

pytestmark = pytest.mark.browser


def test_chromium_opens_the_health_probe_of_the_live_server(live_server, page, screenshot):
    response = page.goto(live_server.url + "/healthz")

    assert response.status == 200
    assert '"ok"' in page.locator("body").inner_text()
    assert screenshot("00-smoke-healthz").stat().st_size > 0
