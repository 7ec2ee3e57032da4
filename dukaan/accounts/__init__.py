"""Merchants, login by phone number and one-time code, and the SMS backends."""
