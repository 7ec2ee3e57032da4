"""Benchmarks share the apps' fixtures (stores, products) and record their figures (bench/report.py)."""

pytest_plugins = ["dukaan.conftest", "bench.report"]
