"""The outbox table, shaped for Debezium's outbox event router."""

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """One event, written in the same transaction as the change it announces.

    The column names are the ones Debezium's outbox router reads: the topic is
    `dukaan.<aggregatetype>`; the message key is the store id, kept in `aggregateid`
    so that each store's events stay in order.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    aggregatetype = models.CharField(max_length=64)
    aggregateid = models.CharField(max_length=64)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "outbox"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type} store={self.aggregateid}"
