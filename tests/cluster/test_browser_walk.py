"""The core loop in a real phone-sized Chromium, through the cluster's front door: nginx, Varnish, the
storefront service, two web processes, PgBouncer, the replica, S3 for the photo, Kafka for the events.
Screenshots land in test-artifacts/screenshots/cluster-*.png."""

import pytest
from PIL import Image

from tests.browser.chromium import chromium, phone_page, safe_file_name
from tests.browser.test_core_loop import add_product, buy, create_store, ship_and_tell, sign_up
from tests.processes import REPO

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


def test_a_shopkeeper_and_a_buyer_complete_the_core_loop_through_the_cluster(cluster, settings, tmp_path):
    # The codes reach the cluster's stand-in SMS provider, which logs them like the console backend.
    settings.SMS_CONSOLE_LOG = cluster.state("sms_gateway")["messages"]
    photo = tmp_path / "kurta.jpg"
    Image.new("RGB", (800, 600), "darkorange").save(photo, format="JPEG")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        merchant, buyer = phone_page(browser), phone_page(browser)

        def screenshot(name: str, on=None) -> None:
            (on or merchant).screenshot(
                path=SCREENSHOTS / f"cluster-{safe_file_name(name)}.png", full_page=True
            )

        sign_up(merchant, cluster.url, screenshot)
        create_store(merchant, screenshot)
        add_product(merchant, screenshot, photo)  # the photo goes to the S3 server

        status_url = buy(buyer, cluster.url, screenshot)
        with cluster.primary() as connection:
            row = connection.execute(
                "SELECT total, payment_method, status FROM orders_order ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert (row[0], row[1], row[2]) == (1098, "cod", "placed")

        ship_and_tell(merchant, buyer, status_url, screenshot)
