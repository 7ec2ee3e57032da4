"""`dukaan export_openapi`: write the API's OpenAPI document to docs/openapi.json (or --output)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from dukaan.api.openapi import CHECKED_IN, openapi_text


class Command(BaseCommand):
    help = "Write the generated OpenAPI document of /api/v1/ to docs/openapi.json."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, default=CHECKED_IN, help="Where to write it ('-' for stdout)."
        )
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; exit 1 if the file differs from the schema."
        )

    def handle(self, *args, output: Path, check: bool, **options):
        text = openapi_text()
        if str(output) == "-":
            self.stdout.write(text, ending="")
            return
        if check:
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != text:
                self.stderr.write(f"{output} is out of date: run `dukaan export_openapi`.")
                raise SystemExit(1)
            self.stdout.write(f"{output} is up to date.")
            return
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {output}.")
