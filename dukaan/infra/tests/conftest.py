"""Shared set-up for the infra tests: what a buyer types at checkout, as the storefront's tests type it."""

from dukaan.storefront.tests.conftest import buyer_form  # noqa: F401 (a fixture)
