"""What the API remembers between requests: the first answer to each Idempotency-Key."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The response a request with an Idempotency-Key got, so a retry gets the same one.

    `scope` says whose key it is: `token:<id>` for a merchant's token, `buyer` for the public
    order endpoint. The unique constraint is what stops two concurrent requests with one key
    from both running: the second insert waits for the first transaction and then fails.
    """

    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    # SHA-256 of the method, the path and the validated body: the same key with another request is refused.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    # The exact bytes sent the first time, replayed as they were.
    response_body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "scope", "key"], name="api_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} → {self.status_code}"
