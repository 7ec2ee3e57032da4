"""The taxes app's events: a store's GST settings and its products' and categories' rates changed.

They go to the `store` aggregate type (topic dukaan.store); nothing of ours consumes them yet, so
they are external (integrators and the warehouse read them).
"""

from decimal import Decimal
from typing import TypedDict

from dukaan.events.contract import declare

STORE = "store"


class TaxSettingsData(TypedDict):
    gstin: str  # "" when not registered
    state_code: str
    prices_include_tax: bool
    legal_name: str
    default_hsn: str
    default_rate: Decimal | None


class TaxRateData(TypedDict):
    product_id: int | None  # one of product_id and category_id is set
    category_id: int | None
    hsn_code: str  # "" when cleared
    rate: Decimal | None  # None: cleared, the product or category follows the next default
    valid_from: str | None  # ISO date


TAX_SETTINGS_CHANGED = declare(
    "tax_settings.changed", aggregatetype=STORE, payload=TaxSettingsData, external=True
)
TAX_RATE_CHANGED = declare("tax_rate.changed", aggregatetype=STORE, payload=TaxRateData, external=True)
