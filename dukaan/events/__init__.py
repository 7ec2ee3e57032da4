"""The transactional outbox: every cross-service effect starts as a row written beside the change."""
