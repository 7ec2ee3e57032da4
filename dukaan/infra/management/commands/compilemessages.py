"""`dukaan compilemessages`: every catalogue's `.mo` from its `.po`, in pure Python (infra/catalogues.py).

It stands in for Django's own command, which runs GNU gettext's msgfmt: `make install` and the image
build run this one, so neither a laptop nor the image needs gettext to have Hindi pages."""

from django.core.management.base import BaseCommand

from dukaan.infra.catalogues import ROOT, compile_all


class Command(BaseCommand):
    help = "Compile dukaan's translation catalogues (.po) to the .mo files Django reads; no gettext needed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="also those whose .mo is newer than the .po")

    def handle(self, *args, force: bool, **options) -> None:
        for path in compile_all(force=force):
            self.stdout.write(f"compiled {path.relative_to(ROOT.parent)}")
