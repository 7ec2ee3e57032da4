"""Carts, checkout, orders and payments."""
