"""The couriers a shopkeeper can pick when marking an order shipped, and their public tracking pages.

A pattern is kept only where the courier has a page that takes the tracking number in its address;
for the others (and for "other") the shopkeeper pastes the tracking link, or the buyer gets the number.
"""

from dataclasses import dataclass
from urllib.parse import quote

OTHER = "other"


@dataclass(frozen=True)
class Courier:
    key: str
    name: str
    tracking_url: str = ""  # "{number}" stands for the tracking number; "" when there is no such page


COURIERS = (
    Courier("india_post", "India Post / Speed Post"),
    Courier("delhivery", "Delhivery", "https://www.delhivery.com/track/package/{number}"),
    Courier(
        "blue_dart",
        "Blue Dart",
        "https://www.bluedart.com/web/guest/trackdartresultthirdparty?trackFor=0&trackNo={number}",
    ),
    Courier("dtdc", "DTDC"),
    Courier("ecom_express", "Ecom Express", "https://www.ecomexpress.in/tracking/?awb_field={number}"),
    Courier("xpressbees", "Xpressbees", "https://www.xpressbees.com/shipment/tracking?awbNo={number}"),
    Courier("shadowfax", "Shadowfax"),
    Courier("ekart", "Ekart"),
    Courier("shiprocket", "Shiprocket (aggregator)", "https://shiprocket.co/tracking/{number}"),
    Courier("professional", "The Professional Couriers"),
    Courier(OTHER, "Other"),
)
BY_KEY = {courier.key: courier for courier in COURIERS}


def tracking_url(courier: Courier, number: str) -> str:
    """The courier's tracking page for `number`; "" without a number or a known page."""
    if not number or not courier.tracking_url:
        return ""
    return courier.tracking_url.replace("{number}", quote(number, safe=""))
