"""`dukaan events status|replay|prune`: look at and steer the consumer groups."""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone

from dukaan.events.consumers import get_group, registered_groups
from dukaan.events.models import ConsumerOffset, DeadLetter, OutboxEvent


class Command(BaseCommand):
    help = "Event log tools: status of each group, replay a group from a position or time, prune the outbox."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="each group's offset, lag and dead letters")
        replay = sub.add_parser("replay", help="re-deliver a group's events from a position or an ISO time")
        replay.add_argument("--group", required=True)
        replay.add_argument(
            "--from", dest="start", required=True, help="a position (number) or a time (ISO 8601)"
        )
        sub.add_parser("prune", help="delete outbox rows every group has read, past the retention")

    def handle(self, *args, action: str, **options):
        if action == "status":
            self._status()
        elif action == "replay":
            self._replay(options["group"], options["start"])
        else:
            from dukaan.events.local import prune_outbox

            self.stdout.write(f"Pruned {prune_outbox()} outbox rows.")

    def _status(self) -> None:
        head = OutboxEvent.objects.aggregate(head=Max("position"))["head"] or 0
        unrelayed = OutboxEvent.objects.filter(position__isnull=True).count()
        self.stdout.write(f"bus {settings.EVENT_BUS_URL}  log head {head}  not yet relayed {unrelayed}")
        offsets = dict(ConsumerOffset.objects.values_list("group", "position"))
        for name in sorted(registered_groups()):
            position = offsets.get(name, 0)
            dead = DeadLetter.objects.filter(group=name).count()
            self.stdout.write(
                f"  {name:<12} offset {position:<8} lag {head - position:<8} dead letters {dead}"
            )

    def _replay(self, group_name: str, start: str) -> None:
        try:
            group = get_group(group_name)
        except LookupError as error:
            raise CommandError(str(error)) from error
        if settings.EVENT_BUS_URL.startswith("kafka:"):
            from dukaan.events.kafka import replay as kafka_replay

            kafka_replay(group, start, log=self.stdout.write)
            return
        from dukaan.events.local import replay

        if start.isdigit():
            offset = replay(group, from_position=int(start))
        else:
            try:
                since = datetime.fromisoformat(start)
            except ValueError as error:
                raise CommandError(
                    f"--from takes a position like 1200 or a time like 2026-11-24T10:00, not {start!r}."
                ) from error
            if timezone.is_naive(since):
                since = timezone.make_aware(since)
            offset = replay(group, since=since)
        self.stdout.write(f"Group {group_name} will re-read from position {offset + 1}.")
