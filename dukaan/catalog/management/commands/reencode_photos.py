"""`dukaan reencode_photos`: store every photo kept before uploads were encoded again anew from its
pixels, so no file an uploader wrote (EXIF, GPS, comments, hidden chunks) is served any more."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from dukaan.catalog import images, services
from dukaan.catalog.models import Product, Store


class Command(BaseCommand):
    help = (
        "Store every product photo and store logo anew from its pixels, without the metadata and "
        "extra bytes of the files uploaded before photos were encoded again. Run it once after "
        "deploying that change; each run encodes the photos again."
    )

    def handle(self, *args, **options):
        done = failed = 0
        products = (
            Product.objects.filter(images__isnull=False)
            .exclude(images__original__startswith=images.SHARED_FOLDER)
            .distinct()
            .order_by("pk")
        )
        for product in products.iterator():
            try:
                services.reencode_product_photos(product=product)
                done += 1
            except (ValidationError, OSError) as error:
                failed += 1
                self.stderr.write(
                    f"product {product.pk}: {' '.join(getattr(error, 'messages', [str(error)]))}"
                )
        logos = 0
        for store in (
            Store.objects.exclude(logo="").exclude(logo__startswith=images.SHARED_FOLDER).order_by("pk")
        ):
            try:
                services.reencode_store_logo(store=store)
                logos += 1
            except (ValidationError, OSError) as error:
                failed += 1
                self.stderr.write(
                    f"store {store.pk} logo: {' '.join(getattr(error, 'messages', [str(error)]))}"
                )
        self.stdout.write(
            f"Encoded again: photos of {done} products, {logos} logos; {failed} failed (above)."
        )
        if failed:
            raise SystemExit(1)
