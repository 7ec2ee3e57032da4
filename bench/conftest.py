"""Benchmarks share the apps' fixtures (stores, products)."""

pytest_plugins = ["dukaan.conftest"]
