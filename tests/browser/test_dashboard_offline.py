"""The dashboard as an app, in Chromium: its service worker takes over and drops an older version's
cache, and when the phone loses the network a dashboard page shows the offline page, never a stored
copy of the merchant's data."""

import pytest

from dukaan.conftest import make_store
from tests.browser.chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The worker claims the page after it has deleted the old caches: then both are done.
CONTROLLED = """new Promise((resolve) => navigator.serviceWorker.controller
  ? resolve() : navigator.serviceWorker.addEventListener("controllerchange", resolve))"""


def test_with_the_network_gone_a_dashboard_page_shows_the_offline_page(live_server, page, screenshot):
    store = make_store("+919812345601", "asha-store")
    log_in(page, live_server, store.owner)
    page.goto(f"{live_server.url}/healthz")  # same origin, outside the dashboard: no worker yet
    page.evaluate("caches.open('dukaan-dashboard-0ld0ld0ld0ld')")

    page.goto(f"{live_server.url}/dashboard/orders/")
    page.evaluate(CONTROLLED)

    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    assert scope == f"{live_server.url}/dashboard/"
    names = page.evaluate("caches.keys()")
    assert len(names) == 1 and names[0] != "dukaan-dashboard-0ld0ld0ld0ld", names

    page.context.set_offline(True)
    page.goto(f"{live_server.url}/dashboard/orders/")

    assert page.get_by_role("heading", name="You are offline").is_visible()
    assert store.name not in page.content()
    screenshot("pwa-offline")
    page.context.set_offline(False)
    page.get_by_role("link", name="try again").click()
    assert page.get_by_role("heading", name=store.name).is_visible()
