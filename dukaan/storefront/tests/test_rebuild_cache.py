"""`dukaan rebuild_cache`: every projection can be thrown away and rebuilt, and bad input is explained."""

import socket
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dukaan.catalog.models import Product
from dukaan.catalog.snapshot import store_catalog
from dukaan.storefront import catalog_cache
from dukaan.storefront.management.commands.rebuild_cache import Command

from .conftest import make_product, redis_caches

pytestmark = pytest.mark.django_db


def test_it_rebuilds_every_store_so_the_next_reads_are_hits(any_cache, store, other_store, product, capsys):
    builds = catalog_cache.build_count()

    call_command("rebuild_cache")

    assert catalog_cache.build_count() - builds == 2
    assert "Rebuilt the catalog snapshot of 2 stores" in capsys.readouterr().out
    with CaptureQueriesContext(connection) as queries:
        assert store_catalog(store.pk).product(product.pk).name == "Cotton kurta"
        assert store_catalog(other_store.pk).products == ()
    assert len(queries) == 0


def test_it_replaces_a_snapshot_the_events_missed(client, store, other_store):
    product = make_product(store, name="Steel tiffin", price="499.00")
    url = f"/s/{store.slug}/p/{product.pk}/"
    assert "₹499" in client.get(url).content.decode()
    store_catalog(other_store.pk)
    # A change written behind the services' back: no event, so the cache cannot know.
    Product.objects.filter(pk=product.pk).update(price=Decimal("450.00"))
    assert "₹499" in client.get(url).content.decode()
    builds = catalog_cache.build_count()

    call_command("rebuild_cache", store=store.slug)

    assert catalog_cache.build_count() - builds == 1  # that store only
    assert "₹450" in client.get(url).content.decode()


def test_an_unknown_slug_is_explained_without_a_traceback(db, capsys):
    with pytest.raises(CommandError, match="There is no store with the slug 'no-such-store'"):
        call_command("rebuild_cache", store="no-such-store")

    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["dukaan", "rebuild_cache", "--store", "no-such-store"])
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    assert err.startswith("CommandError: There is no store with the slug 'no-such-store'.")
    assert "Traceback" not in err and "leave out --store" in err


def test_a_cache_that_does_not_answer_is_explained(settings, store):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = redis_caches(settings, f"redis://127.0.0.1:{closed_port}/0")

    with pytest.raises(CommandError, match=r"The cache did not answer .* after 0 of 1 stores\. Check"):
        call_command("rebuild_cache", verbosity=0)
