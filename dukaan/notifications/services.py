"""Sending a message once: the one write of notifications is the record of a message that went out."""

from django.db import transaction

from dukaan.infra.sms import over_hourly_cap

from .channels import send
from .messages import Message
from .models import SentMessage


def send_once(
    *, event_id: str, store_id: int, recipient: str, to: str, message: Message, capped: bool
) -> None:
    """Send `message` to `to` unless this event already sent it to this recipient, and record it.

    Called outside the event's transaction (the notifier records its own effects), so the record of
    each message commits as soon as it went out: when a later message of the same event fails and
    the event is retried, this one is not sent again. `capped` holds an unverified number (the
    buyer's) to the hourly cap; a message over it is dropped, not retried.
    """
    if SentMessage.objects.filter(event_id=event_id, recipient=recipient, kind=message.kind).exists():
        return
    if capped and over_hourly_cap(to):
        return
    channel = send(to=to, message=message)
    with transaction.atomic():
        SentMessage.objects.get_or_create(
            event_id=event_id,
            recipient=recipient,
            kind=message.kind,
            defaults={"store_id": store_id, "channel": channel},
        )
