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
    # Set by the embedded relay in the order it sees rows commit: consumers read by position.
    # Debezium's router ignores the column; in Kafka mode the WAL gives the order instead.
    position = models.BigIntegerField(null=True, blank=True, unique=True)
    # The W3C trace context of the span that wrote the row; Debezium sends it as the Kafka header
    # `traceparent`, and consumers continue that trace. "" = written outside a trace. The database
    # default lets a process still running the previous release insert rows without it.
    traceparent = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        db_table = "outbox"
        ordering = ["created_at"]
        indexes = [
            # The relay asks for the oldest rows without a position: this index holds only those, so
            # the relay does not walk every row kept for the retention period to find them.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(position__isnull=True),
                name="outbox_unrelayed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} store={self.aggregateid}"


class ConsumerOffset(models.Model):
    """How far a consumer group has read the embedded log, stored so a restart resumes there."""

    group = models.CharField(max_length=64, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.group} @ {self.position}"


class ProcessedEvent(models.Model):
    """Events a group has applied: delivery is at-least-once, so a redelivery is recognised and skipped."""

    group = models.CharField(max_length=64)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "event_id"], name="processed_event_once")]

    def __str__(self) -> str:
        return f"{self.group}: {self.event_id}"


class DeadLetter(models.Model):
    """An event a group kept failing on, with the error; the group moved on without it."""

    group = models.CharField(max_length=64)
    event_id = models.UUIDField()
    aggregatetype = models.CharField(max_length=64)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    error = models.TextField()
    attempts = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.group}: {self.type} {self.event_id}"


class ScheduledJob(models.Model):
    """Work due at a time (`dukaan.events.jobs`): a row until it has run, so a restart loses nothing.

    A job that ran is deleted: the table holds only what is still to do and what gave up, so the
    claim reads a small index and nothing needs pruning. A job that kept failing stays with
    `failed_at` set and its last error, for `dukaan events jobs` and /status.
    """

    name = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    # The store the work is for (None = the platform's own); a plain column: events knows no stores.
    store_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "key"], name="scheduled_job_once")]
        indexes = [
            # The runners ask for the earliest due jobs that have not given up: only those are indexed.
            models.Index(fields=["due_at", "id"], condition=models.Q(failed_at__isnull=True), name="job_due"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.key} due {self.due_at:%Y-%m-%d %H:%M}"
