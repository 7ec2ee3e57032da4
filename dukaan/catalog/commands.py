"""What the commands that rebuild a projection of the catalog (`rebuild_cache`, `reindex`) share."""

from django.core.management.base import CommandError
from django.db import connection

from .models import Store
from .selectors import store_id_for_slug


def store_option_argument(parser) -> None:
    parser.add_argument("--store", metavar="SLUG", help="Only this store (the slug in its link /s/SLUG/).")


def store_id_from_option(slug: str | None, *, every_store: str) -> int | None:
    """The id of the store `--store SLUG` names (None without --store); a CommandError a person can act
    on when the catalog tables are missing or there is no such store. `every_store` says what leaving
    out --store does ("rebuild every store")."""
    if Store._meta.db_table not in connection.introspection.table_names():
        raise CommandError("The database has no catalog tables yet. Run `dukaan migrate` first.")
    if slug is None:
        return None
    store_id = store_id_for_slug(slug)
    if store_id is None:
        raise CommandError(
            f"There is no store with the slug {slug!r}. The slug is the last part of the "
            f"store's link (/s/SLUG/); leave out --store to {every_store}."
        )
    return store_id
