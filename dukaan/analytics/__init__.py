"""Per-store daily numbers (views, orders, revenue), kept by a consumer of the event log."""
