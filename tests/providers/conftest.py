"""The providers' tests place orders in a store, by the services or as a buyer on the storefront."""

from dukaan.conftest import store  # noqa: F401 (a fixture)
from dukaan.storefront.tests.conftest import buyer_form, simple_product  # noqa: F401 (fixtures)
