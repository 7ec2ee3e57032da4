"""`dukaan rebuild_cache [--store SLUG]`: drop the catalog snapshots and build them again from the DB."""

import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import BaseCommand, CommandError

from dukaan.catalog.commands import store_id_from_option, store_option_argument
from dukaan.catalog.models import Store
from dukaan.catalog.snapshot import build_store_catalog
from dukaan.infra.progress import command_progress
from dukaan.storefront import catalog_cache

CHUNK = 2_000


def _all_store_ids() -> Iterator[int]:
    """Every store's id, a chunk of ids per query (no cursor left open if the caller stops early)."""
    last = 0
    while chunk := list(
        Store.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
    ):
        yield from chunk
        last = chunk[-1]


class Command(BaseCommand):
    help = (
        "Drop every store's catalog snapshot from the cache and build it again from the database "
        "(or one store's, with --store SLUG). The cache is a projection: this is how it is rebuilt."
    )

    def add_arguments(self, parser):
        store_option_argument(parser)

    def handle(self, *args, store=None, verbosity=1, **options):
        store_id = store_id_from_option(store, every_store="rebuild every store")
        if store_id is not None:
            store_ids, total = iter([store_id]), 1
        else:
            store_ids, total = _all_store_ids(), Store.objects.count()
        if isinstance(caches[settings.CATALOG_CACHE_ALIAS], LocMemCache):
            self.stderr.write(
                "Note: CACHE_URL is the in-process cache, so these snapshots live only as long as this "
                "command; a server's own cache refills itself on its next requests. Set "
                "CACHE_URL=redis://… to rebuild a shared cache."
            )
        began = time.monotonic()
        progress = command_progress("Rebuilding catalog snapshots", verbosity=verbosity)
        done = 0
        with progress:
            task = progress.add_task("stores", total=total)
            for store_id in store_ids:
                try:
                    catalog_cache.rebuild(store_id, build_store_catalog)
                except catalog_cache.CacheUnavailable as error:
                    raise CommandError(
                        f"The cache did not answer ({error}) after {done:,} of {total:,} stores. "
                        "Check that Redis is running at CACHE_URL, then run this again."
                    ) from error
                done += 1
                progress.advance(task)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the catalog snapshot of {done:,} store{'s' if done != 1 else ''} "
                f"in {time.monotonic() - began:.1f} seconds."
            )
        )
