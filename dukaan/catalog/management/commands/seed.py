"""`dukaan seed`: bulk-load sample stores (`--stores N --products M`) or create the demo store (`--demo`)."""

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

from dukaan.catalog import seed
from dukaan.catalog.models import Store


class Command(BaseCommand):
    help = (
        "Load sample data. `--stores N --products M` bulk-loads N shops with M products each "
        "(fast, for benchmarks); `--demo` creates the demo store through the catalog services."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stores", type=int, help="How many shops to bulk-load.")
        parser.add_argument("--products", type=int, help="Products per shop (default 20).")
        parser.add_argument("--seed", type=int, help="Random seed, to draw the same names again.")
        parser.add_argument("--demo", action="store_true", help="Create the demo store at /s/demo/ (once).")

    def handle(self, *args, stores=None, products=None, seed=None, demo=False, verbosity=1, **options):
        if stores is None and products is None and not demo:
            raise CommandError("Nothing to do. Give --stores N --products M to bulk-load shops, or --demo.")
        if stores is None and products is not None:
            raise CommandError("Give --stores N too: how many shops should get those products?")
        for flag, value in (("--stores", stores), ("--products", products)):
            if value is not None and value < 1:
                raise CommandError(f"{flag} must be a whole number of at least 1 (got {value}).")
        if Store._meta.db_table not in connection.introspection.table_names():
            raise CommandError("The database has no catalog tables yet. Run `dukaan migrate` first.")

        if demo:
            self._demo()
        if stores is not None:
            self._bulk(stores=stores, products=products or 20, seed_value=seed, show_progress=verbosity > 0)

    def _demo(self) -> None:
        try:
            store, created = seed.seed_demo()
        except ValidationError as error:
            raise CommandError(f"Could not create the demo store: {' '.join(error.messages)}") from error
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo store ready: {store.share_url}"))
        else:
            self.stdout.write(f"The demo store already exists: {store.share_url}")

    def _bulk(self, *, stores: int, products: int, seed_value: int | None, show_progress: bool) -> None:
        progress = Progress(
            TextColumn("Seeding stores"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),  # stdout keeps only the summary, for scripts
            disable=not show_progress,
        )
        with progress:
            task = progress.add_task("stores", total=stores)
            result = seed.seed_stores(
                stores=stores,
                products=products,
                seed=seed_value,
                on_progress=lambda count: progress.advance(task, count),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.stores:,} stores, {result.products:,} products "
                f"and {result.variants:,} variants in {result.seconds:.1f} seconds."
            )
        )
