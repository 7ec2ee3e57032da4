"""`dukaan reindex [--store SLUG]`: build the search index again from the database."""

import time
from collections.abc import Iterable, Iterator

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from dukaan.catalog.commands import store_id_from_option, store_option_argument
from dukaan.catalog.models import Product
from dukaan.infra.progress import command_progress
from dukaan.search.backend import ProductDocument, SearchUnavailable
from dukaan.search.documents import all_documents, documents_for_store
from dukaan.search.service import get_backend

CHUNK = 2_000


def _counted(chunks: Iterable[list[ProductDocument]], progress: Progress, task) -> Iterator[list]:
    for chunk in chunks:
        yield chunk
        progress.advance(task, len(chunk))


def _chunks(documents: list[ProductDocument]) -> Iterator[list[ProductDocument]]:
    for start in range(0, len(documents), CHUNK):
        yield documents[start : start + CHUNK]


class Command(BaseCommand):
    help = (
        "Build the search index again from the database: every store into a new index that replaces "
        "the old one when complete (searches keep answering meanwhile), or one store with --store SLUG."
    )

    def add_arguments(self, parser):
        store_option_argument(parser)

    def handle(self, *args, store=None, verbosity=1, **options):
        store_id = store_id_from_option(store, every_store="reindex every store")
        try:
            backend = get_backend()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        began = time.monotonic()
        progress = command_progress("Indexing products", verbosity=verbosity)
        try:
            with progress:
                if store_id is None:
                    task = progress.add_task("products", total=Product.objects.filter(is_active=True).count())
                    done = backend.rebuild(_counted(all_documents(CHUNK), progress, task))
                else:
                    documents = documents_for_store(store_id)
                    task = progress.add_task("products", total=len(documents))
                    backend.delete_store(store_id)
                    for chunk in _counted(_chunks(documents), progress, task):
                        backend.index(chunk)
                    done = len(documents)
        except SearchUnavailable as error:
            meanwhile = (
                "Until it succeeds, this store's products may be missing from search."
                if store_id
                else "Search keeps answering from the index it had."
            )
            raise CommandError(
                f"The search engine failed: {error}. Check that it runs at SEARCH_URL, then run this "
                f"again. {meanwhile}"
            ) from error
        where = f"store {store!r}" if store_id else "every store"
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {done:,} product{'s' if done != 1 else ''} of {where} "
                f"in {time.monotonic() - began:.1f} seconds."
            )
        )
