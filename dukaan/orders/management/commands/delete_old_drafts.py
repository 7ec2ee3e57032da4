"""`dukaan delete_old_drafts`: delete unfinished checkouts untouched for 30 days (run it daily, e.g. cron)."""

from django.core.management.base import BaseCommand

from dukaan.orders.services import DRAFT_KEPT_DAYS, delete_old_drafts


class Command(BaseCommand):
    help = (
        f"Delete every store's unfinished checkouts untouched for {DRAFT_KEPT_DAYS} days: they hold "
        "buyers' phone numbers and are kept no longer than a shop could use them."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {delete_old_drafts()} unfinished checkouts.")
