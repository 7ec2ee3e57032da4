"""`dukaan sanitize-copy --from SOURCE_URL --to TARGET_URL [--seed TEXT] [--replace]`: a staging copy of a
database with every person's details replaced by consistent fakes (dukaan/infra/sanitize.py)."""

import secrets

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from dukaan.infra.progress import command_progress
from dukaan.infra.sanitize import CopyReport, SanitizeRefused, sanitize_copy


class Command(BaseCommand):
    help = (
        "Copy every table of a dukaan database (--from) into another (--to, migrated first) with names, "
        "phone numbers, addresses and UPI ids replaced by consistent fakes; sessions, login codes, API "
        "tokens and idempotency records are not copied. The target is then checked for every original."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, metavar="SOURCE_URL", help="Read from.")
        parser.add_argument("--to", dest="target", required=True, metavar="TARGET_URL", help="Write to.")
        parser.add_argument(
            "--seed",
            help="Secret text the fakes derive from: the same seed gives the same fakes again. "
            "Default: a new random one each run.",
        )
        parser.add_argument("--replace", action="store_true", help="Empty a target that already has data.")

    def handle(self, *args, source, target, seed=None, replace=False, verbosity=1, **options):
        progress = command_progress("{task.description:<28}", verbosity=verbosity)
        tasks = {}

        def show(table: str, done: int, total: int) -> None:
            if not tasks:  # started with the first table, so a refusal before it prints only itself
                progress.start()
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done)

        try:
            report = sanitize_copy(
                source_url=source,
                target_url=target,
                seed=seed or secrets.token_hex(16),
                replace=replace,
                progress=show,
            )
        except SanitizeRefused as error:
            raise CommandError(str(error)) from error
        finally:
            if tasks:
                progress.stop()
        self._summary(report, seeded=seed is not None)

    def _summary(self, report: CopyReport, *, seeded: bool) -> None:
        console = Console(file=self.stdout, width=110)
        copied = Table("table", "rows copied", title="Copied")
        for table, rows in report.rows.items():
            copied.add_row(table, f"{rows:,}")
        replaced = Table("column", "values replaced", title="Replaced")
        for column, count in sorted(report.replaced.items()):
            replaced.add_row(column, f"{count:,}")
        skipped = Table("table", "not copied, because it holds", title="Skipped")
        for table, why in report.skipped.items():
            skipped.add_row(table, why)
        for table in (copied, replaced, skipped):
            console.print(table)
        fakes = "the same as any run with this --seed" if seeded else "new (give --seed to repeat them)"
        self.stdout.write(f"Fakes: {fakes}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Copied {sum(report.rows.values()):,} rows in {report.seconds:.1f} seconds; "
                "verified: no original personal data in TARGET."
            )
        )
