"""`dukaan events status|replay|prune|jobs`: look at and steer the consumer groups and scheduled jobs."""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone

from dukaan.events.consumers import get_group, registered_groups
from dukaan.events.models import ConsumerOffset, DeadLetter, OutboxEvent, ScheduledJob


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
        jobs = sub.add_parser("jobs", help="scheduled jobs given up on and late, with their last error")
        jobs.add_argument(
            "--retry", type=int, metavar="ID", help="run a job given up on again at the next poll"
        )

    def handle(self, *args, action: str, **options):
        if action == "status":
            self._status()
        elif action == "replay":
            self._replay(options["group"], options["start"])
        elif action == "jobs":
            self._jobs(options["retry"])
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
        failed = ScheduledJob.objects.filter(failed_at__isnull=False).count()
        waiting = ScheduledJob.objects.count() - failed
        self.stdout.write(f"scheduled jobs waiting {waiting}  given up {failed} (dukaan events jobs)")

    def _jobs(self, retry: int | None) -> None:
        if retry is not None:
            again = ScheduledJob.objects.filter(pk=retry, failed_at__isnull=False).update(
                failed_at=None, attempts=0, due_at=timezone.now()
            )
            if not again:
                raise CommandError(f"There is no job {retry} given up on; `dukaan events jobs` lists them.")
            self.stdout.write(f"Job {retry} will run at the next poll.")
            return
        now = timezone.now()
        waiting = ScheduledJob.objects.filter(failed_at__isnull=True)
        self.stdout.write(f"waiting {waiting.count()}  due now {waiting.filter(due_at__lte=now).count()}")
        for job in ScheduledJob.objects.exclude(failed_at__isnull=True, due_at__gt=now).order_by("due_at"):
            state = (
                f"gave up {job.failed_at:%Y-%m-%d %H:%M}"
                if job.failed_at
                else f"due {job.due_at:%Y-%m-%d %H:%M}"
            )
            self.stdout.write(
                f"  #{job.pk} {job.name} key {job.key} store {job.store_id}  {state}  attempts {job.attempts}"
            )
            if job.last_error:
                self.stdout.write(f"      {job.last_error}")

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
