"""The providers' tests place orders in a store, as the apps' tests do."""

from dukaan.conftest import store  # noqa: F401 (a fixture)
