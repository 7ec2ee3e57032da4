"""The public REST API."""
