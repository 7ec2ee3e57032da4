from dukaan.storefront.tests.conftest import buyer_form  # noqa: F401 (fixture)
