"""What the notifier sent: one row per message of an event, so a retried event sends only the rest."""

from django.db import models

from dukaan.catalog.models import Store


class SentMessage(models.Model):
    class Recipient(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SHOPKEEPER = "shopkeeper", "Shopkeeper"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=64)
    recipient = models.CharField(max_length=16, choices=Recipient.choices)
    kind = models.CharField(max_length=40, help_text="The message, also its WhatsApp template's name")
    channel = models.CharField(max_length=16, help_text="The channel that took it: sms or whatsapp")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "recipient", "kind"], name="message_once_per_event")
        ]
        indexes = [models.Index(fields=["store", "sent_at"], name="sent_message_store_time")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.channel})"
