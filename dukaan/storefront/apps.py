from django.apps import AppConfig
from django.conf import settings
from django.core.cache import caches

from dukaan.infra.registry import DEGRADED, OK, Check, add_status_section


class StorefrontConfig(AppConfig):
    name = "dukaan.storefront"
    label = "storefront"

    def ready(self) -> None:
        from dukaan.catalog.snapshot import Shown, StoreCatalog, build_store_catalog, read_snapshots_with

        from . import catalog_cache

        def read(store_id: int, shown: Shown | None) -> StoreCatalog | None:
            return catalog_cache.read_through(
                store_id, lambda store_id: build_store_catalog(store_id, shown), shown.key if shown else ""
            )

        read_snapshots_with(read)
        add_status_section(catalog_cache_status, order=10)


def catalog_cache_status() -> list[Check]:
    """/status: is Redis, which holds the catalog snapshots, answering, and is its circuit closed?"""
    from . import catalog_cache

    if settings.CACHE_URL == "locmem://":
        return [Check("catalog cache", OK, "in-process memory of each worker (no Redis configured)")]
    try:
        caches[settings.CATALOG_CACHE_ALIAS].get("status-probe")
    except Exception as error:  # any backend failure means pages build from the database
        return [
            Check(
                "catalog cache",
                DEGRADED,
                f"Redis did not answer ({type(error).__name__}): pages build from the database",
            )
        ]
    if catalog_cache.breaker.state != "closed":
        state = catalog_cache.breaker.state
        return [Check("catalog cache", DEGRADED, f"Redis answers again; its circuit is {state}")]
    return [Check("catalog cache", OK, "Redis answers")]
