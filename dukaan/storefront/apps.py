from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "dukaan.storefront"
    label = "storefront"

    def ready(self) -> None:
        from dukaan.catalog.snapshot import build_store_catalog, read_snapshots_with

        from . import catalog_cache

        read_snapshots_with(lambda store_id: catalog_cache.read_through(store_id, build_store_catalog))
