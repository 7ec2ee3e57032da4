"""`dukaan reencode_photos`: store every photo kept before uploads were encoded again anew from its
pixels, so no file an uploader wrote (EXIF, GPS, comments, hidden chunks) is served any more."""

from itertools import chain

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from dukaan.catalog import images, services
from dukaan.catalog.models import Product, Store
from dukaan.infra.progress import command_progress


class Command(BaseCommand):
    help = (
        "Store every product photo and store logo anew from its pixels, without the metadata and "
        "extra bytes of the files uploaded before photos were encoded again. Run it once after "
        "deploying that change; each run encodes the photos again."
    )

    def handle(self, *args, verbosity=1, **options):
        products = (
            Product.objects.filter(images__isnull=False)
            .exclude(images__original__startswith=images.SHARED_FOLDER)
            .distinct()
            .order_by("pk")
        )
        logos = Store.objects.exclude(logo="").exclude(logo__startswith=images.SHARED_FOLDER).order_by("pk")
        # (what is encoded, how a failure names it, the service that encodes it again)
        work = chain(
            (
                (p, f"product {p.pk}", lambda p: services.reencode_product_photos(product=p))
                for p in products.iterator()
            ),
            (
                (s, f"store {s.pk} logo", lambda s: services.reencode_store_logo(store=s))
                for s in logos.iterator()
            ),
        )
        done = {Product: 0, Store: 0}
        failed = 0
        with command_progress("Encoding photos again", verbosity=verbosity) as progress:
            task = progress.add_task("", total=products.count() + logos.count())
            for owner, name, reencode in work:
                try:
                    reencode(owner)
                    done[type(owner)] += 1
                except (ValidationError, OSError) as error:
                    failed += 1
                    self.stderr.write(f"{name}: {' '.join(getattr(error, 'messages', [str(error)]))}")
                progress.advance(task)
        self.stdout.write(
            f"Encoded again: photos of {done[Product]} products, {done[Store]} logos; "
            f"{failed} failed (above)."
        )
        if failed:
            raise SystemExit(1)
