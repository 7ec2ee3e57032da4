"""Stores, categories, products, variants, images and stock."""
