"""Cross-cutting plumbing: health checks, and later DB routing, cache helpers, metrics."""
