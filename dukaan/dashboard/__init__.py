"""The merchant's web UI: share link, catalog management."""
