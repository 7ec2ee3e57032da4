"""The events analytics counts that no lower app declares: the storefront's page views.

The storefront writes them (storefront/view_counts.py) but sits above analytics, so the type is
declared here, where both can import it.
"""

from typing import TypedDict

from dukaan.events.contract import declare

STOREFRONT = "storefront"


class PageViews(TypedDict):
    views: int  # the store's page views since the last one
    products: dict[str, int]  # views per product id (a JSON object's keys are strings)


STOREFRONT_VIEWED = declare("storefront.viewed", aggregatetype=STOREFRONT, payload=PageViews)
