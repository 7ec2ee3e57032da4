"""The search-backend interface and its adapters."""
