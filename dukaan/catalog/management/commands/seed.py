"""`dukaan seed`: bulk-load sample stores (`--stores N --products-per-store M`) or create the demo store."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dukaan.catalog import bulk, seed
from dukaan.catalog.models import Store


class Command(BaseCommand):
    help = (
        "Load sample data. `--stores N --products-per-store M` bulk-loads N shops with M products each "
        "on average, a few huge and most tiny (COPY on PostgreSQL); `--demo` creates the demo store "
        "through the catalog services."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stores", type=int, help="How many shops to bulk-load.")
        parser.add_argument(
            "--products-per-store",
            "--products",  # the option's old name
            dest="products",
            type=int,
            help="Products per shop on average (default 20): a few shops get 10,000+, most 1–5.",
        )
        parser.add_argument("--seed", type=int, help="Random seed, to draw the same shops again.")
        parser.add_argument(
            "--no-events",
            action="store_true",
            help="Write no catalog.imported event per shop (for millions: run `dukaan reindex` after).",
        )
        parser.add_argument("--demo", action="store_true", help="Create the demo store at /s/demo/ (once).")

    def handle(
        self,
        *args,
        stores=None,
        products=None,
        seed=None,
        no_events=False,
        demo=False,
        verbosity=1,
        **options,
    ):
        if stores is None and products is None and not demo:
            raise CommandError(
                "Nothing to do. Give --stores N --products-per-store M to bulk-load shops, or --demo."
            )
        if stores is None and products is not None:
            raise CommandError("Give --stores N too: how many shops should get those products?")
        for flag, value in (("--stores", stores), ("--products-per-store", products)):
            if value is not None and value < 1:
                raise CommandError(f"{flag} must be a whole number of at least 1 (got {value}).")
        if Store._meta.db_table not in connection.introspection.table_names():
            raise CommandError("The database has no catalog tables yet. Run `dukaan migrate` first.")

        if demo:
            self._demo()
        if stores is not None:
            self._bulk(
                stores=stores,
                products=products or 20,
                seed_value=seed,
                events=not no_events,
                show_progress=verbosity > 0,
            )

    def _demo(self) -> None:
        try:
            store, created = seed.seed_demo()
        except ValidationError as error:
            raise CommandError(f"Could not create the demo store: {' '.join(error.messages)}") from error
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo store ready: {store.share_url}"))
        else:
            self.stdout.write(f"The demo store already exists: {store.share_url}")

    def _bulk(self, *, stores: int, products: int, seed_value: int | None, events: bool, show_progress: bool):
        progress = Progress(
            TextColumn("Seeding stores"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>9,.0f} rows/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),  # stdout keeps only the summary, for scripts
            disable=not show_progress,
        )
        load = bulk.copy_stores if connection.vendor == "postgresql" else seed.seed_stores
        rows = 0
        with progress:
            task = progress.add_task("stores", total=stores, rate=0)

            def advance(stores_done: int, rows_done: int) -> None:
                nonlocal rows
                rows += rows_done
                elapsed = progress.tasks[0].elapsed or 1
                progress.update(task, advance=stores_done, rate=rows / elapsed)

            result = load(
                stores=stores, products=products, seed=seed_value, events=events, on_progress=advance
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.stores:,} stores, {result.products:,} products, "
                f"{result.variants:,} variants and {result.images:,} product images ({rows:,} rows) "
                f"in {result.seconds:.1f} seconds."
            )
        )
        if not events:
            self.stdout.write(
                "No catalog.imported events were written: "
                "run `dukaan reindex` to make these shops searchable."
            )
